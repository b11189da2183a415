"""Protobuf request bodies: the wire decoder on hand-built bytes, and real bodies from kubectl.

The kubectl tests run the real binary against a throwaway HTTP server on loopback that serves
just enough discovery and captures what kubectl sends. A body kubectl sends as protobuf must
decode to exactly the JSON that ``--dry-run=client -o json`` prints for the same command: both
come from the same Go object, one through Go's protobuf encoder, one through its JSON encoder.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cluster.api.protobuf import DECODER, PROTOBUF, ProtobufError, UnknownKind, decode_object
from cluster.api.protobuf.decode import Decoder
from cluster.api.protobuf.schema import SchemaError, merge, parse_messages
from tests.kubectl import kubectl

# -- a minimal encoder, to build inputs by hand --


def varint(n: int) -> bytes:
    n &= 0xFFFF_FFFF_FFFF_FFFF
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def num(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def msg(number: int, *parts: bytes | str) -> bytes:
    data = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return varint(number << 3 | 2) + varint(len(data)) + data


def entry(number: int, key: str, value: bytes | str) -> bytes:
    """One map entry: a message with the key as field 1 and the value as field 2."""
    return msg(number, msg(1, key), msg(2, value))


def body(api_version: str, kind: str, *fields: bytes) -> bytes:
    """A whole request body: the magic and a runtime.Unknown around the typed message."""
    type_meta = msg(1, msg(1, api_version), msg(2, kind))
    return b"k8s\x00" + type_meta + msg(2, *fields) + msg(3) + msg(4)


def meta(name: str, *more: bytes) -> bytes:
    return msg(1, msg(1, name), *more)


def decode(data: bytes) -> tuple[dict[str, Any], list[str]]:
    unknown: list[str] = []
    return decode_object(data, unknown_fields=unknown), unknown


# -- the decoder --


def test_it_decodes_a_namespace_with_its_kind_and_version() -> None:
    obj, unknown = decode(body("v1", "Namespace", meta("x"), msg(2), msg(3, msg(1))))

    assert obj == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "x"},
        "spec": {},
        "status": {},
    }
    assert unknown == []


def test_a_present_zero_is_kept_where_go_keeps_it() -> None:
    # replicas is *int32 and optional is *bool: present means set, even to zero.
    spec = msg(2, num(1, 0), num(4, 0))
    obj, _ = decode(body("v1", "ReplicationController", meta("rc"), spec))
    volume = msg(1, msg(1, "v"), msg(2, msg(19, num(4, 0))))
    pod, _ = decode(body("v1", "Pod", meta("p"), msg(2, volume, num(21, 0))))

    assert obj["spec"] == {"replicas": 0}
    assert pod["spec"] == {
        "volumes": [{"name": "v", "configMap": {"optional": False}}],
        "automountServiceAccountToken": False,
    }


def test_zero_values_of_omitempty_fields_are_dropped_as_go_json_drops_them() -> None:
    # Go writes every plain field on the wire, zero or not; its JSON omits the zero ones.
    metadata = meta("p", msg(2, ""), msg(3, ""), num(7, 0), msg(8))
    spec = msg(2, msg(2, msg(1, "c"), msg(2, ""), num(16, 0)), num(11, 0), msg(3, ""))
    obj, _ = decode(body("v1", "Pod", metadata, spec))

    assert obj["metadata"] == {"name": "p"}
    assert obj["spec"] == {"containers": [{"name": "c"}]}


def test_absent_fields_stay_absent_and_empty_messages_stay_empty() -> None:
    obj, _ = decode(body("v1", "Service", meta("s"), msg(2), msg(3, msg(1))))

    assert obj == {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "s"},
        "spec": {},
        "status": {"loadBalancer": {}},
    }


def test_nested_messages_and_lists_decode_in_order() -> None:
    port = msg(6, num(3, 8080), msg(4, "TCP"))
    env = msg(7, msg(1, "A"), msg(2, "B"))
    container = msg(2, msg(1, "web"), msg(2, "busybox"), msg(4, "sleep"), msg(4, "1000"), port, env)
    obj, _ = decode(body("v1", "Pod", meta("web"), msg(2, container)))

    assert obj["spec"]["containers"] == [
        {
            "name": "web",
            "image": "busybox",
            "args": ["sleep", "1000"],
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "A", "value": "B"}],
        }
    ]


def test_maps_decode_to_dicts_and_a_missing_value_is_its_zero() -> None:
    labels = entry(11, "app", "web") + entry(11, "empty", "") + msg(11, msg(1, "novalue"))
    limits = msg(8, entry(1, "cpu", msg(1, "500m")), msg(1, msg(1, "memory")))
    container = msg(2, msg(1, "c"), limits)
    obj, _ = decode(body("v1", "Pod", meta("p", labels), msg(2, container)))

    assert obj["metadata"]["labels"] == {"app": "web", "empty": "", "novalue": ""}
    assert obj["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m", "memory": "0"}}


def test_repeated_integers_decode_packed_and_unpacked() -> None:
    unpacked = msg(14, num(4, 1), num(4, 2))
    packed = msg(14, msg(4, varint(3), varint(2**40)))
    for security, groups in ((unpacked, [1, 2]), (packed, [3, 2**40])):
        obj, _ = decode(body("v1", "Pod", meta("p"), msg(2, security)))
        assert obj["spec"]["securityContext"]["supplementalGroups"] == groups


def test_negative_integers_are_read_as_twos_complement() -> None:
    # Go encodes a negative int32 as a ten-byte varint of its sign-extended 64-bit value.
    toleration = msg(22, msg(2, "Exists"), num(5, -1))
    obj, _ = decode(body("v1", "Pod", meta("p"), msg(2, num(25, -5), toleration)))

    assert obj["spec"] == {
        "priority": -5,
        "tolerations": [{"operator": "Exists", "tolerationSeconds": -1}],
    }


def test_unknown_field_numbers_are_reported_with_their_path_and_skipped() -> None:
    container = msg(2, msg(1, "c"), num(99, 7), msg(98, "x"))
    labels = entry(11, "a", "b")
    obj, unknown = decode(
        body("v1", "Pod", meta("p", labels, num(50, 1)), msg(2, container), num(9, 1))
    )

    assert obj["spec"] == {"containers": [{"name": "c"}]}
    assert obj["metadata"] == {"name": "p", "labels": {"a": "b"}}
    assert sorted(unknown) == [
        "#9",
        "metadata.#50",
        "spec.containers[0].#98",
        "spec.containers[0].#99",
    ]


def test_repeated_occurrences_of_a_message_merge_and_of_a_scalar_the_last_wins() -> None:
    obj, _ = decode(
        body(
            "v1",
            "Pod",
            meta("first"),
            meta("second", msg(2, "g-")),
            msg(2, msg(3, "Never"), msg(3, "Always")),
        )
    )

    assert obj["metadata"] == {"name": "second", "generateName": "g-"}
    assert obj["spec"] == {"restartPolicy": "Always"}


def test_int_or_string_decodes_to_an_int_or_a_string() -> None:
    def service_port(target: bytes) -> bytes:
        return msg(2, msg(1, num(3, 80), msg(4, target)))

    by_number, _ = decode(body("v1", "Service", meta("s"), service_port(num(1, 0) + num(2, 8080))))
    by_name, _ = decode(body("v1", "Service", meta("s"), service_port(num(1, 1) + msg(3, "http"))))
    unset, _ = decode(body("v1", "Service", meta("s"), service_port(b"")))

    assert by_number["spec"]["ports"] == [{"port": 80, "targetPort": 8080}]
    assert by_name["spec"]["ports"] == [{"port": 80, "targetPort": "http"}]
    assert unset["spec"]["ports"] == [{"port": 80, "targetPort": 0}]


def test_times_are_rfc3339_and_a_zero_time_is_null_except_for_creation() -> None:
    new_year = num(1, 1767225600) + num(2, 999)  # Go's Time keeps the seconds only
    metadata = meta("e", msg(8), msg(9, new_year))
    micro = num(1, 1767225600) + num(2, 123456789)
    event = body("v1", "Event", metadata, msg(6), msg(7, new_year), msg(10, micro))
    obj, _ = decode(event)

    assert obj["metadata"] == {"name": "e", "deletionTimestamp": "2026-01-01T00:00:00Z"}
    assert obj["firstTimestamp"] is None
    assert obj["lastTimestamp"] == "2026-01-01T00:00:00Z"
    assert obj["eventTime"] == "2026-01-01T00:00:00.123456Z"


def test_a_lease_keeps_its_pointer_fields_and_microsecond_times() -> None:
    renew = num(1, 1767225601) + num(2, 500_000_000)
    spec = msg(2, msg(1, "node-1"), num(2, 40), msg(4, renew), num(5, 0))
    obj, _ = decode(body("coordination.k8s.io/v1", "Lease", meta("node-1"), spec))

    assert obj["spec"] == {
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2026-01-01T00:00:01.500000Z",
        "leaseTransitions": 0,
    }


def test_a_node_and_its_endpoints_decode() -> None:
    condition = msg(4, msg(1, "Ready"), msg(2, "True"), msg(3, num(1, 1767225600)), msg(5, ""))
    kubelet = msg(6, msg(1, num(1, 10250)))
    status = msg(
        3,
        entry(1, "cpu", msg(1, "4")),
        condition,
        msg(5, msg(1, "InternalIP"), msg(2, "10.0.0.5")),
        kubelet,
    )
    node, _ = decode(
        body("v1", "Node", meta("n1"), msg(2, msg(1, "10.244.1.0/24"), num(4, 0)), status)
    )
    address = msg(1, msg(1, "10.244.1.7"), msg(4, "n1"), msg(2, msg(1, "Pod"), msg(3, "web-1")))
    subset = msg(2, address, msg(3, num(2, 8080), msg(3, "TCP")))
    endpoints, _ = decode(body("v1", "Endpoints", meta("web"), subset))

    assert node["spec"] == {"podCIDR": "10.244.1.0/24"}
    assert node["status"] == {
        "capacity": {"cpu": "4"},
        "conditions": [
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:00:00Z"}
        ],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    }
    assert endpoints["subsets"] == [
        {
            "addresses": [
                {
                    "ip": "10.244.1.7",
                    "nodeName": "n1",
                    "targetRef": {"kind": "Pod", "name": "web-1"},
                }
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]


def test_bytes_are_base64_as_in_json() -> None:
    obj, _ = decode(body("v1", "Secret", meta("s"), entry(2, "k", b"\x00\xffhi"), msg(3, "Opaque")))

    assert obj["data"] == {"k": "AP9oaQ=="}
    assert obj["type"] == "Opaque"


def test_inline_fields_belong_to_the_parent() -> None:
    probe = msg(10, msg(1, msg(3, msg(1, num(1, 0), num(2, 8080)))), num(4, 5))
    volume = msg(1, msg(1, "conf"), msg(2, msg(19, msg(1, msg(1, "settings")))))
    obj, _ = decode(body("v1", "Pod", meta("p"), msg(2, volume, msg(2, msg(1, "c"), probe))))

    assert obj["spec"]["volumes"] == [{"name": "conf", "configMap": {"name": "settings"}}]
    assert obj["spec"]["containers"][0]["livenessProbe"] == {
        "tcpSocket": {"port": 8080},
        "periodSeconds": 5,
    }


def test_scale_binding_and_delete_options_decode() -> None:
    scale, _ = decode(body("autoscaling/v1", "Scale", meta("rc"), msg(2, num(1, 0))))
    binding, _ = decode(body("v1", "Binding", meta("p"), msg(2, msg(1, "Node"), msg(3, "n1"))))
    delete = body(
        "coordination.k8s.io/v1",
        "DeleteOptions",
        num(1, 0),
        msg(2, msg(1, "u")),
        msg(4, "Foreground"),
    )
    options, _ = decode(delete)

    assert scale["spec"] == {"replicas": 0}
    assert binding["target"] == {"kind": "Node", "name": "n1"}
    assert options == {
        "kind": "DeleteOptions",
        "apiVersion": "coordination.k8s.io/v1",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "u"},
        "propagationPolicy": "Foreground",
    }


def test_managed_fields_carry_their_raw_json() -> None:
    managed = msg(17, msg(1, "kubectl"), msg(6, "FieldsV1"), msg(7, msg(1, '{"f:data":{}}')))
    obj, _ = decode(body("v1", "ConfigMap", meta("c", managed)))

    assert obj["metadata"]["managedFields"] == [
        {"manager": "kubectl", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}
    ]


def test_a_raw_extension_holds_json_or_a_nested_protobuf_object() -> None:
    decoder = Decoder(merge(DECODER.messages, parse_messages("Wrapper:\n  1 items []raw\n")))
    nested = body("v1", "Namespace", meta("inner"))
    data = body("v1", "Wrapper", msg(1, msg(1, '{"kind":"Thing"}')), msg(1, msg(1, nested)), msg(1))
    unknown: list[str] = []

    assert decoder.object(data, unknown=unknown)["items"] == [
        {"kind": "Thing"},
        {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "inner"}},
        None,
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"kind": "Namespace"}', "does not appear to be a protobuf message"),
        (b"k8s\x00" + msg(1, msg(1, "v1")), "does not say its apiVersion and kind"),
        (body("v1", "Namespace", b"\x0a\x05ab"), "longer than the data that is left"),
        (body("v1", "Namespace", b"\x08\xff"), "unexpected end of data in a varint"),
        (body("v1", "Namespace", msg(1, num(1, 3))), "metadata.name: wrong wire type 0"),
        (body("v1", "Namespace", meta("x", msg(11, msg(1, "a"), num(2, 1)))), "labels: wrong wire"),
        (body("v1", "Namespace", b"\x0b"), "unsupported wire type 3"),
        (body("v1", "Namespace") + msg(3, "gzip"), "unsupported content encoding"),
        (body("v1", "Namespace", meta("x", msg(9, num(1, 2**62)))), "metadata.deletionTimestamp"),
    ],
)
def test_malformed_bodies_raise_a_protobuf_error(data: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message):
        decode_object(data)


def test_an_error_inside_the_object_names_its_kind() -> None:
    with pytest.raises(ProtobufError) as raised:
        decode_object(body("coordination.k8s.io/v1", "Lease", msg(2, num(1, 3))))

    assert (raised.value.kind, raised.value.api_version) == ("Lease", "coordination.k8s.io/v1")
    assert str(raised.value) == "spec.holderIdentity: wrong wire type 0 for a str field"


def test_a_kind_without_a_schema_is_its_own_error() -> None:
    with pytest.raises(UnknownKind, match='kind "Job" in version "batch/v1"'):
        decode_object(body("batch/v1", "Job", meta("j")))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  1 name str\n", "field outside a message"),
        ("A:\n  1 name str\n  1 other str\n", "field 1 is defined twice"),
        ("A:\n  one name str\n", "cannot parse"),
        ("A:\n  1 name {str\n", "unbalanced"),
        ("A:\n  1 name str shiny\n", "unknown flags"),
        ("A:\n  1 name str inline\n", "only a single message can be inline"),
    ],
)
def test_the_schema_language_refuses_bad_text(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_messages(text)


def test_a_schema_must_define_every_message_it_uses() -> None:
    with pytest.raises(SchemaError, match="used but not defined: Missing"):
        merge(parse_messages("A:\n  1 b Missing\n"))


# -- real bodies from the real kubectl --


@dataclass(frozen=True)
class Captured:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class CaptureServer:
    """A loopback HTTP server that serves discovery and canned objects and records writes."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[Captured] = field(default_factory=list)
    refuse_protobuf: bool = False


_DISCOVERY: dict[str, dict[str, Any]] = {
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/api/v1": {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            {
                "name": name,
                "singularName": singular,
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            }
            for name, singular, kind, namespaced in (
                ("namespaces", "namespace", "Namespace", False),
                ("pods", "pod", "Pod", True),
                ("services", "service", "Service", True),
                ("replicationcontrollers", "replicationcontroller", "ReplicationController", True),
            )
        ],
    },
    "/apis": {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": "batch",
                "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"},
            }
        ],
    },
    "/apis/batch/v1": {
        "kind": "APIResourceList",
        "groupVersion": "batch/v1",
        "resources": [
            {
                "name": "jobs",
                "singularName": "job",
                "namespaced": True,
                "kind": "Job",
                "verbs": ["create", "get", "list"],
            },
            {
                "name": "cronjobs",
                "singularName": "cronjob",
                "namespaced": True,
                "kind": "CronJob",
                "verbs": ["create", "get", "list"],
            },
        ],
    },
}


def _failure(code: int, reason: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "code": code,
    }


def _handler(state: CaptureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            found = state.objects.get(path) or _DISCOVERY.get(path)
            if found is None:
                self._reply(404, _failure(404, "NotFound"))
            else:
                self._reply(200, found)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "")
            state.writes.append(Captured("POST", urlsplit(self.path).path, content_type, data))
            if content_type == PROTOBUF and state.refuse_protobuf:
                self._reply(415, _failure(415, "UnsupportedMediaType"))
            elif content_type == PROTOBUF:
                self._reply(201, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
            else:
                self._reply(201, json.loads(data))

        def _reply(self, code: int, obj: dict[str, Any]) -> None:
            payload = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Kubectl:
    state: CaptureServer
    kubeconfig: Path
    home: Path

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return kubectl(self.kubeconfig, *args, home=self.home, timeout=30)

    def dry_run_json(self, *args: str) -> dict[str, Any]:
        """What kubectl prints for the command with ``--dry-run=client -o json``."""
        split = args.index("--") if "--" in args else len(args)
        result = self(*args[:split], "--dry-run=client", "-o", "json", *args[split:])
        assert result.returncode == 0, result.stderr
        printed: dict[str, Any] = json.loads(result.stdout)
        return printed

    def only_write(self) -> Captured:
        assert len(self.state.writes) == 1, self.state.writes
        return self.state.writes[0]


@pytest.fixture
def kubectl_capture(tmp_path: Path) -> Iterator[Kubectl]:
    state = CaptureServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}
                ],
                "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
                "contexts": [
                    {"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}
                ],
                "current-context": "x",
            }
        )
    )
    try:
        yield Kubectl(state, kubeconfig, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


PROTOBUF_COMMANDS = [
    ("create", "namespace", "x"),
    ("create", "service", "nodeport", "web", "--tcp=80:8080"),
    ("create", "service", "clusterip", "headless", "--clusterip=None"),
    ("create", "service", "loadbalancer", "lb", "--tcp=5678:8080"),
    ("create", "service", "externalname", "ext", "--external-name=example.com"),
    ("create", "configmap", "settings", "--from-literal=a=b", "--from-literal=empty="),
    ("create", "secret", "generic", "pw", "--from-literal=a=b"),
    ("create", "serviceaccount", "robot"),
]


@pytest.mark.slow
@pytest.mark.parametrize("args", PROTOBUF_COMMANDS, ids=lambda args: "-".join(args[1:3]))
def test_kubectl_create_sends_protobuf_that_decodes_to_the_json_it_prints(
    kubectl_capture: Kubectl, args: tuple[str, ...]
) -> None:
    result = kubectl_capture(*args)
    assert result.returncode == 0, result.stderr
    sent = kubectl_capture.only_write()

    obj, unknown = decode(sent.body)

    assert sent.content_type == PROTOBUF
    assert obj == kubectl_capture.dry_run_json(*args)
    assert unknown == []


@pytest.mark.slow
def test_kubectl_run_sends_json_not_protobuf(kubectl_capture: Kubectl) -> None:
    flags = ("--image=busybox", "--port=8080", "--env=A=B", "--labels=app=web")
    args = ("run", "web", *flags, "--", "sleep", "1000")
    result = kubectl_capture(*args)
    assert result.returncode == 0, result.stderr
    sent = kubectl_capture.only_write()

    assert sent.content_type == "application/json"
    assert json.loads(sent.body) == kubectl_capture.dry_run_json(*args)


@pytest.mark.slow
def test_kubectl_does_not_fall_back_to_json_after_a_415(kubectl_capture: Kubectl) -> None:
    kubectl_capture.state.refuse_protobuf = True

    result = kubectl_capture("create", "namespace", "x")

    assert result.returncode != 0
    assert "UnsupportedMediaType" in result.stderr
    assert kubectl_capture.only_write().content_type == PROTOBUF


# batch/v1 Job wraps a core/v1 PodTemplateSpec: enough of it to reach the template.
JOB_SCHEMA = """
Job:
  1 metadata ObjectMeta
  2 spec JobSpec
JobSpec:
  6 template PodTemplateSpec
"""
JOB = Decoder(merge(DECODER.messages, parse_messages(JOB_SCHEMA)))


@pytest.mark.slow
def test_a_pod_template_with_every_field_decodes_to_the_json_kubectl_prints(
    kubectl_capture: Kubectl,
) -> None:
    # kubectl copies a CronJob's pod template, which we serve as JSON, into a Job it sends as
    # protobuf: so any pod template can be round-tripped through Go's protobuf encoder.
    template = json.loads((Path(__file__).parent / "protobuf_pod_template.json").read_text())
    kubectl_capture.state.objects["/apis/batch/v1/namespaces/default/cronjobs/sink"] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "sink", "namespace": "default", "uid": "u-9"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}},
    }
    args = ("create", "job", "copy", "--from=cronjob/sink")
    result = kubectl_capture(*args)
    assert result.returncode == 0, result.stderr
    sent = kubectl_capture.only_write()
    unknown: list[str] = []

    job = JOB.object(sent.body, unknown=unknown)
    printed = kubectl_capture.dry_run_json(*args)

    assert sent.content_type == PROTOBUF
    assert job["metadata"] == printed["metadata"]
    assert job["spec"]["template"] == printed["spec"]["template"]
    assert [path for path in unknown if path.startswith("spec.template")] == []
    # The template really went through: volumes of every type, containers of every kind.
    assert len(job["spec"]["template"]["spec"]["volumes"]) == len(template["spec"]["volumes"])
    assert job["spec"]["template"]["spec"]["ephemeralContainers"][0]["targetContainerName"] == "c"

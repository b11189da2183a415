"""Probe handlers and result thresholds, without Docker: loopback servers and a fake exec."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from nodeagent.pods.prober import ResultTracker
from nodeagent.pods.probes import (
    LIVENESS,
    READINESS,
    STARTUP,
    ProbeSpec,
    Target,
    http_probe,
    port_number,
    probe_spec,
    run_probe,
    tcp_probe,
)
from nodeagent.runtime.base import ExecResult
from tests.serving import free_port


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 200 if self.path == "/healthz" else 500
        body = f"{self.headers.get('X-Probe', '-')} {self.headers['User-Agent']}".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class FakeExec:
    """A runtime that only answers ``exec``, with a canned result."""

    def __init__(self, result: ExecResult) -> None:
        self.result = result
        self.calls: list[tuple[str, list[str], float]] = []

    def exec(self, container_id: str, command: list[str], timeout: float) -> ExecResult:
        self.calls.append((container_id, command, timeout))
        return self.result


def test_probe_defaults_are_kubelets() -> None:
    spec = probe_spec({"readinessProbe": {"tcpSocket": {"port": 80}}}, READINESS)
    assert spec == ProbeSpec(
        kind=READINESS,
        handler={"tcpSocket": {"port": 80}},
        initial_delay=0.0,
        period=10.0,
        timeout=1.0,
        failure_threshold=3,
        success_threshold=1,
    )
    assert probe_spec({}, LIVENESS) is None


def test_liveness_and_startup_need_only_one_success() -> None:
    raw = {"exec": {"command": ["true"]}, "successThreshold": 3, "failureThreshold": 2}
    container = {"livenessProbe": raw, "startupProbe": raw, "readinessProbe": raw}
    assert probe_spec(container, LIVENESS).success_threshold == 1  # type: ignore[union-attr]
    assert probe_spec(container, STARTUP).success_threshold == 1  # type: ignore[union-attr]
    assert probe_spec(container, READINESS).success_threshold == 3  # type: ignore[union-attr]


def test_readiness_changes_only_after_its_thresholds() -> None:
    spec = ProbeSpec(READINESS, {}, failure_threshold=2, success_threshold=2)
    tracker = ResultTracker(spec)
    assert tracker.result is False
    assert [tracker.record(ok) for ok in (True, False, True, True)] == [False, False, False, True]
    assert tracker.result is True
    assert [tracker.record(ok) for ok in (False, True, False, False)] == [
        False,
        False,
        False,
        True,
    ]
    assert tracker.result is False
    assert not tracker.on_hold


def test_a_failed_liveness_probe_holds_until_its_container_is_replaced() -> None:
    tracker = ResultTracker(ProbeSpec(LIVENESS, {}, failure_threshold=3))
    assert tracker.result is True
    assert [tracker.record(False) for _ in range(3)] == [False, False, True]
    assert tracker.result is False
    assert tracker.on_hold


def test_http_probe_passes_on_2xx_and_sends_headers(http_port: int) -> None:
    action = {
        "path": "healthz",
        "port": http_port,
        "httpHeaders": [{"name": "X-Probe", "value": "a"}],
    }
    outcome = http_probe("127.0.0.1", action, {}, 1.0)
    assert outcome.ok
    assert outcome.output == "a kube-probe/1.37"


def test_http_probe_fails_on_5xx_with_kubelets_message(http_port: int) -> None:
    outcome = http_probe("127.0.0.1", {"path": "/broken", "port": "web"}, {"web": http_port}, 1.0)
    assert not outcome.ok
    assert outcome.output == "HTTP probe failed with statuscode: 500"


def test_http_probe_fails_when_nothing_listens() -> None:
    port = free_port()
    outcome = http_probe("127.0.0.1", {"path": "/", "port": port}, {}, 1.0)
    assert not outcome.ok
    assert outcome.output.startswith(f'Get "http://127.0.0.1:{port}/": ')


def test_tcp_probe_passes_when_the_port_accepts() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert tcp_probe("127.0.0.1", listener.getsockname()[1], 1.0).ok
    closed = free_port()
    outcome = tcp_probe("127.0.0.1", closed, 1.0)
    assert not outcome.ok
    assert outcome.output.startswith(f"dial tcp 127.0.0.1:{closed}: ")


def test_exec_probe_runs_in_the_container_and_uses_its_exit_code() -> None:
    runtime = FakeExec(ExecResult(exit_code=1, output="cat: can't open '/tmp/healthy'"))
    spec = ProbeSpec(LIVENESS, {"exec": {"command": ["cat", "/tmp/healthy"]}}, timeout=2.0)
    outcome = run_probe(spec, Target("c1", "", {}), runtime)  # type: ignore[arg-type]
    assert (outcome.ok, outcome.output) == (False, "cat: can't open '/tmp/healthy'")
    assert runtime.calls == [("c1", ["cat", "/tmp/healthy"], 2.0)]


def test_an_exec_probe_that_runs_out_of_time_fails() -> None:
    runtime = FakeExec(ExecResult(exit_code=None, output=""))
    spec = ProbeSpec(LIVENESS, {"exec": {"command": ["sleep", "9"]}}, timeout=1.0)
    outcome = run_probe(spec, Target("c1", "", {}), runtime)  # type: ignore[arg-type]
    assert (outcome.ok, outcome.output) == (False, "command 'sleep 9' timed out after 1s")


def test_network_probes_need_the_pod_ip_and_a_known_port() -> None:
    spec = ProbeSpec(READINESS, {"tcpSocket": {"port": 80}})
    assert run_probe(spec, Target("c1", "", {}), FakeExec(ExecResult(0, ""))).errored  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="named ports"):
        port_number("metrics", {"http": 80})
    assert port_number("8080", {}) == 8080

"""What a node agent's credentials may do: kube's Node authorizer and NodeRestriction, in one.

Kubelet authenticates as ``system:node:<name>`` and kube-apiserver confines it in two steps,
an authorizer (which verbs on which resources) and an admission plugin (that the object is the
node's own). Here both are this one check, made by the API's dispatchers before a request's
handler runs (``views._run`` for the verbs, ``watchapp`` and ``views.resource`` for watches,
``podlogs`` for logs). A node may:

- read (get, list, watch) nodes, pods, services, endpoints, EndpointSlices and namespaces,
  which it needs to run its pods and proxy Services;
- create, update and patch its own Node and its ``nodes/status``;
- get, create, update and patch its own Lease in ``kube-node-lease``;
- update and patch ``pods/status``, and delete, only for pods bound to it
  (``spec.nodeName``), which is read from the stored pod, never from the request;
- create, update and patch events.

Everything else is 403 Forbidden, worded as kube-apiserver words it. Every other user keeps
full access: authorization of ordinary users (RBAC) is not implemented. A user is a node by its
name alone (``system:node:`` prefix), so that a name that looks like a node's can never get
more than a node gets, and the check needs no database query for anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cluster.api.target import Target
from cluster.api.tokens import node_name_of
from cluster.registry.catalog import default_registry
from cluster.registry.errors import Forbidden

LEASE_NAMESPACE = "kube-node-lease"
_READ = frozenset({"get", "list", "watch"})
_WRITE = frozenset({"create", "update", "patch"})
_READABLE = frozenset(
    {
        ("", "nodes"),
        ("", "pods"),
        ("", "services"),
        ("", "endpoints"),
        ("", "namespaces"),
        ("discovery.k8s.io", "endpointslices"),
    }
)
_EVENTS = frozenset({("", "events"), ("events.k8s.io", "events")})

# The name of the object a create sends in its body, read only when a rule needs it.
BodyName = Callable[[], str | None]


def request_verb(method: str, target: Target, *, watch: bool = False) -> str:
    """The Kubernetes verb of an HTTP request on ``target``."""
    if method in ("GET", "HEAD"):
        if watch:
            return "watch"
        return "list" if target.is_collection else "get"
    if method == "DELETE":
        return "deletecollection" if target.is_collection else "delete"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def authorize(username: str, target: Target, verb: str, body_name: BodyName) -> None:
    """Raise ``Forbidden`` if ``username`` may not ``verb`` ``target``."""
    node = node_name_of(username)
    if node is None:
        return
    allowed, reason = _node_may(node, target, verb, body_name)
    if not allowed:
        raise forbidden(username, target, verb, reason, name=_shown_name(target, reason, body_name))


def _shown_name(target: Target, reason: str, body_name: BodyName) -> str | None:
    """The name a refusal names: a create's names the body's object only when a rule about
    that object refused it (kube's admission); the authorizer alone sees no body."""
    if target.name is None and reason:
        return body_name()
    return target.name


def _node_may(node: str, target: Target, verb: str, body_name: BodyName) -> tuple[bool, str]:
    """(allowed, why not) for node ``node``."""
    resource = target.resource
    key = (resource.group, resource.plural)
    sub = target.subresource
    if verb in _READ and key in _READABLE and sub in (None, "status"):
        return True, ""
    if key == ("", "nodes"):
        return _own_node(node, target, verb, body_name)
    if key == ("coordination.k8s.io", "leases"):
        return _own_lease(node, target, verb, body_name)
    if key == ("", "pods"):
        return _bound_pod(node, target, verb)
    if key in _EVENTS and verb in _WRITE and sub is None:
        return True, ""
    return False, ""


def _own_node(node: str, target: Target, verb: str, body_name: BodyName) -> tuple[bool, str]:
    if verb not in _WRITE or target.subresource not in (None, "status"):
        return False, ""
    name = body_name() if verb == "create" else target.name
    if name != node:
        return False, f'node "{node}" is not allowed to modify node "{name}"'
    return True, ""


def _own_lease(node: str, target: Target, verb: str, body_name: BodyName) -> tuple[bool, str]:
    if verb not in _WRITE | {"get"} or target.subresource is not None:
        return False, ""
    name = body_name() if verb == "create" else target.name
    if target.namespace != LEASE_NAMESPACE or name != node:
        return False, "can only access node lease with the same name as the requesting node"
    return True, ""


def _bound_pod(node: str, target: Target, verb: str) -> tuple[bool, str]:
    if target.subresource == "status" and verb in ("update", "patch"):
        doing = "update pod status for"
    elif target.subresource is None and verb == "delete":
        doing = "delete"
    else:
        return False, ""
    assert target.name is not None
    pod = default_registry().get(target.resource, target.namespace, target.name)
    if (pod.get("spec") or {}).get("nodeName") != node:
        return False, f'node "{node}" can only {doing} pods with spec.nodeName set to itself'
    return True, ""


def forbidden(
    username: str, target: Target, verb: str, reason: str, *, name: str | None
) -> Forbidden:
    """kube-apiserver's 403 for a refused request, with its message and details."""
    resource = target.resource
    shown = resource.plural + (f"/{target.subresource}" if target.subresource else "")
    scope = (
        f'in the namespace "{target.namespace}"'
        if resource.namespaced and target.namespace
        else "at the cluster scope"
    )
    message = (
        f'User "{username}" cannot {verb} resource "{shown}" in API group "{resource.group}" '
        + scope
        + (f": {reason}" if reason else "")
    )
    subject = f'{resource.group_resource} "{name}"' if name else resource.group_resource
    error = Forbidden(f"{subject} is forbidden: {message}")
    details: dict[str, Any] = {"name": name or "", "group": resource.group, "kind": resource.plural}
    error.details = details
    return error

"""Events about pods, as kubelet records them (``source.component: kubelet``).

Events are for humans (``kubectl describe``), so a failure to record one is logged and
otherwise ignored. A repeat of the same event for the same object bumps the first one's
``count`` and ``lastTimestamp`` instead of adding another, as kubelet's recorder aggregates.

An event is named ``<object>.<nanoseconds, hex>`` as kubelet names them, so that names sort in
the order the events happened: ``kubectl describe`` orders events by ``lastTimestamp``, which
has whole seconds, and leaves those of one second in the order the API lists them, by name.
Random names printed Started before Created whenever both fell in the same second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from nodeagent import timefmt
from nodeagent.client import ApiClient
from nodeagent.errors import ApiError

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
# Recorded events remembered for aggregation; old entries go first once this many are held.
_MEMORY = 4096


class EventRecorder:
    def __init__(self, client: ApiClient, node_name: str) -> None:
        self.client = client
        self.node_name = node_name
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, ...], dict[str, Any]] = {}
        self._last_ns = 0

    def pod_event(
        self,
        pod: Mapping[str, Any],
        kind: str,
        reason: str,
        message: str,
        *,
        field_path: str = "",
    ) -> None:
        meta = pod.get("metadata") or {}
        involved = {
            "apiVersion": "v1",
            "kind": "Pod",
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        key = (str(meta.get("uid")), field_path, kind, reason, message)
        try:
            self._record(key, involved, kind, reason, message)
        except ApiError as e:
            log.info("could not record event %s for pod %s: %s", reason, meta.get("name"), e)

    def _record(
        self, key: tuple[str, ...], involved: dict[str, Any], kind: str, reason: str, message: str
    ) -> None:
        namespace = involved["namespace"]
        path = f"/api/v1/namespaces/{namespace}/events"
        stamp = timefmt.rfc3339(timefmt.now())
        with self._lock:
            earlier = self._seen.get(key)
        if earlier is not None:
            patch = {"count": earlier["count"] + 1, "lastTimestamp": stamp}
            try:
                updated = self.client.merge_patch(f"{path}/{earlier['metadata']['name']}", patch)
                self._remember(key, updated)
                return
            except ApiError:
                pass  # expired or removed: record it anew
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{involved['name']}.{self._next_ns():x}"},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": "kubelet", "host": self.node_name},
            "reportingComponent": "kubelet",
            "reportingInstance": self.node_name,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self._remember(key, self.client.create(path, event))

    def _next_ns(self) -> int:
        """Now in nanoseconds, later than any this recorder gave before (names never repeat,
        and keep their order, however close together two events come)."""
        with self._lock:
            self._last_ns = max(time.time_ns(), self._last_ns + 1)
            return self._last_ns

    def _remember(self, key: tuple[str, ...], event: dict[str, Any]) -> None:
        with self._lock:
            if len(self._seen) >= _MEMORY:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = event

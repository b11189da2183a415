"""Probe workers: each probe of each running container probed on its own thread, as kubelet's
prober runs one goroutine per probe, so a slow probe delays nothing else.

A worker probes every ``periodSeconds`` once the container has run ``initialDelaySeconds``,
records an ``Unhealthy`` event for every failure, and changes its result only after
``failureThreshold`` failures or ``successThreshold`` successes in a row. Results start as
kubelet's do: a container is not ready until its readiness probe passes, is alive until its
liveness probe fails, and has not started until its startup probe passes; until then the
other two probes wait. A liveness or startup result that turns to failure puts the worker on
hold: the pod's sync kills that container, and its successor gets fresh workers.

Every result change wakes the pod's worker, so the new status is written at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from nodeagent import labels, timefmt
from nodeagent.events import WARNING, EventRecorder
from nodeagent.pods.probes import (
    KINDS,
    LIVENESS,
    READINESS,
    STARTUP,
    ProbeRunner,
    ProbeSpec,
    Target,
    named_ports,
    probe_spec,
    run_probe,
)
from nodeagent.pods.status import Health
from nodeagent.runtime.base import Container, Runtime


class ResultTracker:
    """A probe's result with its thresholds applied (kubelet's worker bookkeeping)."""

    def __init__(self, spec: ProbeSpec) -> None:
        self.spec = spec
        self.result = spec.kind == LIVENESS
        # Set when a liveness or startup probe has failed for good: no more probing.
        self.on_hold = False
        self._last: bool | None = None
        self._run = 0

    def record(self, ok: bool) -> bool:
        """Count one outcome; whether the result changed."""
        if ok == self._last:
            self._run += 1
        else:
            self._last, self._run = ok, 1
        threshold = self.spec.success_threshold if ok else self.spec.failure_threshold
        if self._run < threshold:
            return False
        changed = ok != self.result
        self.result = ok
        if not ok and self.spec.kind in (LIVENESS, STARTUP):
            self.on_hold = True
            self._run = 0
        return changed


class ProbeWorker:
    def __init__(
        self,
        spec: ProbeSpec,
        target: Target,
        *,
        pod: Mapping[str, Any],
        container_name: str,
        started_at: datetime | None,
        runtime: Runtime,
        events: EventRecorder,
        may_probe: Callable[[], bool],
        on_change: Callable[[], None],
        run: ProbeRunner = run_probe,
    ) -> None:
        self.run = run
        self.tracker = ResultTracker(spec)
        self.spec = spec
        self.target = target
        self.pod = pod
        self.container_name = container_name
        self.started_at = started_at
        self.runtime = runtime
        self.events = events
        self.may_probe = may_probe
        self.on_change = on_change
        self.halt = threading.Event()
        name = f"probe-{spec.kind}-{target.container_id[:8]}"
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while not self.halt.is_set():
            self.probe_once()
            self.halt.wait(self.spec.period)

    def _too_early(self) -> bool:
        if self.started_at is None or not self.spec.initial_delay:
            return False
        return (timefmt.now() - self.started_at).total_seconds() < self.spec.initial_delay

    def probe_once(self) -> None:
        tracker = self.tracker
        done = tracker.on_hold or (self.spec.kind == STARTUP and tracker.result)
        if done or not self.may_probe() or self._too_early():
            return
        outcome = self.run(self.spec, self.target, self.runtime)
        if self.halt.is_set():
            return  # the container went away while it was probed
        if not outcome.ok:
            verb = "errored" if outcome.errored else "failed"
            self.events.pod_event(
                self.pod,
                WARNING,
                "Unhealthy",
                f"{self.spec.kind.capitalize()} probe {verb}: {outcome.output}",
                field_path=f"spec.containers{{{self.container_name}}}",
            )
        if tracker.record(outcome.ok):
            self.on_change()


class PodProber:
    """The probe workers of one pod's running app containers."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        events: EventRecorder,
        on_change: Callable[[], None],
        run: ProbeRunner = run_probe,
    ) -> None:
        self.run = run
        self.runtime = runtime
        self.events = events
        self.on_change = on_change
        self._workers: dict[tuple[str, str], ProbeWorker] = {}

    def update(self, pod: Mapping[str, Any], containers: list[Container], pod_ip: str) -> None:
        """Probe the running app containers; stop probing the others."""
        specs = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or []}
        running = {
            c.id: c
            for c in containers
            if c.state == "running"
            and c.labels.get(labels.CONTAINER_KIND) == labels.APP
            and c.labels.get(labels.INIT) != "true"
            and c.labels.get(labels.CONTAINER_NAME) in specs
        }
        for key in [k for k in self._workers if k[0] not in running]:
            self._workers.pop(key).halt.set()
        for container in running.values():
            spec = specs[container.labels[labels.CONTAINER_NAME]]
            target = Target(container.id, pod_ip, named_ports(spec))
            for kind in KINDS:
                probe = probe_spec(spec, kind)
                if probe is not None and (container.id, kind) not in self._workers:
                    self._start(pod, container, probe, target)

    def _start(
        self, pod: Mapping[str, Any], container: Container, probe: ProbeSpec, target: Target
    ) -> None:
        container_id = container.id
        worker = ProbeWorker(
            probe,
            target,
            pod=pod,
            container_name=container.labels[labels.CONTAINER_NAME],
            started_at=container.started_at,
            runtime=self.runtime,
            events=self.events,
            may_probe=lambda: probe.kind == STARTUP or self.health(container_id).started,
            on_change=self.on_change,
            run=self.run,
        )
        self._workers[(container_id, probe.kind)] = worker
        worker.thread.start()

    def _result(self, container_id: str, kind: str) -> bool | None:
        worker = self._workers.get((container_id, kind))
        return None if worker is None else worker.tracker.result

    def health(self, container_id: str) -> Health:
        startup = self._result(container_id, STARTUP)
        started = startup is None or startup
        readiness = self._result(container_id, READINESS)
        return Health(started=started, ready=started and readiness is not False)

    def health_of(self, containers: list[Container]) -> dict[str, Health]:
        return {c.id: self.health(c.id) for c in containers}

    def failed(self, container_id: str) -> ProbeSpec | None:
        """The liveness or startup probe that failed the container for good, if one did."""
        for kind in (STARTUP, LIVENESS):
            worker = self._workers.get((container_id, kind))
            if worker is not None and worker.tracker.on_hold:
                return worker.spec
        return None

    def close(self) -> None:
        for worker in self._workers.values():
            worker.halt.set()
        self._workers.clear()

"""One pod's reconciliation: make its containers what its spec says, then report its status.

``PodSyncer.sync`` is kubelet's ``SyncPod`` for one pod and is level-triggered: it reads the
pod's containers from the runtime each time and acts on the difference, so it adopts whatever
an earlier agent started (restart counts live in container labels) and is safe to repeat. The
order is kubelet's: sandbox first (it holds the network namespace), then the init containers one
at a time, then the app containers. A container that exits is restarted as ``restartPolicy``
says, after an exponential back-off (CrashLoopBackOff); images are pulled as
``imagePullPolicy`` says, with their own back-off (ImagePullBackOff).

Probes run on their own threads (``prober``); each pass reads their results: readiness and
startup decide ``ready`` and ``started``, and a failed liveness or startup probe gets its
container killed here, before the restart logic sees it exited.

``terminate`` is the graceful stop (SIGTERM, up to the grace period, SIGKILL, remove) and
``confirm_deletion`` tells the API the pod is gone from the node.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeagent import labels, timefmt
from nodeagent.client import ApiClient
from nodeagent.errors import Conflict, NotFound
from nodeagent.events import NORMAL, WARNING, EventRecorder
from nodeagent.pods.backoff import BackOff
from nodeagent.pods.containerspec import (
    ConfigError,
    PodContext,
    container_config,
    sandbox_config,
)
from nodeagent.pods.prober import PodProber
from nodeagent.pods.probes import ProbeRunner, run_probe
from nodeagent.pods.status import (
    TERMINAL_PHASES,
    Waiting,
    has_failed,
    has_succeeded,
    instances,
    latest,
    pod_status,
    ran_in,
    sandboxes,
)
from nodeagent.runtime.base import (
    Container,
    ImageMissing,
    PullFailed,
    Runtime,
    RuntimeFailure,
    StartFailed,
)
from nodeagent.services import ServiceCache

log = logging.getLogger(__name__)

# How often a stopping pod's containers are checked while they have time to exit.
_STOP_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class NodeSettings:
    """What every pod on this node shares."""

    node_name: str
    host_ip: str
    infra_image: str
    network: str
    data_dir: Path
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    # How probes run: for real, or (on a simulated node) without touching the network.
    probe_runner: ProbeRunner = run_probe


def pull_policy(container: Mapping[str, Any]) -> str:
    """The policy, defaulted as the API does: Always for ``:latest`` or no tag."""
    policy = container.get("imagePullPolicy")
    if policy:
        return str(policy)
    image = str(container.get("image", ""))
    tag = image.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    return "Always" if tag in ("", "latest") and "@" not in image else "IfNotPresent"


def should_restart(policy: str, container: Container) -> bool:
    if policy == "Always":
        return True
    return policy == "OnFailure" and has_failed(container)


def containers_to_start(pod: Mapping[str, Any], containers: list[Container]) -> list[str]:
    """The app containers a new sandbox would run, as kubelet's ``computePodActions`` picks
    them once a pod's sandbox died: all of them, but none under Never, and under OnFailure
    not those that succeeded. Empty: the pod gets no new sandbox."""
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy") or "Always"
    if policy == "Never":
        return []
    names = [str(c["name"]) for c in spec.get("containers") or []]
    if policy == "OnFailure":
        return [
            name
            for name in names
            if not ((found := latest(containers, name)) is not None and has_succeeded(found))
        ]
    return names


def _field_path(name: str, init: bool) -> str:
    return f"spec.{'initContainers' if init else 'containers'}{{{name}}}"


class PodSyncer:
    """Runs and reports one pod (by UID). Not thread-safe: one worker thread owns it."""

    def __init__(
        self,
        uid: str,
        *,
        runtime: Runtime,
        client: ApiClient,
        events: EventRecorder,
        settings: NodeSettings,
        stop: threading.Event,
        wake: Callable[[], None] = lambda: None,
        services: ServiceCache | None = None,
    ) -> None:
        self.uid = uid
        self.services = services
        self.runtime = runtime
        self.client = client
        self.events = events
        self.settings = settings
        self.stop = stop
        self.restarts = BackOff(settings.backoff_initial, settings.backoff_max)
        self.pulls = BackOff(settings.backoff_initial, settings.backoff_max)
        self.waiting: dict[str, Waiting] = {}
        self.reported: dict[str, Any] | None = None
        # Seconds until a back-off ends, for each one met during the current pass.
        self._wakes: list[float] = []
        self.prober = PodProber(
            runtime=runtime, events=events, on_change=wake, run=settings.probe_runner
        )

    # -- reading --

    def containers(self) -> list[Container]:
        return self.runtime.containers(
            {labels.NODE: self.settings.node_name, labels.POD_UID: self.uid}
        )

    @property
    def pod_dir(self) -> Path:
        return self.settings.data_dir / "pods" / self.uid

    def volume_path(self, name: str) -> Path:
        return self.pod_dir / "volumes" / "kubernetes.io~empty-dir" / name

    # -- sync --

    def sync(self, pod: Mapping[str, Any]) -> float | None:
        """One pass over the pod; the seconds after which it wants another, if it has a reason."""
        self._wakes = []
        containers = self.containers()
        # A pod that ended stays ended, even before the watch brings back the status we wrote.
        phases = ((pod.get("status") or {}).get("phase"), (self.reported or {}).get("phase"))
        if any(phase in TERMINAL_PHASES for phase in phases):
            self._stop_sandboxes(containers)
            return None
        sandbox = self._ensure_sandbox(pod, containers)
        if sandbox is not None:
            self._ensure_volumes(pod)
            containers = self.containers()
            if self._kill_unhealthy(pod, containers):
                containers = self.containers()
            self._run_containers(pod, containers, sandbox)
            containers = self.containers()
            self.prober.update(pod, containers, sandbox.ip or "")
        status = pod_status(
            pod,
            containers,
            waiting=self.waiting,
            host_ip=self.settings.host_ip,
            now=timefmt.now(),
            health=self.prober.health_of(containers),
        )
        if status["phase"] in TERMINAL_PHASES:
            self._stop_sandboxes(containers)
        self._report(pod, status)
        return min(self._wakes) if self._wakes else None

    def _kill_unhealthy(self, pod: Mapping[str, Any], containers: list[Container]) -> bool:
        """Kill the running containers whose liveness or startup probe failed; whether any."""
        spec = pod.get("spec") or {}
        restart = spec.get("restartPolicy", "Always") != "Never"
        killed = False
        for container in containers:
            failed = self.prober.failed(container.id) if container.state == "running" else None
            if failed is None:
                continue
            name = container.labels.get(labels.CONTAINER_NAME, "")
            message = f"Container {name} failed {failed.kind} probe"
            message += ", will be restarted" if restart else ""
            field = _field_path(name, False)
            self.events.pod_event(pod, NORMAL, "Killing", message, field_path=field)
            grace = failed.termination_grace
            if grace is None:
                grace = float(spec.get("terminationGracePeriodSeconds", 30))
            self.runtime.signal(container.id, signal.SIGTERM)
            self._wait_for_exit({container.id}, grace)
            killed = True
        return killed

    def _ensure_volumes(self, pod: Mapping[str, Any]) -> None:
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            if "emptyDir" in volume:
                self.volume_path(volume["name"]).mkdir(parents=True, exist_ok=True)

    def _ensure_sandbox(
        self, pod: Mapping[str, Any], containers: list[Container]
    ) -> Container | None:
        boxes = sandboxes(containers)
        live = [b for b in boxes if b.state == "running"]
        if live:
            return live[-1]
        apps = [c for c in containers if c.labels.get(labels.CONTAINER_KIND) == labels.APP]
        if apps and not containers_to_start(pod, containers):
            return None  # it ran, and nothing in it is to run again
        for container in boxes + [c for c in apps if c.state == "running"]:
            # Containers in a dead sandbox's network namespace restart in the new one.
            self.runtime.remove(container.id)
        if not self._image_ready(self.settings.infra_image):
            return None
        attempt = int(boxes[-1].labels.get(labels.ATTEMPT, "0")) + 1 if boxes else 0
        config = sandbox_config(
            pod,
            node_name=self.settings.node_name,
            image=self.settings.infra_image,
            network=self.settings.network,
            attempt=attempt,
        )
        sandbox_id = self.runtime.create(config)
        self.runtime.start(sandbox_id)
        for container in sandboxes(self.containers()):
            if container.id == sandbox_id:
                return container
        return None

    def _image_ready(self, image: str) -> bool:
        try:
            self.runtime.image_id(image)
            return True
        except ImageMissing:
            pass
        try:
            self.runtime.pull(image)
            return True
        except PullFailed as e:
            log.warning("pulling the infra image %s failed: %s", image, e)
            return False

    def _stop_sandboxes(self, containers: list[Container]) -> None:
        for box in sandboxes(containers):
            if box.state == "running":
                self.runtime.signal(box.id, signal.SIGKILL)

    def _context(self, pod: Mapping[str, Any], sandbox: Container) -> PodContext:
        return PodContext(
            pod=pod,
            node_name=self.settings.node_name,
            host_ip=self.settings.host_ip,
            pod_ip=sandbox.ip or "",
            sandbox_id=sandbox.id,
            volume_path=self.volume_path,
            service_env=self._service_env(pod),
        )

    def _service_env(self, pod: Mapping[str, Any]) -> dict[str, str]:
        if self.services is None:
            return {}
        links = (pod.get("spec") or {}).get("enableServiceLinks", True) is not False
        namespace = str((pod.get("metadata") or {}).get("namespace"))
        return self.services.environment(namespace, service_links=links)

    def _run_containers(
        self, pod: Mapping[str, Any], containers: list[Container], sandbox: Container
    ) -> None:
        spec = pod.get("spec") or {}
        policy = str(spec.get("restartPolicy") or "Always")
        context = self._context(pod, sandbox)
        for init_spec in spec.get("initContainers") or []:
            current = latest(containers, init_spec["name"])
            # A new sandbox starts the pod from the beginning, as kubelet's does: the init
            # containers run again in it (they may have set up its network namespace).
            rerun = current is not None and not ran_in(current, sandbox.id)
            if current is not None and has_succeeded(current) and not rerun:
                continue
            # Init containers run one at a time: act on the first unfinished one, then wait.
            if policy != "Never" or current is None or not has_failed(current):
                self._advance(pod, init_spec, containers, context, policy, init=True, rerun=rerun)
            return
        for app_spec in spec.get("containers") or []:
            self._advance(pod, app_spec, containers, context, policy, init=False)

    def _advance(
        self,
        pod: Mapping[str, Any],
        spec: Mapping[str, Any],
        containers: list[Container],
        context: PodContext,
        policy: str,
        *,
        init: bool,
        rerun: bool = False,
    ) -> None:
        """Start, restart or leave alone one container, as its state and the policy say
        (``rerun``: start it again whatever the policy, it ran in an earlier sandbox)."""
        name = spec["name"]
        current = latest(containers, name)
        if current is None:
            self._start(pod, spec, containers, context, restart_count=0, init=init)
        elif current.state == "created" and not current.error and not rerun:
            self._start_created(pod, current, name, init)
        elif current.state == "running":
            self.waiting.pop(name, None)
        elif rerun or should_restart(policy, current):
            self._restart(pod, spec, containers, context, current, init=init)
        else:
            self.waiting.pop(name, None)

    def _restart(
        self,
        pod: Mapping[str, Any],
        spec: Mapping[str, Any],
        containers: list[Container],
        context: PodContext,
        current: Container,
        *,
        init: bool,
    ) -> None:
        name = spec["name"]
        now = timefmt.now()
        ended = current.finished_at or current.created_at
        remaining = self.restarts.remaining(name, now, ended)
        if remaining > 0:
            self._wakes.append(remaining)
            meta = pod.get("metadata") or {}
            who = f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"
            delay = int(self.restarts.delay(name))
            message = f"back-off {delay}s restarting failed container={name} pod={who}"
            if self.waiting.get(name) != Waiting("CrashLoopBackOff", message):
                self.events.pod_event(
                    pod,
                    WARNING,
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod {who}",
                    field_path=_field_path(name, init),
                )
            self.waiting[name] = Waiting("CrashLoopBackOff", message)
            return
        self.restarts.step(name, now)
        count = labels.restart_count(current.labels) + 1
        self._start(pod, spec, containers, context, restart_count=count, init=init)

    def _start(
        self,
        pod: Mapping[str, Any],
        spec: Mapping[str, Any],
        containers: list[Container],
        context: PodContext,
        *,
        restart_count: int,
        init: bool,
    ) -> None:
        name = spec["name"]
        field = _field_path(name, init)
        if not self._pull_if_needed(pod, spec, field):
            return
        try:
            config = container_config(spec, context, restart_count=restart_count, init=init)
        except ConfigError as e:
            self._fail(pod, name, field, Waiting("CreateContainerConfigError", str(e)))
            return
        # Keep the last dead instance (its state is the new one's lastState), drop older ones.
        for old in instances(containers, name)[:-1]:
            self.runtime.remove(old.id)
        try:
            container_id = self.runtime.create(config)
        except RuntimeFailure as e:
            self._fail(pod, name, field, Waiting("CreateContainerError", str(e)))
            return
        self.waiting.pop(name, None)
        self.events.pod_event(
            pod, NORMAL, "Created", f"Created container: {name}", field_path=field
        )
        self._start_created(pod, container_id, name, init)

    def _start_created(
        self, pod: Mapping[str, Any], container: Container | str, name: str, init: bool
    ) -> None:
        field = _field_path(name, init)
        container_id = container if isinstance(container, str) else container.id
        try:
            self.runtime.start(container_id)
        except StartFailed as e:
            self.events.pod_event(pod, WARNING, "Failed", f"Error: {e}", field_path=field)
            return
        self.events.pod_event(pod, NORMAL, "Started", f"Started container {name}", field_path=field)

    def _fail(self, pod: Mapping[str, Any], name: str, field: str, waiting: Waiting) -> None:
        if self.waiting.get(name) != waiting:
            message = waiting.message or waiting.reason
            self.events.pod_event(pod, WARNING, "Failed", message, field_path=field)
            self.events.pod_event(
                pod, WARNING, "Failed", f"Error: {waiting.reason}", field_path=field
            )
        self.waiting[name] = waiting

    def _pull_if_needed(self, pod: Mapping[str, Any], spec: Mapping[str, Any], field: str) -> bool:
        """Whether the image is there to run, pulling it as the policy says."""
        image, name = str(spec["image"]), str(spec["name"])
        policy = pull_policy(spec)
        try:
            self.runtime.image_id(image)
            present = True
        except ImageMissing:
            present = False
        if policy == "Never" and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            self._fail(pod, name, field, Waiting("ErrImageNeverPull", message))
            return False
        if present and policy != "Always":
            message = f'Container image "{image}" already present on machine'
            self.events.pod_event(pod, NORMAL, "Pulled", message, field_path=field)
            return True
        now = timefmt.now()
        remaining = self.pulls.remaining(image, now)
        if remaining > 0:
            self._wakes.append(remaining)
            message = f'Back-off pulling image "{image}"'
            if self.waiting.get(name) != Waiting("ImagePullBackOff", message):
                self.events.pod_event(pod, NORMAL, "BackOff", message, field_path=field)
            self.waiting[name] = Waiting("ImagePullBackOff", message)
            return False
        self.events.pod_event(pod, NORMAL, "Pulling", f'Pulling image "{image}"', field_path=field)
        started = time.monotonic()
        try:
            self.runtime.pull(image)
        except PullFailed as e:
            self.pulls.step(image, now)
            self._wakes.append(self.pulls.delay(image))
            message = f'Failed to pull image "{image}": {e}'
            self._fail(pod, name, field, Waiting("ErrImagePull", message))
            return False
        self.pulls.forget(image)
        elapsed = time.monotonic() - started
        message = f'Successfully pulled image "{image}" in {elapsed:.3f}s'
        self.events.pod_event(pod, NORMAL, "Pulled", message, field_path=field)
        return True

    def _report(self, pod: Mapping[str, Any], status: dict[str, Any]) -> None:
        if status == self.reported:
            return
        meta = pod.get("metadata") or {}
        path = f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}/status"
        try:
            self.client.merge_patch(path, {"status": status})
        except NotFound:
            return  # deleted meanwhile; the watch will say so
        self.reported = status

    # -- termination --

    def terminate(self, pod: Mapping[str, Any] | None, grace: float) -> None:
        """Stop every container of the pod: SIGTERM, up to ``grace`` seconds, SIGKILL; then
        remove them and the pod's volumes."""
        self.prober.close()
        containers = self.containers()
        apps = [
            c
            for c in containers
            if c.labels.get(labels.CONTAINER_KIND) == labels.APP and c.state == "running"
        ]
        for c in apps:
            name = c.labels.get(labels.CONTAINER_NAME, "")
            if pod is not None:
                init = c.labels.get(labels.INIT) == "true"
                self.events.pod_event(
                    pod,
                    NORMAL,
                    "Killing",
                    f"Stopping container {name}",
                    field_path=_field_path(name, init),
                )
            self.runtime.signal(c.id, signal.SIGTERM)
        self._wait_for_exit({c.id for c in apps}, grace)
        for c in self.containers():
            self.runtime.remove(c.id)
        shutil.rmtree(self.pod_dir, ignore_errors=True)

    def _wait_for_exit(self, ids: set[str], grace: float) -> None:
        deadline = time.monotonic() + grace
        running = set(ids)
        while running and time.monotonic() < deadline:
            self.stop.wait(min(_STOP_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            running = {c.id for c in self.containers() if c.id in ids and c.state == "running"}
        for container_id in running:
            self.runtime.signal(container_id, signal.SIGKILL)

    def close(self) -> None:
        """The pod's worker is done with this syncer: stop its probes."""
        self.prober.close()

    def confirm_deletion(self, pod: Mapping[str, Any]) -> None:
        """Tell the API the pod has stopped here: delete it for good, if it is still this pod."""
        meta = pod.get("metadata") or {}
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": meta.get("uid")},
        }
        path = f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}"
        # Already gone, or the name now belongs to another pod: nothing to confirm.
        with contextlib.suppress(NotFound, Conflict):
            self.client.delete(path, options)

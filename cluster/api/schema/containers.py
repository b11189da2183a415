"""core/v1 containers: image and command, ports, environment, resources, probes, lifecycle
hooks and security context."""

from __future__ import annotations

from cluster.api.schema.fields import (
    boolean,
    int32,
    int32s,
    int64,
    int_or_string,
    quantity,
    resource_list,
    string,
    strings,
)
from cluster.api.schema.naming import CORE, Serializer, kube_type, nested, nested_list

PROTOCOL = "v1.Protocol"


@kube_type(CORE + "ContainerPort")
class ContainerPortSerializer(Serializer):
    """A network port in a single container."""

    name = string(
        "An IANA_SVC_NAME, unique within the pod, that services can refer to the port by."
    )
    hostPort = int32("The port to expose on the host (1-65535). Most containers do not need this.")
    containerPort = int32("The port the container listens on (1-65535).", required=True)
    protocol = string("TCP, UDP or SCTP. Defaults to TCP.", go_type=PROTOCOL)
    hostIP = string("The host IP to bind the host port to.")


@kube_type(CORE + "ConfigMapKeySelector")
class ConfigMapKeySelectorSerializer(Serializer):
    """A key of a ConfigMap."""

    name = string("Name of the ConfigMap.")
    key = string("The key to select.", required=True)
    optional = boolean("Whether the ConfigMap or its key may be missing.")


@kube_type(CORE + "SecretKeySelector")
class SecretKeySelectorSerializer(Serializer):
    """A key of a Secret."""

    name = string("Name of the Secret.")
    key = string("The key of the secret to select.", required=True)
    optional = boolean("Whether the Secret or its key may be missing.")


@kube_type(CORE + "ObjectFieldSelector")
class ObjectFieldSelectorSerializer(Serializer):
    """A field of the pod, such as metadata.name or status.podIP."""

    apiVersion = string("Version of the schema fieldPath is written in; defaults to v1.")
    fieldPath = string("Path of the field to select.", required=True)


@kube_type(CORE + "ResourceFieldSelector")
class ResourceFieldSelectorSerializer(Serializer):
    """A container resource (limits.cpu, requests.memory, ...) and the unit to show it in."""

    containerName = string("Container name; required for volumes, optional for env vars.")
    resource = string("The resource to select, such as limits.cpu.", required=True)
    divisor = quantity("The unit of the exposed value; defaults to 1.")


@kube_type(CORE + "FileKeySelector")
class FileKeySelectorSerializer(Serializer):
    """A key of an env file in a volume."""

    volumeName = string("The volume holding the env file.", required=True)
    path = string("Path of the env file within the volume.", required=True)
    key = string("The key within the env file.", required=True)
    optional = boolean("Whether the file or the key may be missing.")


@kube_type(CORE + "EnvVarSource")
class EnvVarSourceSerializer(Serializer):
    """Where an environment variable's value comes from; exactly one source."""

    fieldRef = nested(ObjectFieldSelectorSerializer, "A field of the pod.")
    resourceFieldRef = nested(
        ResourceFieldSelectorSerializer, "A resource limit or request of the container."
    )
    configMapKeyRef = nested(ConfigMapKeySelectorSerializer, "A key of a ConfigMap.")
    secretKeyRef = nested(SecretKeySelectorSerializer, "A key of a secret in the namespace.")
    fileKeyRef = nested(FileKeySelectorSerializer, "A key of an env file in a volume.")


@kube_type(CORE + "EnvVar")
class EnvVarSerializer(Serializer):
    """An environment variable of a container."""

    name = string("Name of the variable.", required=True)
    value = string(
        "The value. $(VAR_NAME) references to earlier variables are expanded; $$ escapes. "
        "Defaults to ''."
    )
    valueFrom = nested(EnvVarSourceSerializer, "A source for the value; cannot be used with value.")


@kube_type(CORE + "ConfigMapEnvSource")
class ConfigMapEnvSourceSerializer(Serializer):
    """A ConfigMap whose keys become environment variables."""

    name = string("Name of the ConfigMap.")
    optional = boolean("Whether the ConfigMap may be missing.")


@kube_type(CORE + "SecretEnvSource")
class SecretEnvSourceSerializer(Serializer):
    """A Secret whose keys become environment variables."""

    name = string("Name of the Secret.")
    optional = boolean("Whether the Secret may be missing.")


@kube_type(CORE + "EnvFromSource")
class EnvFromSourceSerializer(Serializer):
    """A set of environment variables taken from a ConfigMap or a Secret."""

    prefix = string("A prefix to add to every variable name.")
    configMapRef = nested(ConfigMapEnvSourceSerializer, "The ConfigMap to take variables from.")
    secretRef = nested(SecretEnvSourceSerializer, "The Secret to take variables from.")


@kube_type(CORE + "ResourceClaim")
class ResourceClaimSerializer(Serializer):
    """A reference to one entry of the pod's resourceClaims."""

    name = string("Name of an entry of pod.spec.resourceClaims.", required=True)
    request = string("The request of the claim to use; empty means all of it.")


@kube_type(CORE + "ResourceRequirements")
class ResourceRequirementsSerializer(Serializer):
    """Compute resources a container needs (requests) and may use at most (limits)."""

    limits = resource_list("The most of each resource the container may use.")
    requests = resource_list(
        "The least of each resource the container needs, used for scheduling. Defaults to the "
        "limits when those are set."
    )
    claims = nested_list(
        ResourceClaimSerializer, "Entries of pod.spec.resourceClaims the container uses."
    )


@kube_type(CORE + "ContainerResizePolicy")
class ContainerResizePolicySerializer(Serializer):
    """What happens to a container when one of its resources is resized in place."""

    resourceName = string("The resource: cpu or memory.", required=True)
    restartPolicy = string("NotRequired (the default) or RestartContainer.", required=True)


@kube_type(CORE + "ContainerRestartRuleOnExitCodes")
class ContainerRestartRuleOnExitCodesSerializer(Serializer):
    """Exit codes a restart rule matches."""

    operator = string("In or NotIn.", required=True)
    values = int32s("The exit codes.")


@kube_type(CORE + "ContainerRestartRule")
class ContainerRestartRuleSerializer(Serializer):
    """An action to take when a container exits in a given way."""

    action = string("Restart is the only action.", required=True)
    exitCodes = nested(
        ContainerRestartRuleOnExitCodesSerializer, "The exit codes this rule applies to."
    )


@kube_type(CORE + "VolumeMount")
class VolumeMountSerializer(Serializer):
    """Where a volume of the pod appears in a container's file system."""

    name = string("The name of the pod volume to mount.", required=True)
    readOnly = boolean("Mount read-only when true. Defaults to false.")
    recursiveReadOnly = string("Disabled (default), IfPossible or Enabled.")
    mountPath = string("Path in the container to mount the volume at.", required=True)
    subPath = string("Path within the volume to mount instead of its root.")
    mountPropagation = string("None (default), HostToContainer or Bidirectional.")
    subPathExpr = string("Like subPath, with $(VAR_NAME) expanded from the environment.")
    bindMountOptions = strings("Extra options for the bind mount.")


@kube_type(CORE + "VolumeDevice")
class VolumeDeviceSerializer(Serializer):
    """A raw block volume of the pod mapped into a container."""

    name = string("The name of a persistentVolumeClaim of the pod.", required=True)
    devicePath = string("The path in the container the device is mapped to.", required=True)


@kube_type(CORE + "ExecAction")
class ExecActionSerializer(Serializer):
    """A command run inside the container, not in a shell; exit status 0 means healthy."""

    command = strings("The command line; its working directory is the container's root.")


@kube_type(CORE + "HTTPHeader")
class HTTPHeaderSerializer(Serializer):
    """A custom header for an HTTP probe."""

    name = string("The header field name.", required=True)
    value = string("The header field value.", required=True)


@kube_type(CORE + "HTTPGetAction")
class HTTPGetActionSerializer(Serializer):
    """An HTTP GET request; a status from 200 to 399 means success."""

    path = string("Path to request.")
    port = int_or_string("Number or name of the port on the container.", required=True)
    host = string("Host name to connect to; defaults to the pod IP.")
    scheme = string("HTTP (default) or HTTPS.", go_type="v1.URIScheme")
    protocol = string("The HTTP version to use.")
    httpHeaders = nested_list(HTTPHeaderSerializer, "Custom headers to set in the request.")


@kube_type(CORE + "TCPSocketAction")
class TCPSocketActionSerializer(Serializer):
    """A TCP connection; opening it means success."""

    port = int_or_string("Number or name of the port on the container.", required=True)
    host = string("Host name to connect to; defaults to the pod IP.")


@kube_type(CORE + "GRPCAction")
class GRPCActionSerializer(Serializer):
    """A call of the standard gRPC health checking service."""

    port = int32("Port number of the gRPC service (1-65535).", required=True)
    service = string("The service name passed in the HealthCheckRequest.")
    mode = string("How the gRPC connection is made.")


@kube_type(CORE + "SleepAction")
class SleepActionSerializer(Serializer):
    """A pause."""

    seconds = int64("How long to sleep, in seconds.", required=True)


@kube_type(CORE + "Probe")
class ProbeSerializer(Serializer):
    """A health check of a container, to decide whether it is alive, ready or started."""

    exec = nested(ExecActionSerializer, "Run a command in the container.")
    httpGet = nested(HTTPGetActionSerializer, "Send an HTTP GET request.")
    tcpSocket = nested(TCPSocketActionSerializer, "Open a TCP connection.")
    grpc = nested(GRPCActionSerializer, "Call the gRPC health checking service.")
    initialDelaySeconds = int32("Seconds after the container starts before the first probe.")
    timeoutSeconds = int32("Seconds after which a probe times out. Defaults to 1.")
    periodSeconds = int32("How often to probe, in seconds. Defaults to 10.")
    successThreshold = int32(
        "Consecutive successes for the probe to count as successful after a failure. "
        "Defaults to 1; must be 1 for liveness and startup probes."
    )
    failureThreshold = int32(
        "Consecutive failures for the probe to count as failed. Defaults to 3."
    )
    terminationGracePeriodSeconds = int64(
        "Grace period for the container after a failed liveness or startup probe; overrides "
        "the pod's terminationGracePeriodSeconds."
    )


@kube_type(CORE + "LifecycleHandler")
class LifecycleHandlerSerializer(Serializer):
    """An action run at a point of a container's life; exactly one kind of action."""

    exec = nested(ExecActionSerializer, "Run a command in the container.")
    httpGet = nested(HTTPGetActionSerializer, "Send an HTTP GET request.")
    tcpSocket = nested(TCPSocketActionSerializer, "Deprecated; kept for compatibility.")
    sleep = nested(SleepActionSerializer, "Sleep for a while.")


@kube_type(CORE + "Lifecycle")
class LifecycleSerializer(Serializer):
    """Actions the kubelet takes when a container starts and before it stops."""

    postStart = nested(
        LifecycleHandlerSerializer,
        "Called right after the container is created; if it fails, the container is restarted "
        "according to the pod's restart policy.",
    )
    preStop = nested(
        LifecycleHandlerSerializer,
        "Called before the container is terminated (API request, probe failure, preemption); "
        "the grace period countdown runs meanwhile.",
    )
    stopSignal = string("The signal sent to stop the container, such as SIGTERM.")


@kube_type(CORE + "Capabilities")
class CapabilitiesSerializer(Serializer):
    """POSIX capabilities to add to or drop from a running container."""

    add = strings("Capabilities to add.")
    drop = strings("Capabilities to drop.")


@kube_type(CORE + "SELinuxOptions")
class SELinuxOptionsSerializer(Serializer):
    """SELinux labels for a container."""

    user = string("The SELinux user label.")
    role = string("The SELinux role label.")
    type = string("The SELinux type label.")
    level = string("The SELinux level label.")


@kube_type(CORE + "SeccompProfile")
class SeccompProfileSerializer(Serializer):
    """The seccomp profile of a pod or container."""

    type = string("Localhost, RuntimeDefault or Unconfined.", required=True)
    localhostProfile = string("Path of a profile on the node, for type Localhost.")


@kube_type(CORE + "AppArmorProfile")
class AppArmorProfileSerializer(Serializer):
    """The AppArmor profile of a pod or container."""

    type = string("Localhost, RuntimeDefault or Unconfined.", required=True)
    localhostProfile = string("Name of a profile loaded on the node, for type Localhost.")


@kube_type(CORE + "WindowsSecurityContextOptions")
class WindowsSecurityContextOptionsSerializer(Serializer):
    """Windows-specific security options."""

    gmsaCredentialSpecName = string("Name of the GMSA credential spec to use.")
    gmsaCredentialSpec = string("The contents of the GMSA credential spec.")
    runAsUserName = string("The user name to run the entrypoint as.")
    hostProcess = boolean("Whether to run the container as a host process.")


@kube_type(CORE + "SecurityContext")
class SecurityContextSerializer(Serializer):
    """Security settings of a container; they override the pod's where both are set."""

    capabilities = nested(CapabilitiesSerializer, "Capabilities to add or drop.")
    privileged = boolean("Run as privileged: like root on the host. Defaults to false.")
    seLinuxOptions = nested(SELinuxOptionsSerializer, "SELinux context of the container.")
    windowsOptions = nested(WindowsSecurityContextOptionsSerializer, "Windows settings.")
    runAsUser = int64("UID the entrypoint runs as; defaults to the image's user.")
    runAsGroup = int64("GID the entrypoint runs as; defaults to the runtime's default.")
    runAsNonRoot = boolean("Refuse to start the container if it would run as UID 0.")
    readOnlyRootFilesystem = boolean("Mount the root file system read-only.")
    allowPrivilegeEscalation = boolean(
        "Whether a process may gain more privileges than its parent (no_new_privs)."
    )
    procMount = string("Default or Unmasked.")
    seccompProfile = nested(SeccompProfileSerializer, "Seccomp profile of the container.")
    appArmorProfile = nested(AppArmorProfileSerializer, "AppArmor profile of the container.")


@kube_type(CORE + "Container")
class ContainerSerializer(Serializer):
    """A single application container to run within a pod."""

    name = string(
        "Name of the container, a DNS label unique within the pod. Cannot be updated.",
        required=True,
    )
    image = string(
        "Container image name. Optional here so that higher-level controllers can default it."
    )
    command = strings(
        "Entrypoint array, not run in a shell; defaults to the image's ENTRYPOINT. "
        "$(VAR_NAME) references are expanded. Cannot be updated."
    )
    args = strings(
        "Arguments to the entrypoint; default to the image's CMD. $(VAR_NAME) references "
        "are expanded. Cannot be updated."
    )
    workingDir = string("Working directory; defaults to the image's. Cannot be updated.")
    ports = nested_list(
        ContainerPortSerializer,
        "Ports to expose from the container. Informational: a port the container listens "
        "on is reachable whether or not it is listed. Cannot be updated.",
    )
    envFrom = nested_list(
        EnvFromSourceSerializer,
        "Sources of environment variables; env entries override them. Cannot be updated.",
    )
    env = nested_list(
        EnvVarSerializer, "Environment variables to set in the container. Cannot be updated."
    )
    resources = nested(
        ResourceRequirementsSerializer, "Compute resources the container needs and may use."
    )
    resizePolicy = nested_list(
        ContainerResizePolicySerializer, "How the container's resources may be resized."
    )
    restartPolicy = string(
        "Per-container restart policy; only Always is allowed, for sidecar init containers.",
        go_type="v1.ContainerRestartPolicy",
    )
    restartPolicyRules = nested_list(
        ContainerRestartRuleSerializer, "Rules deciding whether an exited container restarts."
    )
    volumeMounts = nested_list(
        VolumeMountSerializer,
        "Pod volumes to mount into the container's file system. Cannot be updated.",
    )
    volumeDevices = nested_list(VolumeDeviceSerializer, "Block devices the container uses.")
    livenessProbe = nested(
        ProbeSerializer,
        "Periodic probe of liveness; the container is restarted if it fails. Cannot be updated.",
    )
    readinessProbe = nested(
        ProbeSerializer,
        "Periodic probe of readiness; the pod leaves service endpoints while it fails. "
        "Cannot be updated.",
    )
    startupProbe = nested(
        ProbeSerializer,
        "Probe that must succeed before the other probes start. Cannot be updated.",
    )
    lifecycle = nested(
        LifecycleSerializer, "Actions on container start and stop. Cannot be updated."
    )
    terminationMessagePath = string(
        "File whose contents become the container's termination message. Defaults to "
        "/dev/termination-log. Cannot be updated."
    )
    terminationMessagePolicy = string(
        "File (default) or FallbackToLogsOnError. Cannot be updated.",
        go_type="v1.TerminationMessagePolicy",
    )
    imagePullPolicy = string(
        "Always, Never or IfNotPresent. Defaults to Always for the :latest tag (or no tag), "
        "IfNotPresent otherwise. Cannot be updated.",
        go_type="v1.PullPolicy",
    )
    securityContext = nested(SecurityContextSerializer, "Security options the container runs with.")
    stdin = boolean("Allocate a buffer for stdin; reads fail with EOF when false.")
    stdinOnce = boolean("Close stdin after the first attach session ends.")
    tty = boolean("Allocate a TTY; also requires stdin to be true.")


@kube_type(CORE + "EphemeralContainer")
class EphemeralContainerSerializer(ContainerSerializer):
    """A temporary container added to a running pod for debugging. It has no resource
    guarantees, ports or probes, and is never restarted."""

    targetContainerName = string("The container whose namespaces (IPC, PID, ...) this one joins.")

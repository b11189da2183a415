"""core/v1 Pod: the spec users write, the status the kubelet reports, templates and bindings."""

from __future__ import annotations

from cluster.api.schema.containers import (
    AppArmorProfileSerializer,
    ContainerSerializer,
    EphemeralContainerSerializer,
    ResourceRequirementsSerializer,
    SeccompProfileSerializer,
    SELinuxOptionsSerializer,
    WindowsSecurityContextOptionsSerializer,
)
from cluster.api.schema.fields import (
    boolean,
    int32,
    int64,
    int64s,
    opaque,
    opaque_list,
    resource_list,
    string,
    string_map,
    strings,
    time,
)
from cluster.api.schema.meta import (
    LIST_METADATA_DOC,
    METADATA_DOC,
    ListMetaSerializer,
    ObjectMetaSerializer,
    api_version,
    kind,
)
from cluster.api.schema.naming import CORE, Serializer, core, kube_type, nested, nested_list
from cluster.api.schema.scheduling import (
    AffinitySerializer,
    TolerationSerializer,
    TopologySpreadConstraintSerializer,
)
from cluster.api.schema.volumes import LocalObjectReferenceSerializer, VolumeSerializer

# -- spec --


@kube_type(CORE + "Sysctl")
class SysctlSerializer(Serializer):
    """A kernel parameter to set in the pod."""

    name = string("Name of the parameter.", required=True)
    value = string("Value of the parameter.", required=True)


@kube_type(CORE + "PodSecurityContext")
class PodSecurityContextSerializer(Serializer):
    """Security settings that apply to every container of the pod (containers may override
    some of them) and to its volumes."""

    seLinuxOptions = nested(SELinuxOptionsSerializer, "SELinux context for all containers.")
    windowsOptions = nested(WindowsSecurityContextOptionsSerializer, "Windows settings.")
    runAsUser = int64("UID the containers' entrypoints run as.")
    runAsGroup = int64("GID the containers' entrypoints run as.")
    runAsNonRoot = boolean("Refuse to start containers that would run as UID 0.")
    supplementalGroups = int64s("Extra GIDs for the first process of each container.")
    supplementalGroupsPolicy = string("Merge (the default) or Strict.")
    fsGroup = int64("A GID that owns the pod's volumes and is added to every container.")
    fsGroupChangePolicy = string("OnRootMismatch or Always (the default).")
    sysctls = nested_list(SysctlSerializer, "Namespaced kernel parameters for the pod.")
    seccompProfile = nested(SeccompProfileSerializer, "Seccomp profile for all containers.")
    appArmorProfile = nested(AppArmorProfileSerializer, "AppArmor profile for all containers.")
    seLinuxChangePolicy = string(
        "How SELinux labels are applied to volumes: Recursive or MountOption."
    )


@kube_type(CORE + "PodDNSConfigOption")
class PodDNSConfigOptionSerializer(Serializer):
    """A resolver option."""

    name = string("Name of the option.")
    value = string("Value of the option, if it has one.")


@kube_type(CORE + "PodDNSConfig")
class PodDNSConfigSerializer(Serializer):
    """DNS settings added to those dnsPolicy generates."""

    nameservers = strings("Extra DNS server addresses.")
    searches = strings("Extra search domains.")
    options = nested_list(PodDNSConfigOptionSerializer, "Extra resolver options.")


@kube_type(CORE + "HostAlias")
class HostAliasSerializer(Serializer):
    """An entry of the pod's /etc/hosts."""

    ip = string("The IP address.", required=True)
    hostnames = strings("Host names for the address.")


@kube_type(CORE + "PodOS")
class PodOSSerializer(Serializer):
    """The operating system the pod's containers need."""

    name = string("linux or windows.", required=True, go_type="v1.OSName")


@kube_type(CORE + "PodReadinessGate")
class PodReadinessGateSerializer(Serializer):
    """An extra pod condition that must be True for the pod to be ready."""

    conditionType = string("The condition type.", required=True, go_type="v1.PodConditionType")


@kube_type(CORE + "PodResourceClaim")
class PodResourceClaimSerializer(Serializer):
    """A dynamic resource claim the pod's containers may use."""

    name = string("Name of the entry, unique within the pod.", required=True)
    resourceClaimName = string("Name of an existing ResourceClaim.")
    resourceClaimTemplateName = string("Name of a template to make a claim for the pod from.")


@kube_type(CORE + "PodSchedulingGate")
class PodSchedulingGateSerializer(Serializer):
    """A gate that holds the pod back from scheduling until it is removed."""

    name = string("Name of the gate.", required=True)


@kube_type(CORE + "PodSchedulingGroup")
class PodSchedulingGroupSerializer(Serializer):
    """The group of pods scheduled together that this pod belongs to."""

    podGroupName = string("Name of the pod group.")


@kube_type(CORE + "EvictionResponder")
class EvictionResponderSerializer(Serializer):
    """A component that must respond before the pod is evicted."""

    name = string("Name of the responder.", required=True)
    priority = int32("Order in which responders are called.")


@kube_type(CORE + "PodSpec")
class PodSpecSerializer(Serializer):
    """The desired state of a pod."""

    volumes = nested_list(VolumeSerializer, "Volumes that containers of the pod may mount.")
    initContainers = nested_list(
        ContainerSerializer,
        "Containers run in order, each to completion, before the app containers start; "
        "those with restartPolicy Always are sidecars that keep running. Cannot be updated.",
    )
    containers = nested_list(
        ContainerSerializer,
        "The pod's containers; at least one. Cannot be updated.",
        required=True,
    )
    ephemeralContainers = nested_list(
        EphemeralContainerSerializer,
        "Debugging containers added to the running pod, through the ephemeralcontainers "
        "subresource only.",
    )
    restartPolicy = string(
        "Always (the default), OnFailure or Never, for all containers of the pod.",
        go_type="v1.RestartPolicy",
    )
    terminationGracePeriodSeconds = int64(
        "Seconds between the termination signal and the kill signal. Defaults to 30."
    )
    activeDeadlineSeconds = int64("Seconds the pod may be active before the system fails it.")
    dnsPolicy = string(
        "ClusterFirst (the default), ClusterFirstWithHostNet, Default or None.",
        go_type="v1.DNSPolicy",
    )
    nodeSelector = string_map("Node labels the pod's node must have.")
    serviceAccountName = string("Name of the ServiceAccount the pod runs as.")
    serviceAccount = string("Deprecated alias of serviceAccountName.")
    automountServiceAccountToken = boolean(
        "Whether a service account token is mounted automatically."
    )
    nodeName = string(
        "The node the pod runs on. Set by the scheduler (through the binding subresource); "
        "setting it skips scheduling."
    )
    hostNetwork = boolean("Use the node's network namespace. Defaults to false.")
    hostPID = boolean("Use the node's PID namespace. Defaults to false.")
    hostIPC = boolean("Use the node's IPC namespace. Defaults to false.")
    shareProcessNamespace = boolean(
        "Share one PID namespace between the pod's containers. Defaults to false."
    )
    securityContext = nested(PodSecurityContextSerializer, "Pod-level security attributes.")
    imagePullSecrets = nested_list(
        LocalObjectReferenceSerializer, "Secrets used to pull the containers' images."
    )
    hostname = string("The pod's host name; defaults to a value chosen by the system.")
    subdomain = string(
        "With hostname, gives the pod the FQDN <hostname>.<subdomain>.<namespace>.svc."
    )
    affinity = nested(AffinitySerializer, "Scheduling constraints.")
    schedulerName = string("The scheduler that schedules the pod; 'default-scheduler' if unset.")
    tolerations = nested_list(TolerationSerializer, "Taints the pod tolerates.")
    hostAliases = nested_list(HostAliasSerializer, "Extra /etc/hosts entries.")
    priorityClassName = string("The pod's PriorityClass.")
    priority = int32("The pod's priority, resolved from priorityClassName by admission.")
    dnsConfig = nested(PodDNSConfigSerializer, "DNS settings beyond those of dnsPolicy.")
    readinessGates = nested_list(
        PodReadinessGateSerializer, "Extra conditions the pod's readiness depends on."
    )
    runtimeClassName = string("The RuntimeClass to run the pod with.")
    enableServiceLinks = boolean(
        "Inject environment variables for the services of the namespace. Defaults to true."
    )
    preemptionPolicy = string(
        "PreemptLowerPriority (the default) or Never.", go_type="v1.PreemptionPolicy"
    )
    overhead = resource_list("Resources the pod's sandbox uses beyond its containers.")
    topologySpreadConstraints = nested_list(
        TopologySpreadConstraintSerializer, "How the pod is spread across topology domains."
    )
    setHostnameAsFQDN = boolean("Use the pod's FQDN as its host name.")
    os = nested(PodOSSerializer, "The operating system of the pod's containers.")
    hostUsers = boolean("Use the node's user namespace. Defaults to true.")
    schedulingGates = nested_list(
        PodSchedulingGateSerializer, "Gates that hold the pod back from scheduling."
    )
    resourceClaims = nested_list(
        PodResourceClaimSerializer, "Dynamic resource claims the containers may use."
    )
    resources = nested(
        ResourceRequirementsSerializer, "Resources of the pod as a whole (pod-level limits)."
    )
    hostnameOverride = string("Overrides the host name the pod sees.")
    schedulingGroup = nested(PodSchedulingGroupSerializer, "The pod group this pod is in.")
    evictionResponders = nested_list(
        EvictionResponderSerializer, "Components to consult before evicting the pod."
    )


# -- status --


@kube_type(CORE + "PodCondition")
class PodConditionSerializer(Serializer):
    """One aspect of the pod's state: PodScheduled, Initialized, ContainersReady, Ready, ..."""

    type = string("The condition's type.", required=True, go_type="v1.PodConditionType")
    observedGeneration = int64("The metadata.generation the condition was set for.")
    status = string("True, False or Unknown.", required=True, go_type="v1.ConditionStatus")
    lastProbeTime = time("When the condition was last probed.")
    lastTransitionTime = time("When the condition last changed status.")
    reason = string("A CamelCase reason for the last transition.")
    message = string("A human-readable message about the last transition.")


@kube_type(CORE + "ContainerStateWaiting")
class ContainerStateWaitingSerializer(Serializer):
    """A container that has not started yet."""

    reason = string("Why the container is not yet running, such as ContainerCreating.")
    message = string("Details about why the container is not yet running.")


@kube_type(CORE + "ContainerStateRunning")
class ContainerStateRunningSerializer(Serializer):
    """A running container."""

    startedAt = time("When the container last (re)started.")


@kube_type(CORE + "ContainerStateTerminated")
class ContainerStateTerminatedSerializer(Serializer):
    """A container that ran and exited."""

    exitCode = int32("Exit status of the container's last run.", required=True)
    signal = int32("The signal the container was killed with, if any.")
    reason = string("Why the container terminated, such as Completed or Error.")
    message = string("Details about the termination.")
    startedAt = time("When the container started.")
    finishedAt = time("When the container terminated.")
    containerID = string("The container's ID, as '<runtime>://<id>'.")


@kube_type(CORE + "ContainerState")
class ContainerStateSerializer(Serializer):
    """The state of a container; one member is set. Defaults to waiting."""

    waiting = nested(ContainerStateWaitingSerializer, "The container has not started.")
    running = nested(ContainerStateRunningSerializer, "The container is running.")
    terminated = nested(ContainerStateTerminatedSerializer, "The container has exited.")


@kube_type(CORE + "ImageVolumeStatus")
class ImageVolumeStatusSerializer(Serializer):
    """The image an image volume was made from."""

    imageRef = string("The image ID of the volume's image.", required=True)


@kube_type(CORE + "VolumeStatus")
class VolumeStatusSerializer(Serializer):
    """Status of a mounted volume."""

    image = nested(ImageVolumeStatusSerializer, "Status of an image volume.")


@kube_type(CORE + "VolumeMountStatus")
class VolumeMountStatusSerializer(Serializer):
    """How a volume is mounted in a container."""

    name = string("The name of the volume.", required=True)
    mountPath = string("Where the volume is mounted.", required=True)
    readOnly = boolean("Whether the mount is read-only.")
    recursiveReadOnly = string("Whether read-only applies recursively: Disabled or Enabled.")
    volumeStatus = nested(VolumeStatusSerializer, "Status of the volume.")


@kube_type(CORE + "LinuxContainerUser")
class LinuxContainerUserSerializer(Serializer):
    """The identity the container's first process runs as on Linux."""

    uid = int64("The UID.", required=True)
    gid = int64("The primary GID.", required=True)
    supplementalGroups = int64s("Supplementary GIDs.")


@kube_type(CORE + "ContainerUser")
class ContainerUserSerializer(Serializer):
    """The identity the container's first process runs as."""

    linux = nested(LinuxContainerUserSerializer, "The Linux identity.")


@kube_type(CORE + "ResourceHealth")
class ResourceHealthSerializer(Serializer):
    """Health of one device of a resource."""

    resourceID = string("The device's ID.", required=True)
    health = string("Healthy, Unhealthy or Unknown.")
    message = string("Details about the device's health.")


@kube_type(CORE + "ResourceStatus")
class ResourceStatusSerializer(Serializer):
    """Health of the devices allocated to a container for one resource."""

    name = string("The resource name.", required=True)
    resources = nested_list(ResourceHealthSerializer, "The devices.")


@kube_type(CORE + "ContainerStatus")
class ContainerStatusSerializer(Serializer):
    """The state of one container of the pod, as its node reports it."""

    name = string("Name of the container, as in the spec.", required=True)
    state = nested(ContainerStateSerializer, "The container's current state.")
    lastState = nested(ContainerStateSerializer, "The state of its last termination, if any.")
    ready = boolean("Whether the container passes its readiness probe.", required=True)
    restartCount = int32("How many times the container has been restarted.", required=True)
    image = string("The image the container runs.", required=True)
    imageID = string("The ID of that image.", required=True)
    containerID = string("The container's ID, as '<runtime>://<id>'.")
    started = boolean("Whether the container has started and passed its startup probe.")
    allocatedResources = resource_list("Resources the node allocated to the container.")
    resources = nested(ResourceRequirementsSerializer, "Resources the container runs with.")
    volumeMounts = nested_list(VolumeMountStatusSerializer, "The container's volume mounts.")
    user = nested(ContainerUserSerializer, "The identity the container runs as.")
    allocatedResourcesStatus = nested_list(
        ResourceStatusSerializer, "Health of the devices allocated to the container."
    )
    stopSignal = string("The signal that stops the container.")


@kube_type(CORE + "PodIP")
class PodIPSerializer(Serializer):
    """An IP address of the pod."""

    ip = string("The IP address.", required=True)


@kube_type(CORE + "HostIP")
class HostIPSerializer(Serializer):
    """An IP address of the pod's node."""

    ip = string("The IP address.", required=True)


@kube_type(CORE + "PodResourceClaimStatus")
class PodResourceClaimStatusSerializer(Serializer):
    """The ResourceClaim made for an entry of spec.resourceClaims."""

    name = string("The entry of spec.resourceClaims.", required=True)
    resourceClaimName = string("The name of the claim made for it.")


@kube_type(CORE + "VolumeHealthCondition")
class VolumeHealthConditionSerializer(Serializer):
    """One aspect of a volume's health."""

    status = string("True, False or Unknown.")
    reason = string("A CamelCase reason.")
    message = string("Details.")


@kube_type(CORE + "PodVolumeHealth")
class PodVolumeHealthSerializer(Serializer):
    """Health of a volume of the pod."""

    name = string("The volume.", required=True)
    healthConditions = nested_list(VolumeHealthConditionSerializer, "Its health conditions.")
    lastTransitionTime = time("When its health last changed.")


@kube_type(CORE + "PodStatus")
class PodStatusSerializer(Serializer):
    """The most recently observed state of a pod; it may lag behind the real state."""

    observedGeneration = int64("The metadata.generation this status was written for.")
    phase = string(
        "Where the pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.",
        go_type="v1.PodPhase",
    )
    conditions = nested_list(PodConditionSerializer, "The current conditions of the pod.")
    message = string("A human-readable message about the pod's state.")
    reason = string("A CamelCase reason for the pod's state, such as Evicted.")
    nominatedNodeName = string("A node the pod may run on once preemption finishes there.")
    hostIP = string("The primary IP address of the pod's node.")
    hostIPs = nested_list(HostIPSerializer, "The IP addresses of the pod's node.")
    podIP = string("The primary IP address of the pod.")
    podIPs = nested_list(PodIPSerializer, "The IP addresses of the pod, primary first.")
    startTime = time("When the kubelet acknowledged the pod, before pulling images.")
    initContainerStatuses = nested_list(ContainerStatusSerializer, "Status of each init container.")
    containerStatuses = nested_list(ContainerStatusSerializer, "Status of each app container.")
    qosClass = string(
        "Quality of service class from the resources: Guaranteed, Burstable or BestEffort.",
        go_type="v1.PodQOSClass",
    )
    ephemeralContainerStatuses = nested_list(
        ContainerStatusSerializer, "Status of each ephemeral container."
    )
    resize = string("Deprecated status of an in-place resize.")
    resourceClaimStatuses = nested_list(
        PodResourceClaimStatusSerializer, "The ResourceClaims made for the pod."
    )
    extendedResourceClaimStatus = opaque(
        "The ResourceClaim made for the pod's extended resources.",
        go_type="v1.PodExtendedResourceClaimStatus",
    )
    allocatedResources = resource_list("Resources allocated to the pod as a whole.")
    resources = nested(ResourceRequirementsSerializer, "Resources the pod runs with.")
    volumeHealth = nested_list(PodVolumeHealthSerializer, "Health of the pod's volumes.")
    nodeAllocatableResourceClaimStatuses = opaque_list(
        "Status of node-allocatable resource claims.",
        go_type="v1.NodeAllocatableResourceClaimStatus",
    )


# -- the kinds --


@kube_type(CORE + "Pod", core("Pod"))
class PodSerializer(Serializer):
    """A group of containers that run together on one node; the smallest deployable unit."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(PodSpecSerializer, "The desired state of the pod.")
    status = nested(PodStatusSerializer, "The observed state of the pod; read-only for users.")


@kube_type(CORE + "PodList", core("PodList"))
class PodListSerializer(Serializer):
    """A list of pods."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(PodSerializer, "The pods.", required=True)


@kube_type(CORE + "PodTemplateSpec")
class PodTemplateSpecSerializer(Serializer):
    """What a pod made from a template looks like."""

    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(PodSpecSerializer, "The desired state of the pods made from the template.")


@kube_type(CORE + "ObjectReference")
class ObjectReferenceSerializer(Serializer):
    """A reference to an object, possibly to a field of it."""

    kind = string("Kind of the referent.")
    namespace = string("Namespace of the referent.")
    name = string("Name of the referent.")
    uid = string("UID of the referent.", go_type="types.UID")
    apiVersion = string("API version of the referent.")
    resourceVersion = string("The resourceVersion the reference is about, if any.")
    fieldPath = string(
        "A field of the referent rather than the whole object, such as 'spec.containers{name}'."
    )


@kube_type(CORE + "Binding", core("Binding"))
class BindingSerializer(Serializer):
    """Binds a pod to a node: what the scheduler posts to the pod's binding subresource."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    target = nested(ObjectReferenceSerializer, "The node to bind the pod to.", required=True)

"""core/v1 Node, Namespace and Event: the cluster's machines, its partitions, its diary."""

from __future__ import annotations

from cluster.api.schema.fields import (
    boolean,
    int32,
    int64,
    micro_time,
    opaque,
    resource_list,
    string,
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
from cluster.api.schema.pods import ObjectReferenceSerializer

CONDITION_STATUS = "v1.ConditionStatus"

# -- Node --


@kube_type(CORE + "Taint")
class TaintSerializer(Serializer):
    """Repels pods that do not tolerate it from the node."""

    key = string("The taint key.", required=True)
    value = string("The taint value.")
    effect = string(
        "NoSchedule, PreferNoSchedule or NoExecute.", required=True, go_type="v1.TaintEffect"
    )
    timeAdded = time("When a NoExecute taint was added.")


@kube_type(CORE + "NodeSpec")
class NodeSpecSerializer(Serializer):
    """The desired state of a node."""

    podCIDR = string("The pod IP range assigned to the node.")
    podCIDRs = strings("The pod IP ranges assigned to the node, one per IP family.")
    providerID = string("The node's ID with its cloud provider.")
    unschedulable = boolean("Keep new pods off the node (cordon). Defaults to false.")
    taints = nested_list(TaintSerializer, "The node's taints.")
    configSource = opaque("Deprecated; ignored.", go_type="v1.NodeConfigSource")
    externalID = string("Deprecated; ignored.")
    podPreemptionPolicy = opaque(
        "How pods on the node may be preempted.", go_type="v1.NodePodPreemptionPolicy"
    )


@kube_type(CORE + "NodeCondition")
class NodeConditionSerializer(Serializer):
    """One aspect of the node's health: Ready, MemoryPressure, DiskPressure, ..."""

    type = string("The condition's type.", required=True, go_type="v1.NodeConditionType")
    status = string("True, False or Unknown.", required=True, go_type=CONDITION_STATUS)
    lastHeartbeatTime = time("When the condition was last reported.")
    lastTransitionTime = time("When the condition last changed status.")
    reason = string("A CamelCase reason for the last transition.")
    message = string("A human-readable message about the last transition.")


@kube_type(CORE + "NodeAddress")
class NodeAddressSerializer(Serializer):
    """An address of the node."""

    type = string(
        "Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.",
        required=True,
        go_type="v1.NodeAddressType",
    )
    address = string("The address.", required=True)


@kube_type(CORE + "DaemonEndpoint")
class DaemonEndpointSerializer(Serializer):
    """A port a daemon of the node listens on."""

    Port = int32("The port number.", required=True)


@kube_type(CORE + "NodeDaemonEndpoints")
class NodeDaemonEndpointsSerializer(Serializer):
    """Ports of the daemons running on the node."""

    kubeletEndpoint = nested(DaemonEndpointSerializer, "The port the node agent listens on.")


@kube_type(CORE + "NodeSwapStatus")
class NodeSwapStatusSerializer(Serializer):
    """The node's swap memory."""

    capacity = int64("Total swap, in bytes.")


@kube_type(CORE + "NodeSystemInfo")
class NodeSystemInfoSerializer(Serializer):
    """Identifiers and versions of the node's system."""

    machineID = string("The machine ID (/etc/machine-id).", required=True)
    systemUUID = string("The system UUID from the firmware.", required=True)
    bootID = string("The boot ID; changes on each reboot.", required=True)
    kernelVersion = string("Kernel version (uname -r).", required=True)
    osImage = string("The OS image (/etc/os-release).", required=True)
    containerRuntimeVersion = string(
        "The container runtime and its version, such as 'docker://27.0.0'.", required=True
    )
    kubeletVersion = string("Version of the node agent.", required=True)
    kubeProxyVersion = string("Deprecated: version of the service proxy.")
    operatingSystem = string("The operating system, such as linux.", required=True)
    architecture = string("The CPU architecture, such as amd64.", required=True)
    swap = nested(NodeSwapStatusSerializer, "The node's swap memory.")
    runningInUserNamespace = boolean("Whether the node agent runs in a user namespace.")


@kube_type(CORE + "ContainerImage")
class ContainerImageSerializer(Serializer):
    """An image present on the node."""

    names = strings("Names and digests of the image.")
    sizeBytes = int64("Size of the image, in bytes.")


@kube_type(CORE + "AttachedVolume")
class AttachedVolumeSerializer(Serializer):
    """A volume attached to the node."""

    name = string("Name of the volume.", required=True)
    devicePath = string("Where the volume is available on the node.", required=True)


@kube_type(CORE + "NodeRuntimeHandlerFeatures")
class NodeRuntimeHandlerFeaturesSerializer(Serializer):
    """Features a runtime handler supports."""

    recursiveReadOnlyMounts = boolean("Recursive read-only mounts.")
    userNamespaces = boolean("User namespaces.")


@kube_type(CORE + "NodeRuntimeHandler")
class NodeRuntimeHandlerSerializer(Serializer):
    """A runtime handler of the node."""

    name = string("Its name; empty for the default handler.")
    features = nested(NodeRuntimeHandlerFeaturesSerializer, "Its features.")


@kube_type(CORE + "NodeFeatures")
class NodeFeaturesSerializer(Serializer):
    """Features the node supports."""

    supplementalGroupsPolicy = boolean("Whether supplementalGroupsPolicy is honoured.")


@kube_type(CORE + "NodeStatus")
class NodeStatusSerializer(Serializer):
    """The most recently observed state of a node."""

    capacity = resource_list("The node's total resources.")
    allocatable = resource_list("The resources available to pods; defaults to capacity.")
    phase = string("Deprecated and unused.", go_type="v1.NodePhase")
    conditions = nested_list(NodeConditionSerializer, "The current conditions of the node.")
    addresses = nested_list(NodeAddressSerializer, "The node's addresses.")
    daemonEndpoints = nested(NodeDaemonEndpointsSerializer, "Ports of the node's daemons.")
    nodeInfo = nested(NodeSystemInfoSerializer, "Identifiers and versions of the system.")
    images = nested_list(ContainerImageSerializer, "Images present on the node.")
    volumesInUse = strings("Volumes in use on the node.")
    volumesAttached = nested_list(AttachedVolumeSerializer, "Volumes attached to the node.")
    config = opaque("Deprecated dynamic configuration status.", go_type="v1.NodeConfigStatus")
    runtimeHandlers = nested_list(NodeRuntimeHandlerSerializer, "The runtime handlers.")
    features = nested(NodeFeaturesSerializer, "Features the node supports.")
    declaredFeatures = strings("Features the node declares for scheduling.")


@kube_type(CORE + "Node", core("Node"))
class NodeSerializer(Serializer):
    """A machine pods run on, registered by its node agent."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(NodeSpecSerializer, "The desired state of the node.")
    status = nested(NodeStatusSerializer, "The observed state of the node.")


@kube_type(CORE + "NodeList", core("NodeList"))
class NodeListSerializer(Serializer):
    """A list of nodes."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(NodeSerializer, "The nodes.", required=True)


# -- Namespace --


@kube_type(CORE + "NamespaceSpec")
class NamespaceSpecSerializer(Serializer):
    """The desired state of a namespace."""

    finalizers = strings(
        "What must happen before the namespace is removed; 'kubernetes' empties it of objects."
    )


@kube_type(CORE + "NamespaceCondition")
class NamespaceConditionSerializer(Serializer):
    """One aspect of the namespace's state."""

    type = string("The condition's type.", required=True)
    status = string("True, False or Unknown.", required=True, go_type=CONDITION_STATUS)
    lastTransitionTime = time("When the condition last changed status.")
    reason = string("A CamelCase reason for the last transition.")
    message = string("A human-readable message about the last transition.")


@kube_type(CORE + "NamespaceStatus")
class NamespaceStatusSerializer(Serializer):
    """The observed state of a namespace."""

    phase = string("Active or Terminating.", go_type="v1.NamespacePhase")
    conditions = nested_list(NamespaceConditionSerializer, "The current conditions.")


@kube_type(CORE + "Namespace", core("Namespace"))
class NamespaceSerializer(Serializer):
    """A scope for names: most objects live in exactly one namespace."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(NamespaceSpecSerializer, "The desired state of the namespace.")
    status = nested(NamespaceStatusSerializer, "The observed state of the namespace.")


@kube_type(CORE + "NamespaceList", core("NamespaceList"))
class NamespaceListSerializer(Serializer):
    """A list of namespaces."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(NamespaceSerializer, "The namespaces.", required=True)


# -- Event --


@kube_type(CORE + "EventSource")
class EventSourceSerializer(Serializer):
    """The component that reported an event."""

    component = string("The component, such as default-scheduler.")
    host = string("The node the event was generated on.")


@kube_type(CORE + "EventSeries")
class EventSeriesSerializer(Serializer):
    """A series of repeated events."""

    count = int32("How many times the event happened so far in the series.")
    lastObservedTime = micro_time("When the event was last seen.")


@kube_type(CORE + "Event", core("Event"))
class EventSerializer(Serializer):
    """A report of something that happened to an object."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC, required=True)
    involvedObject = nested(
        ObjectReferenceSerializer, "The object the event is about.", required=True
    )
    reason = string("A short CamelCase reason for the event, such as Scheduled.")
    message = string("A human-readable description of what happened.")
    # DRF's metaclass moves declared fields out of the class, so this does not replace the
    # Field.source attribute the type stubs know about.
    source = nested(EventSourceSerializer, "Who reported the event.")  # type: ignore[assignment]
    firstTimestamp = time("When the event was first recorded.")
    lastTimestamp = time("When the event was last recorded.")
    count = int32("How many times the event happened.")
    type = string("Normal or Warning.")
    eventTime = micro_time("When the event first happened, with microseconds.")
    series = nested(EventSeriesSerializer, "The series this event belongs to, if any.")
    action = string("What was done (or failed) about the object.")
    related = nested(ObjectReferenceSerializer, "A second object involved, if any.")
    reportingComponent = string("The controller that reported the event.")
    reportingInstance = string("The instance of that controller.")


@kube_type(CORE + "EventList", core("EventList"))
class EventListSerializer(Serializer):
    """A list of events."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(EventSerializer, "The events.", required=True)

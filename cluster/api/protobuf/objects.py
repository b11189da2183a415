"""The other top-level kinds and their parts: core/v1 (Namespace, Service, ReplicationController,
Endpoints, Event, Node, Binding, ConfigMap, Secret, ServiceAccount), coordination/v1 Lease and
autoscaling/v1 Scale. Transcribed from the ``generated.proto`` of each group under
``staging/src/k8s.io/api``; the JSON flags follow the ``json:`` tags of ``types.go`` (see
``cluster.api.protobuf.schema``).
"""

from __future__ import annotations

from cluster.api.protobuf.schema import parse_messages

MESSAGES = parse_messages(
    """
ObjectReference:
  1 kind str
  2 namespace str
  3 name str
  4 uid str
  5 apiVersion str
  6 resourceVersion str
  7 fieldPath str

LocalObjectReference:
  1 name str

Namespace:
  1 metadata ObjectMeta
  2 spec NamespaceSpec
  3 status NamespaceStatus

NamespaceSpec:
  1 finalizers []str

NamespaceStatus:
  1 phase str
  2 conditions []NamespaceCondition

NamespaceCondition:
  1 type str keep
  2 status str keep
  4 lastTransitionTime time
  5 reason str
  6 message str

Service:
  1 metadata ObjectMeta
  2 spec ServiceSpec
  3 status ServiceStatus

ServiceSpec:
  1 ports []ServicePort
  2 selector {str}
  3 clusterIP str
  18 clusterIPs []str
  4 type str
  5 externalIPs []str
  7 sessionAffinity str
  8 loadBalancerIP str
  9 loadBalancerSourceRanges []str
  10 externalName str
  11 externalTrafficPolicy str
  12 healthCheckNodePort int
  13 publishNotReadyAddresses bool
  14 sessionAffinityConfig SessionAffinityConfig
  19 ipFamilies []str
  17 ipFamilyPolicy str keep
  20 allocateLoadBalancerNodePorts bool keep
  21 loadBalancerClass str keep
  22 internalTrafficPolicy str keep
  23 trafficDistribution str keep

ServicePort:
  1 name str
  2 protocol str
  6 appProtocol str keep
  3 port int keep
  4 targetPort intstr keep
  5 nodePort int

SessionAffinityConfig:
  1 clientIP ClientIPConfig

ClientIPConfig:
  1 timeoutSeconds int keep

ServiceStatus:
  1 loadBalancer LoadBalancerStatus
  2 conditions []Condition

LoadBalancerStatus:
  1 ingress []LoadBalancerIngress

LoadBalancerIngress:
  1 ip str
  2 hostname str
  3 ipMode str keep
  4 ports []PortStatus

PortStatus:
  1 port int keep
  2 protocol str keep
  3 error str keep

ReplicationController:
  1 metadata ObjectMeta
  2 spec ReplicationControllerSpec
  3 status ReplicationControllerStatus

ReplicationControllerSpec:
  1 replicas int keep
  4 minReadySeconds int
  2 selector {str}
  3 template PodTemplateSpec

ReplicationControllerStatus:
  1 replicas int keep
  2 fullyLabeledReplicas int
  4 readyReplicas int
  5 availableReplicas int
  3 observedGeneration int
  6 conditions []ReplicationControllerCondition

ReplicationControllerCondition:
  1 type str keep
  2 status str keep
  3 lastTransitionTime time
  4 reason str
  5 message str

Endpoints:
  1 metadata ObjectMeta
  2 subsets []EndpointSubset

EndpointSubset:
  1 addresses []EndpointAddress
  2 notReadyAddresses []EndpointAddress
  3 ports []EndpointPort

EndpointAddress:
  1 ip str keep
  3 hostname str
  4 nodeName str keep
  2 targetRef ObjectReference

EndpointPort:
  1 name str
  2 port int keep
  3 protocol str
  4 appProtocol str keep

Event:
  1 metadata ObjectMeta
  2 involvedObject ObjectReference
  3 reason str
  4 message str
  5 source EventSource
  6 firstTimestamp time
  7 lastTimestamp time
  8 count int
  9 type str
  10 eventTime microtime
  11 series EventSeries
  12 action str
  13 related ObjectReference
  14 reportingComponent str keep
  15 reportingInstance str keep

EventSource:
  1 component str
  2 host str

EventSeries:
  1 count int
  2 lastObservedTime microtime

Node:
  1 metadata ObjectMeta
  2 spec NodeSpec
  3 status NodeStatus

NodeSpec:
  1 podCIDR str
  7 podCIDRs []str
  3 providerID str
  4 unschedulable bool
  5 taints []Taint
  6 configSource NodeConfigSource
  2 externalID str

Taint:
  1 key str keep
  2 value str
  3 effect str keep
  4 timeAdded time

NodeConfigSource:
  2 configMap ConfigMapNodeConfigSource

ConfigMapNodeConfigSource:
  1 namespace str keep
  2 name str keep
  3 uid str
  4 resourceVersion str
  5 kubeletConfigKey str keep

NodeStatus:
  1 capacity {quantity}
  2 allocatable {quantity}
  3 phase str
  4 conditions []NodeCondition
  5 addresses []NodeAddress
  6 daemonEndpoints NodeDaemonEndpoints
  7 nodeInfo NodeSystemInfo
  8 images []ContainerImage
  9 volumesInUse []str
  10 volumesAttached []AttachedVolume
  11 config NodeConfigStatus
  12 runtimeHandlers []NodeRuntimeHandler
  13 features NodeFeatures
  14 declaredFeatures []str

NodeCondition:
  1 type str keep
  2 status str keep
  3 lastHeartbeatTime time
  4 lastTransitionTime time
  5 reason str
  6 message str

NodeAddress:
  1 type str keep
  2 address str keep

NodeDaemonEndpoints:
  1 kubeletEndpoint DaemonEndpoint

# The one field whose JSON name is not lowerCamel: json:"Port".
DaemonEndpoint:
  1 Port int keep

NodeSystemInfo:
  1 machineID str keep
  2 systemUUID str keep
  3 bootID str keep
  4 kernelVersion str keep
  5 osImage str keep
  6 containerRuntimeVersion str keep
  7 kubeletVersion str keep
  8 kubeProxyVersion str keep
  9 operatingSystem str keep
  10 architecture str keep
  11 swap NodeSwapStatus

NodeSwapStatus:
  1 capacity int keep

ContainerImage:
  1 names []str
  2 sizeBytes int

AttachedVolume:
  1 name str keep
  2 devicePath str keep

NodeConfigStatus:
  1 assigned NodeConfigSource
  2 active NodeConfigSource
  3 lastKnownGood NodeConfigSource
  4 error str

NodeRuntimeHandler:
  1 name str keep
  2 features NodeRuntimeHandlerFeatures

NodeRuntimeHandlerFeatures:
  1 recursiveReadOnlyMounts bool keep
  2 userNamespaces bool keep

NodeFeatures:
  1 supplementalGroupsPolicy bool keep
  2 containerUlimits bool keep

Binding:
  1 metadata ObjectMeta
  2 target ObjectReference

ConfigMap:
  1 metadata ObjectMeta
  4 immutable bool keep
  2 data {str}
  3 binaryData {bytes}

Secret:
  1 metadata ObjectMeta
  5 immutable bool keep
  2 data {bytes}
  4 stringData {str}
  3 type str

ServiceAccount:
  1 metadata ObjectMeta
  2 secrets []ObjectReference
  3 imagePullSecrets []LocalObjectReference
  4 automountServiceAccountToken bool keep

Lease:
  1 metadata ObjectMeta
  2 spec LeaseSpec

LeaseSpec:
  1 holderIdentity str keep
  2 leaseDurationSeconds int keep
  3 acquireTime microtime
  4 renewTime microtime
  5 leaseTransitions int keep
  6 strategy str keep
  7 preferredHolder str keep

Scale:
  1 metadata ObjectMeta
  2 spec ScaleSpec
  3 status ScaleStatus

# Go's JSON drops a zero spec.replicas (omitempty on a plain int32), but a zero here means
# "scale to zero", so it is kept: the same object for Go, and explicit for Python readers.
ScaleSpec:
  1 replicas int keep

ScaleStatus:
  1 replicas int keep
  2 selector str
"""
)

"""core/v1 messages of a pod: its spec (containers, probes, security, scheduling) and status.
Transcribed from ``staging/src/k8s.io/api/core/v1/generated.proto``; the JSON flags follow the
``json:`` tags of ``types.go`` (see ``cluster.api.protobuf.schema``). Volumes are in
``cluster.api.protobuf.volumes``.
"""

from __future__ import annotations

from cluster.api.protobuf.schema import parse_messages

MESSAGES = parse_messages(
    """
Pod:
  1 metadata ObjectMeta
  2 spec PodSpec
  3 status PodStatus

PodTemplateSpec:
  1 metadata ObjectMeta
  2 spec PodSpec

PodSpec:
  1 volumes []Volume
  20 initContainers []Container
  2 containers []Container
  34 ephemeralContainers []EphemeralContainer
  3 restartPolicy str
  4 terminationGracePeriodSeconds int keep
  5 activeDeadlineSeconds int keep
  6 dnsPolicy str
  7 nodeSelector {str}
  8 serviceAccountName str
  9 serviceAccount str
  21 automountServiceAccountToken bool keep
  10 nodeName str
  11 hostNetwork bool
  12 hostPID bool
  13 hostIPC bool
  27 shareProcessNamespace bool keep
  14 securityContext PodSecurityContext
  15 imagePullSecrets []LocalObjectReference
  16 hostname str
  17 subdomain str
  18 affinity Affinity
  19 schedulerName str
  22 tolerations []Toleration
  23 hostAliases []HostAlias
  24 priorityClassName str
  25 priority int keep
  26 dnsConfig PodDNSConfig
  28 readinessGates []PodReadinessGate
  29 runtimeClassName str keep
  30 enableServiceLinks bool keep
  31 preemptionPolicy str keep
  32 overhead {quantity}
  33 topologySpreadConstraints []TopologySpreadConstraint
  35 setHostnameAsFQDN bool keep
  36 os PodOS
  37 hostUsers bool keep
  38 schedulingGates []PodSchedulingGate
  39 resourceClaims []PodResourceClaim
  40 resources ResourceRequirements
  41 hostnameOverride str keep
  42 workloadRef WorkloadReference

Container:
  1 name str keep
  2 image str
  3 command []str
  4 args []str
  5 workingDir str
  6 ports []ContainerPort
  19 envFrom []EnvFromSource
  7 env []EnvVar
  8 resources ResourceRequirements
  23 resizePolicy []ContainerResizePolicy
  24 restartPolicy str keep
  25 restartPolicyRules []ContainerRestartRule
  9 volumeMounts []VolumeMount
  21 volumeDevices []VolumeDevice
  10 livenessProbe Probe
  11 readinessProbe Probe
  22 startupProbe Probe
  12 lifecycle Lifecycle
  13 terminationMessagePath str
  20 terminationMessagePolicy str
  14 imagePullPolicy str
  15 securityContext SecurityContext
  16 stdin bool
  17 stdinOnce bool
  18 tty bool

# EphemeralContainerCommon repeats Container's fields with the same numbers and JSON tags.
EphemeralContainer:
  1 ephemeralContainerCommon Container inline
  2 targetContainerName str

ContainerPort:
  1 name str
  2 hostPort int
  3 containerPort int keep
  4 protocol str
  5 hostIP str

EnvFromSource:
  1 prefix str
  2 configMapRef ConfigMapEnvSource
  3 secretRef SecretEnvSource

ConfigMapEnvSource:
  1 localObjectReference LocalObjectReference inline
  2 optional bool keep

SecretEnvSource:
  1 localObjectReference LocalObjectReference inline
  2 optional bool keep

EnvVar:
  1 name str keep
  2 value str
  3 valueFrom EnvVarSource

EnvVarSource:
  1 fieldRef ObjectFieldSelector
  2 resourceFieldRef ResourceFieldSelector
  3 configMapKeyRef ConfigMapKeySelector
  4 secretKeyRef SecretKeySelector
  5 fileKeyRef FileKeySelector

ObjectFieldSelector:
  1 apiVersion str
  2 fieldPath str keep

ResourceFieldSelector:
  1 containerName str
  2 resource str keep
  3 divisor quantity

ConfigMapKeySelector:
  1 localObjectReference LocalObjectReference inline
  2 key str keep
  3 optional bool keep

SecretKeySelector:
  1 localObjectReference LocalObjectReference inline
  2 key str keep
  3 optional bool keep

FileKeySelector:
  1 volumeName str keep
  2 path str keep
  3 key str keep
  4 optional bool keep

ResourceRequirements:
  1 limits {quantity}
  2 requests {quantity}
  3 claims []ResourceClaim

ResourceClaim:
  1 name str keep
  2 request str

ContainerResizePolicy:
  1 resourceName str keep
  2 restartPolicy str keep

ContainerRestartRule:
  1 action str
  2 exitCodes ContainerRestartRuleOnExitCodes

ContainerRestartRuleOnExitCodes:
  1 operator str
  2 values []int

VolumeMount:
  1 name str keep
  2 readOnly bool
  7 recursiveReadOnly str keep
  3 mountPath str keep
  4 subPath str
  5 mountPropagation str keep
  6 subPathExpr str

VolumeDevice:
  1 name str keep
  2 devicePath str keep

Probe:
  1 handler ProbeHandler inline
  2 initialDelaySeconds int
  3 timeoutSeconds int
  4 periodSeconds int
  5 successThreshold int
  6 failureThreshold int
  7 terminationGracePeriodSeconds int keep

ProbeHandler:
  1 exec ExecAction
  2 httpGet HTTPGetAction
  3 tcpSocket TCPSocketAction
  4 grpc GRPCAction

ExecAction:
  1 command []str

HTTPGetAction:
  1 path str
  2 port intstr keep
  3 host str
  4 scheme str
  5 httpHeaders []HTTPHeader

HTTPHeader:
  1 name str keep
  2 value str keep

TCPSocketAction:
  1 port intstr keep
  2 host str

GRPCAction:
  1 port int keep
  2 service str keep

Lifecycle:
  1 postStart LifecycleHandler
  2 preStop LifecycleHandler
  3 stopSignal str keep

LifecycleHandler:
  1 exec ExecAction
  2 httpGet HTTPGetAction
  3 tcpSocket TCPSocketAction
  4 sleep SleepAction

SleepAction:
  1 seconds int keep

SecurityContext:
  1 capabilities Capabilities
  2 privileged bool keep
  3 seLinuxOptions SELinuxOptions
  10 windowsOptions WindowsSecurityContextOptions
  4 runAsUser int keep
  8 runAsGroup int keep
  5 runAsNonRoot bool keep
  6 readOnlyRootFilesystem bool keep
  7 allowPrivilegeEscalation bool keep
  9 procMount str keep
  11 seccompProfile SeccompProfile
  12 appArmorProfile AppArmorProfile
  13 ulimits []Ulimit

Ulimit:
  1 name str keep
  2 hard int keep
  3 soft int keep

Capabilities:
  1 add []str
  2 drop []str

SELinuxOptions:
  1 user str
  2 role str
  3 type str
  4 level str

WindowsSecurityContextOptions:
  1 gmsaCredentialSpecName str keep
  2 gmsaCredentialSpec str keep
  3 runAsUserName str keep
  4 hostProcess bool keep

SeccompProfile:
  1 type str keep
  2 localhostProfile str keep

AppArmorProfile:
  1 type str keep
  2 localhostProfile str keep

PodSecurityContext:
  1 seLinuxOptions SELinuxOptions
  8 windowsOptions WindowsSecurityContextOptions
  2 runAsUser int keep
  6 runAsGroup int keep
  3 runAsNonRoot bool keep
  4 supplementalGroups []int
  12 supplementalGroupsPolicy str keep
  5 fsGroup int keep
  7 sysctls []Sysctl
  9 fsGroupChangePolicy str keep
  10 seccompProfile SeccompProfile
  11 appArmorProfile AppArmorProfile
  13 seLinuxChangePolicy str keep

Sysctl:
  1 name str keep
  2 value str keep

Affinity:
  1 nodeAffinity NodeAffinity
  2 podAffinity PodAffinity
  3 podAntiAffinity PodAntiAffinity

NodeAffinity:
  1 requiredDuringSchedulingIgnoredDuringExecution NodeSelector
  2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm

NodeSelector:
  1 nodeSelectorTerms []NodeSelectorTerm

NodeSelectorTerm:
  1 matchExpressions []NodeSelectorRequirement
  2 matchFields []NodeSelectorRequirement

NodeSelectorRequirement:
  1 key str keep
  2 operator str keep
  3 values []str

PreferredSchedulingTerm:
  1 weight int keep
  2 preference NodeSelectorTerm

PodAffinity:
  1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm

PodAntiAffinity:
  1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm

PodAffinityTerm:
  1 labelSelector LabelSelector
  2 namespaces []str
  3 topologyKey str keep
  4 namespaceSelector LabelSelector
  5 matchLabelKeys []str
  6 mismatchLabelKeys []str

WeightedPodAffinityTerm:
  1 weight int keep
  2 podAffinityTerm PodAffinityTerm

Toleration:
  1 key str
  2 operator str
  3 value str
  4 effect str
  5 tolerationSeconds int keep

HostAlias:
  1 ip str keep
  2 hostnames []str

PodDNSConfig:
  1 nameservers []str
  2 searches []str
  3 options []PodDNSConfigOption

PodDNSConfigOption:
  1 name str
  2 value str keep

PodReadinessGate:
  1 conditionType str keep

TopologySpreadConstraint:
  1 maxSkew int keep
  2 topologyKey str keep
  3 whenUnsatisfiable str keep
  4 labelSelector LabelSelector
  5 minDomains int keep
  6 nodeAffinityPolicy str keep
  7 nodeTaintsPolicy str keep
  8 matchLabelKeys []str

PodOS:
  1 name str keep

PodSchedulingGate:
  1 name str keep

PodResourceClaim:
  1 name str keep
  3 resourceClaimName str keep
  4 resourceClaimTemplateName str keep

WorkloadReference:
  1 name str keep
  2 podGroup str keep
  3 podGroupReplicaKey str

PodStatus:
  17 observedGeneration int
  1 phase str
  2 conditions []PodCondition
  3 message str
  4 reason str
  11 nominatedNodeName str
  5 hostIP str
  16 hostIPs []HostIP
  6 podIP str
  12 podIPs []PodIP
  7 startTime time
  10 initContainerStatuses []ContainerStatus
  8 containerStatuses []ContainerStatus
  9 qosClass str
  13 ephemeralContainerStatuses []ContainerStatus
  14 resize str
  15 resourceClaimStatuses []PodResourceClaimStatus
  18 extendedResourceClaimStatus PodExtendedResourceClaimStatus
  19 allocatedResources {quantity}
  20 resources ResourceRequirements

PodCondition:
  1 type str keep
  7 observedGeneration int
  2 status str keep
  3 lastProbeTime time
  4 lastTransitionTime time
  5 reason str
  6 message str

HostIP:
  1 ip str keep

PodIP:
  1 ip str keep

ContainerStatus:
  1 name str keep
  2 state ContainerState
  3 lastState ContainerState
  4 ready bool keep
  5 restartCount int keep
  6 image str keep
  7 imageID str keep
  8 containerID str
  9 started bool keep
  10 allocatedResources {quantity}
  11 resources ResourceRequirements
  12 volumeMounts []VolumeMountStatus
  13 user ContainerUser
  14 allocatedResourcesStatus []ResourceStatus
  15 stopSignal str keep

ContainerState:
  1 waiting ContainerStateWaiting
  2 running ContainerStateRunning
  3 terminated ContainerStateTerminated

ContainerStateWaiting:
  1 reason str
  2 message str

ContainerStateRunning:
  1 startedAt time

ContainerStateTerminated:
  1 exitCode int keep
  2 signal int
  3 reason str
  4 message str
  5 startedAt time
  6 finishedAt time
  7 containerID str

VolumeMountStatus:
  1 name str keep
  2 mountPath str keep
  3 readOnly bool
  4 recursiveReadOnly str keep
  5 volumeStatus VolumeStatus inline

VolumeStatus:
  1 image ImageVolumeStatus

ImageVolumeStatus:
  1 imageRef str keep

ContainerUser:
  1 linux LinuxContainerUser

LinuxContainerUser:
  1 uid int keep
  2 gid int keep
  3 supplementalGroups []int

ResourceStatus:
  1 name str keep
  2 resources []ResourceHealth

ResourceHealth:
  1 resourceID str keep
  2 health str
  6 message str keep

PodResourceClaimStatus:
  1 name str keep
  2 resourceClaimName str keep

PodExtendedResourceClaimStatus:
  1 requestMappings []ContainerExtendedResourceRequest
  2 resourceClaimName str keep

ContainerExtendedResourceRequest:
  1 containerName str keep
  2 resourceName str keep
  3 requestName str keep
"""
)

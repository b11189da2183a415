"""core/v1 messages of a pod's volumes: every volume source, projections, and the claim
template of ephemeral volumes. Transcribed from ``staging/src/k8s.io/api/core/v1/generated.proto``;
the JSON flags follow the ``json:`` tags of ``types.go`` (see ``cluster.api.protobuf.schema``).
"""

from __future__ import annotations

from cluster.api.protobuf.schema import parse_messages

MESSAGES = parse_messages(
    """
Volume:
  1 name str keep
  2 volumeSource VolumeSource inline

VolumeSource:
  1 hostPath HostPathVolumeSource
  2 emptyDir EmptyDirVolumeSource
  3 gcePersistentDisk GCEPersistentDiskVolumeSource
  4 awsElasticBlockStore AWSElasticBlockStoreVolumeSource
  5 gitRepo GitRepoVolumeSource
  6 secret SecretVolumeSource
  7 nfs NFSVolumeSource
  8 iscsi ISCSIVolumeSource
  9 glusterfs GlusterfsVolumeSource
  10 persistentVolumeClaim PersistentVolumeClaimVolumeSource
  11 rbd RBDVolumeSource
  12 flexVolume FlexVolumeSource
  13 cinder CinderVolumeSource
  14 cephfs CephFSVolumeSource
  15 flocker FlockerVolumeSource
  16 downwardAPI DownwardAPIVolumeSource
  17 fc FCVolumeSource
  18 azureFile AzureFileVolumeSource
  19 configMap ConfigMapVolumeSource
  20 vsphereVolume VsphereVirtualDiskVolumeSource
  21 quobyte QuobyteVolumeSource
  22 azureDisk AzureDiskVolumeSource
  23 photonPersistentDisk PhotonPersistentDiskVolumeSource
  24 portworxVolume PortworxVolumeSource
  25 scaleIO ScaleIOVolumeSource
  26 projected ProjectedVolumeSource
  27 storageos StorageOSVolumeSource
  28 csi CSIVolumeSource
  29 ephemeral EphemeralVolumeSource
  30 image ImageVolumeSource

HostPathVolumeSource:
  1 path str keep
  2 type str keep

EmptyDirVolumeSource:
  1 medium str
  2 sizeLimit quantity

GCEPersistentDiskVolumeSource:
  1 pdName str keep
  2 fsType str
  3 partition int
  4 readOnly bool

AWSElasticBlockStoreVolumeSource:
  1 volumeID str keep
  2 fsType str
  3 partition int
  4 readOnly bool

GitRepoVolumeSource:
  1 repository str keep
  2 revision str
  3 directory str

SecretVolumeSource:
  1 secretName str
  2 items []KeyToPath
  3 defaultMode int keep
  4 optional bool keep

KeyToPath:
  1 key str keep
  2 path str keep
  3 mode int keep

NFSVolumeSource:
  1 server str keep
  2 path str keep
  3 readOnly bool

ISCSIVolumeSource:
  1 targetPortal str keep
  2 iqn str keep
  3 lun int keep
  4 iscsiInterface str
  5 fsType str
  6 readOnly bool
  7 portals []str
  8 chapAuthDiscovery bool
  11 chapAuthSession bool
  10 secretRef LocalObjectReference
  12 initiatorName str keep

GlusterfsVolumeSource:
  1 endpoints str keep
  2 path str keep
  3 readOnly bool

PersistentVolumeClaimVolumeSource:
  1 claimName str keep
  2 readOnly bool

RBDVolumeSource:
  1 monitors []str
  2 image str keep
  3 fsType str
  4 pool str
  5 user str
  6 keyring str
  7 secretRef LocalObjectReference
  8 readOnly bool

FlexVolumeSource:
  1 driver str keep
  2 fsType str
  3 secretRef LocalObjectReference
  4 readOnly bool
  5 options {str}

CinderVolumeSource:
  1 volumeID str keep
  2 fsType str
  3 readOnly bool
  4 secretRef LocalObjectReference

CephFSVolumeSource:
  1 monitors []str
  2 path str
  3 user str
  4 secretFile str
  5 secretRef LocalObjectReference
  6 readOnly bool

FlockerVolumeSource:
  1 datasetName str
  2 datasetUUID str

DownwardAPIVolumeSource:
  1 items []DownwardAPIVolumeFile
  2 defaultMode int keep

DownwardAPIVolumeFile:
  1 path str keep
  2 fieldRef ObjectFieldSelector
  3 resourceFieldRef ResourceFieldSelector
  4 mode int keep

FCVolumeSource:
  1 targetWWNs []str
  2 lun int keep
  3 fsType str
  4 readOnly bool
  5 wwids []str

AzureFileVolumeSource:
  1 secretName str keep
  2 shareName str keep
  3 readOnly bool

ConfigMapVolumeSource:
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  3 defaultMode int keep
  4 optional bool keep

VsphereVirtualDiskVolumeSource:
  1 volumePath str keep
  2 fsType str
  3 storagePolicyName str
  4 storagePolicyID str

QuobyteVolumeSource:
  1 registry str keep
  2 volume str keep
  3 readOnly bool
  4 user str
  5 group str
  6 tenant str

AzureDiskVolumeSource:
  1 diskName str keep
  2 diskURI str keep
  3 cachingMode str keep
  4 fsType str keep
  5 readOnly bool keep
  6 kind str keep

PhotonPersistentDiskVolumeSource:
  1 pdID str keep
  2 fsType str

PortworxVolumeSource:
  1 volumeID str keep
  2 fsType str
  3 readOnly bool

ScaleIOVolumeSource:
  1 gateway str keep
  2 system str keep
  3 secretRef LocalObjectReference
  4 sslEnabled bool
  5 protectionDomain str
  6 storagePool str
  7 storageMode str
  8 volumeName str
  9 fsType str
  10 readOnly bool

ProjectedVolumeSource:
  1 sources []VolumeProjection
  2 defaultMode int keep

VolumeProjection:
  1 secret SecretProjection
  2 downwardAPI DownwardAPIProjection
  3 configMap ConfigMapProjection
  4 serviceAccountToken ServiceAccountTokenProjection
  5 clusterTrustBundle ClusterTrustBundleProjection
  6 podCertificate PodCertificateProjection

SecretProjection:
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  4 optional bool keep

ConfigMapProjection:
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  4 optional bool keep

DownwardAPIProjection:
  1 items []DownwardAPIVolumeFile

ServiceAccountTokenProjection:
  1 audience str
  2 expirationSeconds int keep
  3 path str keep

ClusterTrustBundleProjection:
  1 name str keep
  2 signerName str keep
  3 labelSelector LabelSelector
  5 optional bool keep
  4 path str keep

PodCertificateProjection:
  1 signerName str
  2 keyType str
  3 maxExpirationSeconds int keep
  4 credentialBundlePath str
  5 keyPath str
  6 certificateChainPath str
  7 userAnnotations {str}

StorageOSVolumeSource:
  1 volumeName str
  2 volumeNamespace str
  3 fsType str
  4 readOnly bool
  5 secretRef LocalObjectReference

CSIVolumeSource:
  1 driver str keep
  2 readOnly bool keep
  3 fsType str keep
  4 volumeAttributes {str}
  5 nodePublishSecretRef LocalObjectReference

EphemeralVolumeSource:
  1 volumeClaimTemplate PersistentVolumeClaimTemplate

PersistentVolumeClaimTemplate:
  1 metadata ObjectMeta
  2 spec PersistentVolumeClaimSpec

PersistentVolumeClaimSpec:
  1 accessModes []str
  4 selector LabelSelector
  2 resources VolumeResourceRequirements
  3 volumeName str
  5 storageClassName str keep
  6 volumeMode str keep
  7 dataSource TypedLocalObjectReference
  8 dataSourceRef TypedObjectReference
  9 volumeAttributesClassName str keep

VolumeResourceRequirements:
  1 limits {quantity}
  2 requests {quantity}

TypedLocalObjectReference:
  1 apiGroup str keep
  2 kind str keep
  3 name str keep

TypedObjectReference:
  1 apiGroup str keep
  2 kind str keep
  3 name str keep
  4 namespace str keep

ImageVolumeSource:
  1 reference str
  2 pullPolicy str
"""
)

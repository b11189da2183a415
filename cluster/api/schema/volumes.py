"""core/v1 volumes: the common sources in full, the in-tree storage plugins by name only.

The sources pods use every day (emptyDir, hostPath, configMap, secret, downwardAPI,
projected, which every pod with a service account token has, persistentVolumeClaim, csi, nfs,
image) are described field by field. The legacy in-tree drivers (awsElasticBlockStore,
glusterfs, ...) and generic ephemeral volumes are known by name, so manifests using them are
accepted, but their contents are not described.
"""

from __future__ import annotations

from cluster.api.schema.containers import (
    ObjectFieldSelectorSerializer,
    ResourceFieldSelectorSerializer,
)
from cluster.api.schema.fields import (
    boolean,
    int32,
    int64,
    opaque,
    quantity,
    string,
    string_map,
)
from cluster.api.schema.naming import CORE, Serializer, kube_type, nested, nested_list

DEFAULT_MODE_DOC = (
    "Permission bits of the created files, as an octal or decimal number (0000-0777). "
    "Defaults to 0644."
)
DEFAULT_USER_DOC = "Owner UID of the created files."


@kube_type(CORE + "LocalObjectReference")
class LocalObjectReferenceSerializer(Serializer):
    """A reference to an object in the same namespace, by name."""

    name = string("Name of the referent.")


@kube_type(CORE + "KeyToPath")
class KeyToPathSerializer(Serializer):
    """A key of a ConfigMap or Secret and the file it is written to."""

    key = string("The key to project.", required=True)
    path = string("Relative path of the file to write the key to.", required=True)
    mode = int32("Permission bits of this file; defaults to the volume's defaultMode.")
    user = int64("Owner UID of this file; defaults to the volume's defaultUser.")


@kube_type(CORE + "EmptyDirVolumeSource")
class EmptyDirVolumeSourceSerializer(Serializer):
    """An empty directory that lives as long as the pod."""

    medium = string("Storage medium: '' for the node's default, or 'Memory' for tmpfs.")
    sizeLimit = quantity("The most local storage the volume may use.")
    mode = int32("Permission bits of the directory.")


@kube_type(CORE + "HostPathVolumeSource")
class HostPathVolumeSourceSerializer(Serializer):
    """A file or directory of the node, mapped into the pod."""

    path = string("Path on the node; a symlink is followed.", required=True)
    type = string(
        "What must exist at the path: '' (no check), DirectoryOrCreate, Directory, "
        "FileOrCreate, File, Socket, CharDevice or BlockDevice.",
        go_type="v1.HostPathType",
    )


@kube_type(CORE + "ConfigMapVolumeSource")
class ConfigMapVolumeSourceSerializer(Serializer):
    """A ConfigMap's keys as files."""

    name = string("Name of the ConfigMap.")
    items = nested_list(
        KeyToPathSerializer, "The keys to project and where; by default every key as a file."
    )
    defaultMode = int32(DEFAULT_MODE_DOC)
    defaultUser = int64(DEFAULT_USER_DOC)
    optional = boolean("Whether the ConfigMap or its keys may be missing.")


@kube_type(CORE + "SecretVolumeSource")
class SecretVolumeSourceSerializer(Serializer):
    """A Secret's keys as files."""

    secretName = string("Name of the Secret in the pod's namespace.")
    items = nested_list(
        KeyToPathSerializer, "The keys to project and where; by default every key as a file."
    )
    defaultMode = int32(DEFAULT_MODE_DOC)
    defaultUser = int64(DEFAULT_USER_DOC)
    optional = boolean("Whether the Secret or its keys may be missing.")


@kube_type(CORE + "DownwardAPIVolumeFile")
class DownwardAPIVolumeFileSerializer(Serializer):
    """A file holding a field of the pod or a resource of a container."""

    path = string("Relative path of the file.", required=True)
    fieldRef = nested(
        ObjectFieldSelectorSerializer, "A field of the pod: name, namespace, labels, ..."
    )
    resourceFieldRef = nested(
        ResourceFieldSelectorSerializer, "A resource limit or request of a container."
    )
    mode = int32("Permission bits of this file; defaults to the volume's defaultMode.")
    user = int64("Owner UID of this file; defaults to the volume's defaultUser.")


@kube_type(CORE + "DownwardAPIVolumeSource")
class DownwardAPIVolumeSourceSerializer(Serializer):
    """Information about the pod as files."""

    items = nested_list(DownwardAPIVolumeFileSerializer, "The files to write.")
    defaultMode = int32(DEFAULT_MODE_DOC)
    defaultUser = int64(DEFAULT_USER_DOC)


@kube_type(CORE + "ConfigMapProjection")
class ConfigMapProjectionSerializer(Serializer):
    """A ConfigMap's keys in a projected volume."""

    name = string("Name of the ConfigMap.")
    items = nested_list(KeyToPathSerializer, "The keys to project and where.")
    optional = boolean("Whether the ConfigMap or its keys may be missing.")


@kube_type(CORE + "SecretProjection")
class SecretProjectionSerializer(Serializer):
    """A Secret's keys in a projected volume."""

    name = string("Name of the Secret.")
    items = nested_list(KeyToPathSerializer, "The keys to project and where.")
    optional = boolean("Whether the Secret or its keys may be missing.")


@kube_type(CORE + "DownwardAPIProjection")
class DownwardAPIProjectionSerializer(Serializer):
    """Information about the pod in a projected volume."""

    items = nested_list(DownwardAPIVolumeFileSerializer, "The files to write.")


@kube_type(CORE + "ServiceAccountTokenProjection")
class ServiceAccountTokenProjectionSerializer(Serializer):
    """A service account token for the pod, kept fresh by the kubelet."""

    audience = string("The intended audience of the token; defaults to the API server.")
    expirationSeconds = int64("Requested validity of the token. Defaults to one hour.")
    path = string("Relative path of the token file.", required=True)
    user = int64("Owner UID of the token file.")


@kube_type(CORE + "VolumeProjection")
class VolumeProjectionSerializer(Serializer):
    """One source of a projected volume."""

    secret = nested(SecretProjectionSerializer, "Keys of a Secret.")
    downwardAPI = nested(DownwardAPIProjectionSerializer, "Information about the pod.")
    configMap = nested(ConfigMapProjectionSerializer, "Keys of a ConfigMap.")
    serviceAccountToken = nested(
        ServiceAccountTokenProjectionSerializer, "A service account token."
    )
    clusterTrustBundle = opaque(
        "Certificates of ClusterTrustBundle objects, in one PEM file.",
        go_type="v1.ClusterTrustBundleProjection",
    )
    podCertificate = opaque(
        "A key and a certificate issued to the pod.", go_type="v1.PodCertificateProjection"
    )


@kube_type(CORE + "ProjectedVolumeSource")
class ProjectedVolumeSourceSerializer(Serializer):
    """Several sources combined in one directory."""

    sources = nested_list(VolumeProjectionSerializer, "The sources to project.")
    defaultMode = int32(DEFAULT_MODE_DOC)
    defaultUser = int64(DEFAULT_USER_DOC)


@kube_type(CORE + "PersistentVolumeClaimVolumeSource")
class PersistentVolumeClaimVolumeSourceSerializer(Serializer):
    """A PersistentVolumeClaim in the pod's namespace."""

    claimName = string("Name of the claim.", required=True)
    readOnly = boolean("Force the volume to be mounted read-only.")


@kube_type(CORE + "CSIVolumeSource")
class CSIVolumeSourceSerializer(Serializer):
    """A volume provided by an external CSI driver."""

    driver = string("Name of the CSI driver.", required=True)
    readOnly = boolean("Mount read-only. Defaults to false.")
    fsType = string("File system type, such as ext4, passed to the driver.")
    volumeAttributes = string_map("Driver-specific properties.")
    nodePublishSecretRef = nested(
        LocalObjectReferenceSerializer, "A Secret with sensitive data for the driver."
    )


@kube_type(CORE + "NFSVolumeSource")
class NFSVolumeSourceSerializer(Serializer):
    """An NFS export."""

    server = string("Host name or IP of the NFS server.", required=True)
    path = string("Path exported by the server.", required=True)
    readOnly = boolean("Mount read-only. Defaults to false.")


@kube_type(CORE + "ImageVolumeSource")
class ImageVolumeSourceSerializer(Serializer):
    """The contents of an OCI image or artifact, read-only."""

    reference = string("The image or artifact reference to pull.")
    pullPolicy = string("Always, Never or IfNotPresent.", go_type="v1.PullPolicy")


def _in_tree(name: str) -> str:
    return f"A {name} volume (an in-tree storage plugin; its fields are not described here)."


@kube_type(CORE + "Volume")
class VolumeSerializer(Serializer):
    """A named volume that containers of the pod may mount; exactly one source."""

    name = string("Name of the volume, a DNS label unique within the pod.", required=True)
    hostPath = nested(
        HostPathVolumeSourceSerializer, "A file or directory of the node (privileged)."
    )
    emptyDir = nested(EmptyDirVolumeSourceSerializer, "A temporary directory for the pod.")
    secret = nested(SecretVolumeSourceSerializer, "The keys of a Secret.")
    configMap = nested(ConfigMapVolumeSourceSerializer, "The keys of a ConfigMap.")
    downwardAPI = nested(DownwardAPIVolumeSourceSerializer, "Information about the pod.")
    projected = nested(ProjectedVolumeSourceSerializer, "Several sources in one directory.")
    persistentVolumeClaim = nested(
        PersistentVolumeClaimVolumeSourceSerializer, "A PersistentVolumeClaim."
    )
    csi = nested(CSIVolumeSourceSerializer, "A volume from a CSI driver.")
    nfs = nested(NFSVolumeSourceSerializer, "An NFS export.")
    image = nested(ImageVolumeSourceSerializer, "The contents of an OCI image.")
    ephemeral = opaque(
        "A volume from a PersistentVolumeClaim made for the pod from a template.",
        go_type="v1.EphemeralVolumeSource",
    )
    gcePersistentDisk = opaque(
        _in_tree("GCE persistent disk"), go_type="v1.GCEPersistentDiskVolumeSource"
    )
    awsElasticBlockStore = opaque(
        _in_tree("AWS EBS"), go_type="v1.AWSElasticBlockStoreVolumeSource"
    )
    gitRepo = opaque(_in_tree("git repository"), go_type="v1.GitRepoVolumeSource")
    iscsi = opaque(_in_tree("iSCSI"), go_type="v1.ISCSIVolumeSource")
    glusterfs = opaque(_in_tree("GlusterFS"), go_type="v1.GlusterfsVolumeSource")
    rbd = opaque(_in_tree("Ceph RBD"), go_type="v1.RBDVolumeSource")
    flexVolume = opaque(_in_tree("FlexVolume"), go_type="v1.FlexVolumeSource")
    cinder = opaque(_in_tree("OpenStack Cinder"), go_type="v1.CinderVolumeSource")
    cephfs = opaque(_in_tree("CephFS"), go_type="v1.CephFSVolumeSource")
    flocker = opaque(_in_tree("Flocker"), go_type="v1.FlockerVolumeSource")
    fc = opaque(_in_tree("Fibre Channel"), go_type="v1.FCVolumeSource")
    azureFile = opaque(_in_tree("Azure File"), go_type="v1.AzureFileVolumeSource")
    vsphereVolume = opaque(_in_tree("vSphere"), go_type="v1.VsphereVirtualDiskVolumeSource")
    quobyte = opaque(_in_tree("Quobyte"), go_type="v1.QuobyteVolumeSource")
    azureDisk = opaque(_in_tree("Azure Disk"), go_type="v1.AzureDiskVolumeSource")
    photonPersistentDisk = opaque(_in_tree("Photon"), go_type="v1.PhotonPersistentDiskVolumeSource")
    portworxVolume = opaque(_in_tree("Portworx"), go_type="v1.PortworxVolumeSource")
    scaleIO = opaque(_in_tree("ScaleIO"), go_type="v1.ScaleIOVolumeSource")
    storageos = opaque(_in_tree("StorageOS"), go_type="v1.StorageOSVolumeSource")

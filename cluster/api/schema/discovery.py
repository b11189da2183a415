"""The discovery documents: which groups, versions and resources the server has."""

from __future__ import annotations

from cluster.api.schema.fields import boolean, string, strings
from cluster.api.schema.meta import api_version, kind
from cluster.api.schema.naming import META, Serializer, core, kube_type, nested, nested_list


@kube_type(META + "ServerAddressByClientCIDR")
class ServerAddressByClientCIDRSerializer(Serializer):
    """The address clients in a network should use to reach the server."""

    clientCIDR = string("The clients' network.", required=True)
    serverAddress = string("The server's address for them: host or host:port.", required=True)


@kube_type(META + "APIVersions", core("APIVersions"))
class APIVersionsSerializer(Serializer):
    """The versions of the core API (/api)."""

    apiVersion = api_version()
    kind = kind()
    versions = strings("The versions served.", required=True)
    serverAddressByClientCIDRs = nested_list(
        ServerAddressByClientCIDRSerializer,
        "Addresses clients should use, by client network.",
        required=True,
    )


@kube_type(META + "GroupVersionForDiscovery")
class GroupVersionForDiscoverySerializer(Serializer):
    """A version of a group."""

    groupVersion = string("'<group>/<version>'.", required=True)
    version = string("The version alone.", required=True)


@kube_type(META + "APIGroup", core("APIGroup"))
class APIGroupSerializer(Serializer):
    """An API group and its versions."""

    apiVersion = api_version()
    kind = kind()
    name = string("The group's name.", required=True)
    versions = nested_list(GroupVersionForDiscoverySerializer, "The versions.", required=True)
    preferredVersion = nested(
        GroupVersionForDiscoverySerializer, "The version clients should prefer."
    )
    serverAddressByClientCIDRs = nested_list(
        ServerAddressByClientCIDRSerializer, "Addresses clients should use, by client network."
    )


@kube_type(META + "APIGroupList", core("APIGroupList"))
class APIGroupListSerializer(Serializer):
    """The API groups (/apis)."""

    apiVersion = api_version()
    kind = kind()
    groups = nested_list(APIGroupSerializer, "The groups.", required=True)


@kube_type(META + "APIResource")
class APIResourceSerializer(Serializer):
    """A resource of a group version and what can be done with it."""

    name = string("The plural name of the resource, or '<resource>/<subresource>'.", required=True)
    singularName = string("The singular name of the resource.", required=True)
    namespaced = boolean("Whether the objects live in namespaces.", required=True)
    group = string("The group of the resource's kind, when it differs (Scale).")
    version = string("The version of the resource's kind, when it differs.")
    kind = string("The kind of the resource's objects.", required=True)
    verbs = strings("The verbs the resource supports: get, list, watch, ...", required=True)
    shortNames = strings("Short names kubectl accepts, such as po.")
    categories = strings("Categories the resource belongs to, such as all.")
    storageVersionHash = string("An opaque hash of the storage version.")


@kube_type(META + "APIResourceList", core("APIResourceList"))
class APIResourceListSerializer(Serializer):
    """The resources of a group version."""

    apiVersion = api_version()
    kind = kind()
    groupVersion = string("The group version listed.", required=True)
    resources = nested_list(APIResourceSerializer, "The resources.", required=True)


@kube_type("io.k8s.apimachinery.pkg.version.Info")
class VersionInfoSerializer(Serializer):
    """The server's version (/version)."""

    major = string("Major version.", required=True)
    minor = string("Minor version.", required=True)
    emulationMajor = string("Major version the server emulates.")
    emulationMinor = string("Minor version the server emulates.")
    minCompatibilityMajor = string("Oldest major version the server is compatible with.")
    minCompatibilityMinor = string("Oldest minor version the server is compatible with.")
    gitVersion = string("Full version string.", required=True)
    gitCommit = string("Source commit.", required=True)
    gitTreeState = string("Whether the tree was clean.", required=True)
    buildDate = string("When the server was built.", required=True)
    goVersion = string("Runtime version.", required=True)
    compiler = string("Compiler or interpreter.", required=True)
    platform = string("OS and architecture.", required=True)

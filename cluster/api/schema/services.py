"""core/v1 Service and Endpoints: stable addresses for sets of pods."""

from __future__ import annotations

from cluster.api.schema.fields import boolean, int32, int_or_string, string, string_map, strings
from cluster.api.schema.meta import (
    LIST_METADATA_DOC,
    METADATA_DOC,
    ConditionSerializer,
    ListMetaSerializer,
    ObjectMetaSerializer,
    api_version,
    kind,
)
from cluster.api.schema.naming import CORE, Serializer, core, kube_type, nested, nested_list
from cluster.api.schema.pods import ObjectReferenceSerializer

PROTOCOL = "v1.Protocol"


@kube_type(CORE + "ServicePort")
class ServicePortSerializer(Serializer):
    """A port the service exposes, and where traffic to it goes."""

    name = string(
        "Name of the port, a DNS label unique within the service; required when there are "
        "several ports."
    )
    protocol = string("TCP (the default), UDP or SCTP.", go_type=PROTOCOL)
    appProtocol = string("The application protocol, such as http or kubernetes.io/h2c.")
    port = int32("The port the service exposes.", required=True)
    targetPort = int_or_string(
        "The number or name of the port on the pods to send traffic to. Defaults to port."
    )
    nodePort = int32(
        "The port on every node for NodePort and LoadBalancer services; allocated from "
        "30000-32767 unless set."
    )


@kube_type(CORE + "ClientIPConfig")
class ClientIPConfigSerializer(Serializer):
    """ClientIP session affinity settings."""

    timeoutSeconds = int32("How long a session sticks, 1-86400 seconds. Defaults to 10800.")


@kube_type(CORE + "SessionAffinityConfig")
class SessionAffinityConfigSerializer(Serializer):
    """Session affinity settings."""

    clientIP = nested(ClientIPConfigSerializer, "Settings for ClientIP affinity.")


@kube_type(CORE + "ServiceSpec")
class ServiceSpecSerializer(Serializer):
    """The desired state of a service."""

    ports = nested_list(ServicePortSerializer, "The ports the service exposes.")
    selector = string_map(
        "Labels of the pods traffic goes to. Empty or unset means the endpoints are managed "
        "by someone else. Ignored for ExternalName services."
    )
    clusterIP = string(
        "The service's virtual IP, allocated from the service CIDR unless set; 'None' makes a "
        "headless service. Cannot be changed except to or from ExternalName."
    )
    clusterIPs = strings("The service's virtual IPs, one per IP family; the first is clusterIP.")
    type = string(
        "ClusterIP (the default), NodePort, LoadBalancer or ExternalName.",
        go_type="v1.ServiceType",
    )
    externalIPs = strings("Extra IPs the nodes accept traffic for this service on.")
    sessionAffinity = string(
        "None (the default) or ClientIP, to send a client's connections to the same pod.",
        go_type="v1.ServiceAffinity",
    )
    loadBalancerIP = string("Deprecated: the IP a cloud load balancer should use.")
    loadBalancerSourceRanges = strings("Client CIDRs a cloud load balancer should admit.")
    externalName = string("The DNS name an ExternalName service is an alias for.")
    externalTrafficPolicy = string(
        "Cluster (the default) or Local: whether external traffic may go to pods on other nodes.",
        go_type="v1.ServiceExternalTrafficPolicy",
    )
    healthCheckNodePort = int32("The node port of the health check for the Local policy.")
    publishNotReadyAddresses = boolean("List pods in the endpoints whether ready or not.")
    sessionAffinityConfig = nested(
        SessionAffinityConfigSerializer, "Settings of the session affinity."
    )
    ipFamilies = strings("IPv4 and/or IPv6, in order of preference.")
    ipFamilyPolicy = string("SingleStack, PreferDualStack or RequireDualStack.")
    allocateLoadBalancerNodePorts = boolean(
        "Whether LoadBalancer services get node ports. Defaults to true."
    )
    loadBalancerClass = string("The load balancer implementation to use.")
    internalTrafficPolicy = string(
        "Cluster (the default) or Local: whether traffic from inside the cluster may go to pods "
        "on other nodes."
    )
    trafficDistribution = string("A preference for how traffic is spread, such as PreferClose.")


@kube_type(CORE + "PortStatus")
class PortStatusSerializer(Serializer):
    """The state of a port of a load balancer."""

    port = int32("The port number.", required=True)
    protocol = string("TCP, UDP or SCTP.", required=True, go_type=PROTOCOL)
    error = string("A CamelCase problem with the port, if any.")


@kube_type(CORE + "LoadBalancerIngress")
class LoadBalancerIngressSerializer(Serializer):
    """An ingress point of a load balancer."""

    ip = string("Its IP address.")
    hostname = string("Its DNS name.")
    ipMode = string("VIP or Proxy.")
    ports = nested_list(PortStatusSerializer, "Its ports.")


@kube_type(CORE + "LoadBalancerStatus")
class LoadBalancerStatusSerializer(Serializer):
    """The state of a load balancer."""

    ingress = nested_list(LoadBalancerIngressSerializer, "Its ingress points.")


@kube_type(CORE + "ServiceStatus")
class ServiceStatusSerializer(Serializer):
    """The observed state of a service."""

    loadBalancer = nested(LoadBalancerStatusSerializer, "The load balancer, if any.")
    conditions = nested_list(ConditionSerializer, "The current conditions of the service.")


@kube_type(CORE + "Service", core("Service"))
class ServiceSerializer(Serializer):
    """A named abstraction of a software service: a port proxies listen on and the pods that
    actually serve it, chosen by a selector."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(ServiceSpecSerializer, "The desired state of the service.")
    status = nested(ServiceStatusSerializer, "The observed state of the service.")


@kube_type(CORE + "ServiceList", core("ServiceList"))
class ServiceListSerializer(Serializer):
    """A list of services."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(ServiceSerializer, "The services.", required=True)


@kube_type(CORE + "EndpointAddress")
class EndpointAddressSerializer(Serializer):
    """An address of a backend of a service."""

    ip = string("The IP address.", required=True)
    hostname = string("The host name of the backend.")
    nodeName = string("The node the backend runs on.")
    targetRef = nested(ObjectReferenceSerializer, "The object that provides the address.")


@kube_type(CORE + "EndpointPort")
class EndpointPortSerializer(Serializer):
    """A port of the backends of a service."""

    name = string("The service port's name.")
    port = int32("The port number.", required=True)
    protocol = string("TCP (the default), UDP or SCTP.", go_type=PROTOCOL)
    appProtocol = string("The application protocol.")


@kube_type(CORE + "EndpointSubset")
class EndpointSubsetSerializer(Serializer):
    """Addresses that share the same ports."""

    addresses = nested_list(EndpointAddressSerializer, "Addresses of ready backends.")
    notReadyAddresses = nested_list(
        EndpointAddressSerializer, "Addresses of backends that are not ready."
    )
    ports = nested_list(EndpointPortSerializer, "The ports, available on every address.")


@kube_type(CORE + "Endpoints", core("Endpoints"))
class EndpointsSerializer(Serializer):
    """The backends of a service, kept up to date by the endpoints controller."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    subsets = nested_list(
        EndpointSubsetSerializer, "The backends, grouped by the ports they share."
    )


@kube_type(CORE + "EndpointsList", core("EndpointsList"))
class EndpointsListSerializer(Serializer):
    """A list of endpoints."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(EndpointsSerializer, "The endpoints.", required=True)

"""The kube-proxy role: Services' ClusterIPs and NodePorts lead to their ready endpoints."""

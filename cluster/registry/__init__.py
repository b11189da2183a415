"""The registry: one strategy per resource (and per subresource), through which every write passes.

It will hold what kube-apiserver's ``pkg/registry`` holds: defaulting, validation,
prepare-for-create and prepare-for-update, the status/spec split of status subresources, and
the allocators (ClusterIP, NodePort, podCIDR). It sits directly on ``cluster.store`` and
imports nothing else of the cluster; the API, the scheduler and the controllers all write
through it, so a rule enforced here holds for every client.
"""

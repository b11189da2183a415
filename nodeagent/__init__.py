"""The node agent, a separate program on every node in the roles of kubelet, kube-proxy and flannel.

It will register its Node, renew its Lease, watch the pods bound to its node and run them
through a container runtime (Docker, or a simulated runtime for scale tests), report their
status, serve logs and exec to the API, and route Service traffic. It talks to the control plane
over HTTPS only, like kubelet, so it never imports ``cluster``; only
``nodeagent.runtime.docker`` may import the Docker SDK.
"""

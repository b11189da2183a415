"""Running pods: from a Pod object to containers and back to a pod status.

``containerspec`` turns a container of the spec into a runtime config, ``status`` turns runtime
state into a pod status, ``sync`` acts on the difference for one pod, and ``workers`` gives each
pod its own worker thread fed by the pod watch.
"""

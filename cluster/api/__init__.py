"""The HTTP layer: everything a Kubernetes client sees, and nothing else.

Discovery, REST verbs, tables, patch formats, watch streams, ``v1 Status`` errors, auth and
OpenAPI live here. Business rules do not: every read and write goes through
``cluster.registry``. So far: the health endpoints (``health``), bearer-token authentication
(``tokens``, ``authentication``, with the ``Token`` model), the CA and serving certificate for
HTTPS (``pki``) and the kubeconfigs clients use (``kubeconfig``).
"""

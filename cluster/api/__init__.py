"""The HTTP layer: everything a Kubernetes client sees, and nothing else.

Discovery, REST verbs, tables, patch formats, watch streams, ``v1 Status`` errors, auth and
OpenAPI live here. Business rules do not: every read and write goes through
``cluster.registry``. So far it serves the health endpoints (``health``).
"""

"""Container runtimes: what the agent needs from a container engine, and its implementations.

``base`` is the contract (a ``Protocol`` and plain data types); ``docker`` implements it on
the Docker engine and is the only module allowed to import the Docker SDK.
"""

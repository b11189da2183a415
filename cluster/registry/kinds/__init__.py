"""One module per kind: its strategy (and its subresources' strategies), as kube's
``pkg/registry/core/<kind>/strategy.go``."""

"""Cell logic and columns of ``kubectl get`` for each built-in kind, one module per area.

Read from kube's ``pkg/printers/internalversion/printers.go``: the same column names, types,
priorities and cells. Like kube-apiserver, which always prints with ``Wide: true``, every row
carries every cell and kubectl drops the priority-1 columns unless asked for ``-o wide``.
Column descriptions are the first sentence of the field documentation kube uses.
``cluster.api.table_columns`` registers these printers with ``cluster.api.tables``.
"""

# ``tables`` imports ``table_columns`` (to register the printers), which imports these
# modules, which import ``tables``. Importing ``tables`` here, before any module of this
# package runs, lets that chain finish whichever module a caller imports first.
import cluster.api.tables  # noqa: F401

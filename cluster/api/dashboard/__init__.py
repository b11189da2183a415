"""The Django admin as the cluster's dashboard: a page per kind, kubectl's view of each.

Each kind of the catalog has a proxy model (``cluster.api.models.KIND_MODELS``) and a
``ModelAdmin`` built here from its catalog entry: the list shows the columns ``kubectl get``
prints (``columns``), filters read the store's indexed JSON columns (``filters``), the search box
takes a name or a label selector (``search``), and the change form edits the object as JSON and
writes it through the registry (``forms``), so an admin edit is validated, revisioned and
watched like any API write. ``cluster.api.admin`` registers the pages.
"""

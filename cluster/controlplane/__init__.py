"""The control plane's runtime: the composition root of the scheduler and the controllers.

``cluster.scheduling`` and ``cluster.controllers`` may not import each other; this package
wires both into Celery. ``catalog`` names every reconciler, ``dispatch`` turns store changes
into keys (it runs inside the one Celery beat process), and ``tasks`` runs reconciles on the
workers under per-key locks, with retries, resyncs and the housekeeping beat schedules.
"""

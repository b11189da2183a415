"""Exponential back-off per key, as kubelet's ``flowcontrol.Backoff``.

The first failure does not wait: the caller acts and ``step``s the key to the initial delay.
Each later failure must wait that delay (counted from ``since``, the failure's time) before the
next try, and each try doubles it up to the maximum: 0 s, 10 s, 20 s, 40 s... 300 s. Kubelet
uses one for container restarts (CrashLoopBackOff) and one for image pulls (ImagePullBackOff).
"""

from __future__ import annotations

from datetime import datetime


class BackOff:
    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._delay: dict[str, float] = {}
        self._since: dict[str, datetime] = {}

    def delay(self, key: str) -> float:
        """The current wait for ``key`` (0 before its first failure)."""
        return self._delay.get(key, 0.0)

    def remaining(self, key: str, now: datetime, since: datetime | None = None) -> float:
        """Seconds to wait before trying ``key`` again, from ``since`` (default: its last step)."""
        since = since or self._since.get(key)
        if since is None:
            return 0.0
        return max(0.0, self.delay(key) - (now - since).total_seconds())

    def step(self, key: str, now: datetime) -> None:
        """Record a try: the next failure of ``key`` waits longer."""
        current = self._delay.get(key)
        self._delay[key] = self.initial if current is None else min(current * 2, self.maximum)
        self._since[key] = now

    def forget(self, key: str) -> None:
        self._delay.pop(key, None)
        self._since.pop(key, None)

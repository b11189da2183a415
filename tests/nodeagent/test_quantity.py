"""Resource quantities as the engine needs them."""

from __future__ import annotations

import pytest

from nodeagent.quantity import byte_count, nano_cpus


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500m", 500_000_000), ("2", 2_000_000_000), ("0.25", 250_000_000), ("1n", 1), (1, 10**9)],
)
def test_cpu_becomes_nano_cpus(text: str, expected: int) -> None:
    assert nano_cpus(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("64Mi", 64 * 2**20), ("1G", 10**9), ("1e3", 1000), ("1.5Ki", 1536), ("100m", 1)],
)
def test_memory_becomes_bytes_rounded_up(text: str, expected: int) -> None:
    assert byte_count(text) == expected


@pytest.mark.parametrize("text", ["", "Mi", "1Q", "1.2.3", "abc"])
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        nano_cpus(text)

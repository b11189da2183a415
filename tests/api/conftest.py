"""Every test starts with an empty token cache, so that no lookup leaks from one to the next."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster.api.tokens import clear_token_cache


@pytest.fixture(autouse=True)
def _empty_token_cache() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()

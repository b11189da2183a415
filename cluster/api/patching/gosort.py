"""Go's ``sort.SliceStable``, step for step, for comparators that are not an ordering.

strategicpatch sorts list items with a comparator that calls every item it cannot place
"smaller", so which order comes out is whatever Go's algorithm (insertion sort on blocks of
20, then in-place SymMerge) makes of it. A Python sort would give a different, equally
arbitrary answer; clients see kube's, so this reproduces the algorithm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
BLOCK_SIZE = 20


def go_stable_sort(items: list[T], less: Callable[[T, T], bool]) -> list[T]:
    """A sorted copy of ``items``, exactly as ``sort.SliceStable(items, less)`` leaves it."""
    data = list(items)
    size = len(data)
    block = BLOCK_SIZE
    start, end = 0, block
    while end <= size:
        _insertion_sort(data, start, end, less)
        start, end = end, end + block
    _insertion_sort(data, start, size, less)
    while block < size:
        start, end = 0, 2 * block
        while end <= size:
            _sym_merge(data, start, start + block, end, less)
            start, end = end, end + 2 * block
        if start + block < size:
            _sym_merge(data, start, start + block, size, less)
        block *= 2
    return data


def _insertion_sort(data: list[T], start: int, end: int, less: Callable[[T, T], bool]) -> None:
    for i in range(start + 1, end):
        j = i
        while j > start and less(data[j], data[j - 1]):
            data[j], data[j - 1] = data[j - 1], data[j]
            j -= 1


def _sym_merge(data: list[T], a: int, m: int, b: int, less: Callable[[T, T], bool]) -> None:
    """Merge the sorted runs ``data[a:m]`` and ``data[m:b]`` in place (Kim and Kutzner)."""
    if m - a == 1:
        i, j = m, b
        while i < j:
            h = (i + j) // 2
            if less(data[h], data[a]):
                i = h + 1
            else:
                j = h
        for k in range(a, i - 1):
            data[k], data[k + 1] = data[k + 1], data[k]
        return
    if b - m == 1:
        i, j = a, m
        while i < j:
            h = (i + j) // 2
            if not less(data[m], data[h]):
                i = h + 1
            else:
                j = h
        for k in range(m, i, -1):
            data[k], data[k - 1] = data[k - 1], data[k]
        return
    mid = (a + b) // 2
    n = mid + m
    if m > mid:
        start, r = n - b, mid
    else:
        start, r = a, m
    p = n - 1
    while start < r:
        c = (start + r) // 2
        if not less(data[p - c], data[c]):
            start = c + 1
        else:
            r = c
    end = n - start
    if start < m < end:
        data[start:end] = data[m:end] + data[start:m]
    if a < start < mid:
        _sym_merge(data, a, start, mid, less)
    if mid < end < b:
        _sym_merge(data, mid, end, b, less)

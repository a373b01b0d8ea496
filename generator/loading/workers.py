"""Loading papers from many inputs: from the paper cache where it has them, in forked workers otherwise.

Used for YAML records and BibTeX entries alike. Papers come back in input
order whatever the number of workers, so the output never depends on it.
"""

from __future__ import annotations

import multiprocessing
from typing import Callable, Iterator

from .paper_cache import LoadedPaper, PaperCache, pack, unpack

Maker = Callable[[int], LoadedPaper]
"""A function that loads the paper of the input at an index, with the problems found in it."""

# Below this many papers to make, worker processes cost more than they save.
_PARALLEL_PAPERS = 1500
# Stored papers are read and written this many at a time, to bound the memory they take.
_READ_BATCH = 5000

# The maker of the running call, set before forking so workers inherit it without pickling.
_MAKER: Maker | None = None


def _make_packed(indexes: list[int]) -> list[tuple[int, bytes]]:
    assert _MAKER is not None
    return [(index, pack(_MAKER(index))) for index in indexes]


def make_papers(
    keys: list[str],
    make: Maker,
    cache: PaperCache,
    jobs: int,
    release: Callable[[int], None] | None = None,
    relocate: Callable[[int, LoadedPaper], LoadedPaper] | None = None,
) -> list[LoadedPaper]:
    """Return the loaded paper of each input, in order; ``keys[i]`` is the cache key of input ``i``.

    Inputs the cache has are read from it; the rest are made by ``make``,
    in forked workers when there are many, and stored. ``relocate`` may
    correct a paper read from the cache, for details its key leaves out.
    ``release`` is called with each index whose input is no longer needed.
    """
    loaded: list[LoadedPaper | None] = [None] * len(keys)
    missing: list[int] = []
    for start in range(0, len(keys), _READ_BATCH):
        indexes = range(start, min(len(keys), start + _READ_BATCH))
        stored = cache.get_many(keys[index] for index in indexes)
        for index in indexes:
            data = stored.get(keys[index])
            if data is None:
                missing.append(index)
                continue
            loaded[index] = relocate(index, unpack(data)) if relocate else unpack(data)
            if release:
                release(index)
    new: list[tuple[str, bytes]] = []
    for index, data in _make_missing(missing, make, jobs):
        new.append((keys[index], data))
        if len(new) >= _READ_BATCH:
            cache.put_many(new)
            new.clear()
        loaded[index] = unpack(data)
        if release:
            release(index)
    cache.put_many(new)
    return [item for item in loaded if item is not None]


def _make_missing(missing: list[int], make: Maker, jobs: int) -> Iterator[tuple[int, bytes]]:
    global _MAKER
    if jobs <= 1 or len(missing) < _PARALLEL_PAPERS or "fork" not in multiprocessing.get_all_start_methods():
        for index in missing:
            yield index, pack(make(index))
        return
    # Small chunks keep both workers busy to the end.
    size = max(100, min(2000, len(missing) // (jobs * 8)))
    chunks = [missing[start : start + size] for start in range(0, len(missing), size)]
    _MAKER = make
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for results in pool.imap(_make_packed, chunks):
                yield from results
    finally:
        _MAKER = None

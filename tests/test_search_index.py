"""The search index: a few edits update only the files they change, to the same bytes as computing it all."""

from __future__ import annotations

import dataclasses
import json

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import make_site
from generator.config import load_config
from generator.diagnostics import Report
from generator.model import Paper, Site, Text
from generator.search_index import IndexFiles, build_search_index, normalise, shard_name, tokens, update_search_index

from .conftest import REPO


class _Published:
    """Index files of a previous build, held in memory."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.reads: list[str] = []

    def __contains__(self, path: object) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return self.files.get(path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=40))
def test_tokens_match_unicode_pattern(text: str) -> None:
    # ASCII text takes a faster pattern, which must find the words the browser's pattern finds.
    assert tokens(text) == re.findall(r"[^\W_]+", normalise(text))


def test_tokens_of_mixed_text() -> None:
    assert tokens("Über-Graphs_and C++ in 2024") == ["uber", "graphs", "and", "c", "in", "2024"]


@pytest.fixture(scope="module")
def demo() -> tuple[Site, object]:
    config = load_config(REPO / "site.yaml")
    report = Report()
    site = make_site(config, report)
    assert not report.errors
    return site, config


def _edited(site: Site, key: str, **changes: object) -> Site:
    """Return the site with the paper ``key`` replaced by a copy with ``changes``, in site order."""
    papers = [dataclasses.replace(paper, **changes) if paper.key == key else paper for paper in site.papers]
    papers.sort(key=lambda paper: paper.sort_key)
    return dataclasses.replace(site, papers=papers)


def _text(value: str) -> Text:
    return Text(source=value, plain=value, html=value)


def _merge(previous: dict[str, bytes], update: IndexFiles) -> dict[str, bytes]:
    """Return the index a build publishes: the files computed, and the others as before."""
    return {path: update.files[path] if path in update.files else previous[path] for path in update.paths}


def _differing(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    """Return the paths whose bytes differ, or that only one side has: a short failure message where a diff of megabytes would not be."""
    return sorted(path for path in left.keys() | right.keys() if left.get(path) != right.get(path))


def _shards(files: dict[str, bytes]) -> set[str]:
    return {path for path in files if path.startswith("search/terms/")}


@pytest.mark.parametrize(
    ("position", "changes"),
    [
        (5, {"title": _text("Zyzzyva Quokka Retitled")}),
        (7, {"year": 1999}),
        (2, {"year": 2031, "title": _text("Moved To The Front")}),
        (5, {"abstract": None}),
    ],
    ids=["title", "year-to-end", "year-to-front", "abstract-removed"],
)
def test_update_equals_full_index(demo: tuple[Site, object], position: int, changes: dict[str, object]) -> None:
    site, config = demo
    key = site.papers[position].key
    previous = build_search_index(site, config)  # type: ignore[arg-type]
    edited = _edited(site, key, **changes)
    update = update_search_index(edited, config, site.papers, _Published(previous))  # type: ignore[arg-type]
    assert update is not None
    assert _differing(_merge(previous, update), build_search_index(edited, config)) == []  # type: ignore[arg-type]


def test_title_edit_rewrites_few_files(demo: tuple[Site, object]) -> None:
    site, config = demo
    key = site.papers[5].key
    previous = build_search_index(site, config)  # type: ignore[arg-type]
    edited = _edited(site, key, title=_text("Zyzzyva " + site.papers[5].title.plain))
    update = update_search_index(edited, config, site.papers, _Published(previous))  # type: ignore[arg-type]
    assert update is not None
    # The new word's shard, the chunk with the paper's title, and the manifest that lists the new shard.
    assert set(update.files) == {f"search/terms/{shard_name('zyzzyva')}.json", "search/docs/0.json", "search/manifest.json"}


def test_shard_of_a_dropped_word_is_removed(demo: tuple[Site, object]) -> None:
    site, config = demo
    key = site.papers[5].key
    original = site.papers[5].title
    first = _edited(site, key, title=_text("Zyzzyva " + original.plain))
    previous = build_search_index(first, config)  # type: ignore[arg-type]
    shard = f"search/terms/{shard_name('zyzzyva')}.json"
    assert shard in previous

    second = _edited(first, key, title=original)
    update = update_search_index(second, config, first.papers, _Published(previous))  # type: ignore[arg-type]
    assert update is not None
    assert shard not in update.paths
    assert shard_name("zyzzyva") not in json.loads(update.files["search/manifest.json"])["shards"]
    assert _shards(_merge(previous, update)) == _shards(build_search_index(second, config))  # type: ignore[arg-type]


def test_missing_previous_file_gives_none(demo: tuple[Site, object]) -> None:
    site, config = demo
    key = site.papers[5].key
    previous = build_search_index(site, config)  # type: ignore[arg-type]
    edited = _edited(site, key, title=_text("Zyzzyva Quokka Retitled"))
    # A shard that the edit must rewrite, lost from the previous output.
    old_word = sorted(w for w in site.papers[5].title.plain.lower().split() if len(w) > 3)[0]
    del previous[f"search/terms/{shard_name(old_word)}.json"]
    assert update_search_index(edited, config, site.papers, _Published(previous)) is None  # type: ignore[arg-type]


def test_other_paper_count_gives_none(demo: tuple[Site, object]) -> None:
    site, config = demo
    previous = build_search_index(site, config)  # type: ignore[arg-type]
    fewer: list[Paper] = site.papers[1:]
    assert update_search_index(site, config, fewer, _Published(previous)) is None  # type: ignore[arg-type]

"""End-to-end checks of the demo site: the pages shown to a visitor of Qinghai Guo's site."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from pathlib import Path

import bibtexparser
import pytest

from generator.build import BuildResult

from .conftest import REPO, build_into, copy_demo, page, record_rendered, texts

MORAITIS_TITLES = {
    "Hebbian Deep Learning Without Feedback",
    "Self-Supervised Learning Through Efference Copies",
    "Short-Term Plasticity Neurons Learning to Learn and Forget",
    "Spike-inspired rank coding for fast and accurate recurrent neural networks",
}


def test_home_lists_owner_papers(demo_out: Path) -> None:
    tree = page(demo_out, "")
    titles = texts(tree, "paper-title")
    assert len(titles) == 11
    years = [int(y) for y in texts(tree, "year")]
    assert years == sorted(years, reverse=True)
    assert years == [2025, 2024, 2023, 2022]


def test_author_page_lists_exact_papers(demo_out: Path) -> None:
    tree = page(demo_out, "authors/timoleon-moraitis/")
    heading = [" ".join("".join(h.itertext()).split()) for h in tree.iter("h1")]
    assert heading == ["Timoleon Moraitis"]
    assert set(texts(tree, "paper-title")) == MORAITIS_TITLES
    assert len(texts(tree, "paper-title")) == 4
    notes = texts(tree, "note")
    assert notes and "exactly" in notes[0]


def test_author_bib_export_parses_back(demo_out: Path) -> None:
    library = bibtexparser.parse_file(str(demo_out / "authors/timoleon-moraitis/timoleon-moraitis.bib"))
    assert not library.failed_blocks
    titles = {entry.fields_dict["title"].value for entry in library.entries}
    assert titles == MORAITIS_TITLES
    for entry in library.entries:
        assert "Timoleon Moraitis" in entry.fields_dict["author"].value
        assert entry.fields_dict["year"].value in {"2022", "2023"}


def test_venue_pages_group_by_year(demo_out: Path) -> None:
    tree = page(demo_out, "venues/neurips/")
    assert len(texts(tree, "paper-title")) == 4
    assert len(texts(page(demo_out, "venues/neurips/2022/"), "paper-title")) == 3
    assert len(texts(page(demo_out, "venues/neurips/2023/"), "paper-title")) == 1


def test_paper_page_has_bibtex_and_links(demo_out: Path) -> None:
    tree = page(demo_out, "papers/hebbian-deep-learning-without-feedback/")
    assert [" ".join("".join(h.itertext()).split()) for h in tree.iter("h1")] == ["Hebbian Deep Learning Without Feedback"]
    authors = [a.text for a in tree.iter("a") if (a.get("href") or "").startswith("/authors/") and a.get("href") != "/authors/"]
    assert authors == ["Adrien Journé", "Hector Garcia Rodriguez", "Qinghai Guo", "Timoleon Moraitis"]
    bib_text = "".join(next(e for e in tree.iter("pre")).itertext())
    entry = bibtexparser.parse_string(bib_text).entries[0]
    assert entry.fields_dict["title"].value == "Hebbian Deep Learning Without Feedback"


def _internal_links(out: Path) -> list[tuple[Path, str]]:
    links = []
    for html in out.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for url in re.findall(r'(?:href|src)="([^"]+)"', text):
            links.append((html, url))
    return links


def test_internal_links_resolve(demo_out: Path) -> None:
    checked = 0
    for html, url in _internal_links(demo_out):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith("#"):
            continue
        path = urllib.parse.unquote(parts.path)
        target = demo_out / path.lstrip("/") if path.startswith("/") else html.parent / path
        if path.endswith("/"):
            target = target / "index.html"
        assert target.is_file(), f"{html.relative_to(demo_out)} links to missing {url}"
        checked += 1
    assert checked > 200


def test_search_index_holds_all_papers(demo_out: Path) -> None:
    manifest = json.loads((demo_out / "search/manifest.json").read_text())
    assert manifest["documents"] == 11
    docs = []
    for chunk in range(manifest["chunks"]):
        docs.extend(json.loads((demo_out / f"search/docs/{chunk}.json").read_text()))
    assert len(docs) == 11
    assert {doc[0] for doc in docs} >= MORAITIS_TITLES


def test_site_bib_has_every_paper(demo_out: Path) -> None:
    library = bibtexparser.parse_file(str(demo_out / "bibliography.bib"))
    assert len(library.entries) == 11
    assert not library.failed_blocks


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_is_byte_identical(tmp_path: Path, demo_out: Path) -> None:
    second = build_into(REPO, tmp_path / "again", jobs=2)
    assert second.output_dir is not None
    assert _tree_bytes(second.output_dir) == _tree_bytes(demo_out)


def test_project_site_prefix(tmp_path: Path) -> None:
    import dataclasses

    from generator.build import build_site
    from generator.config import load_config

    config = dataclasses.replace(load_config(REPO / "site.yaml"), output_dir=tmp_path / "out", base_url="https://example.org/profile/")
    build_site(config, jobs=1)
    html = (tmp_path / "out/authors/timoleon-moraitis/index.html").read_text()
    hrefs = re.findall(r'href="([^"]+)"', html)
    local = [h for h in hrefs if not h.startswith(("http:", "https:", "mailto:"))]
    assert local and all(h.startswith("/profile/") for h in local)


def test_forked_stages_match_serial_build(tmp_path: Path, demo_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import build
    from generator.loading import workers

    # With no thresholds, even the demo site loads papers and computes its index in forked processes.
    monkeypatch.setattr(build, "_PARALLEL_INDEX", 0)
    monkeypatch.setattr(build, "_PARALLEL_PAGES", 0)
    monkeypatch.setattr(workers, "_PARALLEL_PAPERS", 0)
    forked = build_into(REPO, tmp_path / "forked", jobs=2)
    assert forked.output_dir is not None
    assert _tree_bytes(forked.output_dir) == _tree_bytes(demo_out)


def test_worker_fingerprints_match_next_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import build

    # A cold build fingerprints files in the render workers, and the next build fingerprints them before rendering.
    site = copy_demo(tmp_path)
    monkeypatch.setattr(build, "_PARALLEL_PAGES", 0)
    build_into(site, site / "_site", jobs=2)
    rendered = record_rendered(monkeypatch)
    record = next((site / "content/papers").glob("*.yaml"))
    record.write_bytes(record.read_bytes())
    os.utime(record, None)
    again = build_into(site, site / "_site", jobs=1)

    assert again.site is not None
    assert rendered == []


def test_failed_index_process_keeps_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import build

    out = tmp_path / "out"
    build_into(REPO, out, jobs=1)
    before = _tree_bytes(out)

    def broken_index(site: object, config: object) -> dict[str, bytes]:
        raise ValueError("index exploded")

    monkeypatch.setattr(build, "_PARALLEL_INDEX", 0)
    monkeypatch.setattr(build, "build_search_index", broken_index)
    with pytest.raises(RuntimeError, match="(?s)computing the search index failed: .*ValueError: index exploded"):
        build_into(REPO, out, jobs=2, clean=True)
    assert _tree_bytes(out) == before


def test_pages_rendered_in_small_pieces_match(tmp_path: Path, demo_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import rendering

    # Two pieces a batch splits every page and .bib export at many places.
    monkeypatch.setattr(rendering, "_BATCH_PIECES", 2)
    pieces = build_into(REPO, tmp_path / "pieces", jobs=1)
    assert pieces.output_dir is not None
    assert _tree_bytes(pieces.output_dir) == _tree_bytes(demo_out)


def test_small_item_cache_gives_same_site(tmp_path: Path, demo_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import rendering

    # Three cached list entries for eleven papers: entries are forgotten and rendered again.
    monkeypatch.setattr(rendering, "CACHED_ITEMS", 3)
    small = build_into(REPO, tmp_path / "small", jobs=1)
    assert small.output_dir is not None
    assert _tree_bytes(small.output_dir) == _tree_bytes(demo_out)

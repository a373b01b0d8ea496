"""Incremental builds: after any sequence of edits, the output equals a cold build of the same content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.writing import Manifest

from .conftest import REPO, build_into, copy_demo, record_rendered

EXTRA_PAPER = """
@article{added{n}, title = {An Added Paper Number {n}}, author = {Timoleon Moraitis and Nova Writer{n}},
  journal = {Journal of Made-up Results}, year = {2021}, doi = {10.5555/added.{n}}}
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _edit(site: Path, action: str, n: int) -> None:
    bib = site / "content/bib/guo.bib"
    record = site / "content/papers/hebbian-deep-learning-without-feedback.yaml"
    if action == "retitle":
        text = record.read_text()
        record.write_text(text.replace("Without", f"Without{n}", 1) if "Without" in text else text.replace('title: "', 'title: "Without ', 1))
    elif action == "add":
        with bib.open("a") as handle:
            handle.write(EXTRA_PAPER.replace("{n}", str(n)))
    elif action == "remove":
        (site / "content/papers/spikezip-tf.yaml").unlink(missing_ok=True)
    elif action == "rename_author":
        text = bib.read_text()
        bib.write_text(text.replace("Franz Scherr", f"Franz Scherr{n}", 1) if "Franz Scherr" in text else text.replace(f"Scherr", "Franz Scherr", 1))
    elif action == "template":
        templates = site / "templates"
        templates.mkdir(exist_ok=True)
        base = templates / "base.html"
        text = base.read_text() if base.exists() else (REPO / "templates/base.html").read_text()
        base.write_text(text.replace("<main class=\"page\">", f"<main class=\"page\" data-edit=\"{n}\">", 1) if "data-edit" not in text else text.replace("data-edit=\"", "data-edit=\"x", 1))
    elif action == "words":
        words = site / "templates/i18n"
        words.mkdir(parents=True, exist_ok=True)
        (words / "en.yaml").write_text(f"abstract: Summary {n}\n")
    elif action == "site_title":
        config = site / "site.yaml"
        config.write_text(config.read_text().replace("title: Qinghai Guo", f"title: Qinghai Guo {n}", 1))
    # Make sure the edit is newer than the previous build even on coarse clocks.
    for path in (site / "content").rglob("*"):
        os.utime(path, None)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["retitle", "add", "remove", "rename_author", "template", "words", "site_title"]), min_size=1, max_size=4))
def test_incremental_equals_cold(actions: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        site = root / "site"
        site.mkdir()
        copy_demo(site)
        build_into(site, site / "_site", jobs=1)
        for n, action in enumerate(actions):
            _edit(site, action, n)
            incremental = build_into(site, site / "_site", jobs=1)
            cold_site = root / f"cold{n}"
            shutil.copytree(site, cold_site, ignore=shutil.ignore_patterns("_site", "._site*", ".bibfolio-trash-*"))
            build_into(cold_site, cold_site / "_site", jobs=1)
            assert _tree(site / "_site") == _tree(cold_site / "_site"), f"after {actions[: n + 1]}"
            assert incremental.written < incremental.files or n == 0 or action in ("template", "words", "site_title")


def test_no_change_rebuild_writes_nothing(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    before = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    again = build_into(site, site / "_site", jobs=1)
    assert again.written == 0
    assert again.site is None
    after = {p: p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    assert after == before


def test_edit_rewrites_only_affected_files(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    before = {p.relative_to(site / "_site").as_posix(): p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    bib = site / "content/bib/guo.bib"
    bib.write_text(bib.read_text().replace("Self-Supervised Learning Through Efference Copies", "Self-Supervised Learning Through Efference Copies, Revisited"))
    result = build_into(site, site / "_site", jobs=1)
    assert not result.swapped
    after = {p.relative_to(site / "_site").as_posix(): p.stat().st_mtime_ns for p in (site / "_site").rglob("*") if p.is_file()}
    rewritten = {path for path in after if before.get(path) != after[path]}
    assert "authors/timoleon-moraitis/index.html" in rewritten
    assert "authors/adrien-journe/index.html" not in rewritten
    assert "papers/hebbian-deep-learning-without-feedback/index.html" not in rewritten
    assert "papers/self-supervised-learning-through-efference-copies-revisited/index.html" in rewritten
    assert "papers/self-supervised-learning-through-efference-copies/index.html" not in after
    assert len(rewritten) == result.written


def test_parse_cache_saved_after_parallel_parse(tmp_path: Path) -> None:
    from generator.loading.bibtex import SegmentCache
    from generator.loading.content import _PARALLEL_SEGMENTS

    entries = "".join(
        f"@article{{k{i}, title={{Paper {i}}}, author={{Ada Lovelace}}, journal={{J}}, year=2020}}\n"
        for i in range(_PARALLEL_SEGMENTS + 10)
    )
    site = tmp_path
    (site / "content").mkdir()
    (site / "content/many.bib").write_text(entries, encoding="utf-8")
    (site / "site.yaml").write_text("title: Many\n", encoding="utf-8")
    build_into(site, site / "_site", jobs=2)
    from generator.writing import OutputState

    stored = OutputState(site / "_site").load_segments()
    cache = SegmentCache(stored)
    assert cache.missing_segments(entries) == []


def test_update_killed_after_commit_is_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.writing import OutputState

    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    _edit(site, "retitle", 1)
    state = site / "._site.bibfolio"

    def killed(self: OutputState) -> None:
        raise KeyboardInterrupt("killed after the journal was committed")

    with monkeypatch.context() as patch:
        patch.setattr(OutputState, "_apply_journal", killed)
        with pytest.raises(KeyboardInterrupt):
            build_into(site, site / "_site", jobs=1)
    assert (state / "journal.json").is_file()
    assert (state / "manifest.next").is_file()

    recovered = build_into(site, site / "_site", jobs=1)
    assert recovered.written == 0
    assert not (state / "journal.json").exists()
    assert not (state / "manifest.next").exists()
    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("_site", "._site*"))
    build_into(cold, cold / "_site", jobs=1)
    assert _tree(site / "_site") == _tree(cold / "_site")


def test_second_build_of_same_output_is_refused(tmp_path: Path) -> None:
    from generator.diagnostics import BuildFailed
    from generator.writing import OutputState

    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    before = _tree(site / "_site")
    _edit(site, "retitle", 1)
    # A lock taken by another process, as a build running at the same time would hold it.
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(site / '._site.bibfolio' / 'lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(30)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildFailed) as failure:
            build_into(site, site / "_site", jobs=1)
    finally:
        holder.kill()
        holder.wait()
    assert "another bibfolio build is writing" in str(failure.value.report.errors[0])
    assert _tree(site / "_site") == before
    assert not OutputState(site / "_site").journal_path.exists()
    after = build_into(site, site / "_site", jobs=1)
    assert after.written > 0


def test_title_edit_renders_only_its_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    rendered = record_rendered(monkeypatch)
    bib = site / "content/bib/guo.bib"
    bib.write_text(bib.read_text().replace("Efference Copies", "Efference Copies, Revisited"))
    build_into(site, site / "_site", jobs=1)

    assert "papers/self-supervised-learning-through-efference-copies-revisited/index.html" in rendered
    assert "papers/index.html" in rendered
    assert "bibliography.bib" in rendered
    assert "authors/timoleon-moraitis/index.html" in rendered
    # The lists of authors and venues show names and counts, which the edit leaves alone.
    assert "authors/index.html" not in rendered
    assert "venues/index.html" not in rendered
    assert "authors/adrien-journe/index.html" not in rendered


def test_new_author_renders_author_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    rendered = record_rendered(monkeypatch)
    _edit(site, "add", 1)
    build_into(site, site / "_site", jobs=1)

    assert "authors/index.html" in rendered
    assert "venues/index.html" in rendered
    assert "authors/nova-writer1/index.html" in rendered


def _list_in_manifest(site: Path, relative: str) -> Path:
    """Add ``relative`` to the manifest of the site's last build, as someone editing the state folder would; return the manifest."""
    manifest_path = site / "._site.bibfolio/manifest"
    manifest = Manifest.parse(manifest_path.read_bytes())
    manifest.files[relative] = ("0", "0")
    manifest.write(manifest_path)
    return manifest_path


def test_manifest_path_outside_output_kept(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    manifest_path = _list_in_manifest(site, "../../outside.txt")
    _edit(site, "retitle", 1)

    result = build_into(site, site / "_site", jobs=1)

    assert not result.swapped
    assert outside.read_text() == "keep me"
    assert "../../outside.txt" not in Manifest.parse(manifest_path.read_bytes()).files


def test_manifest_path_through_link_kept(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "v.txt").write_text("keep me")
    (site / "_site/lnk").symlink_to(victim)
    _list_in_manifest(site, "lnk/v.txt")
    _edit(site, "retitle", 1)

    result = build_into(site, site / "_site", jobs=1)

    assert not result.swapped
    assert (victim / "v.txt").read_text() == "keep me"

@pytest.mark.parametrize(
    "data",
    [
        b"bibfolio-manifest 2\nindex.html\0abc\0",
        b"bibfolio-manifest 2\nindex.html\0abc\0def",
        b'{"version": 1, "files": {"index.html": ["abc", "def"]}}',
    ],
    ids=["truncated", "no-final-nul", "earlier-json"],
)
def test_malformed_manifest_means_full_build(tmp_path: Path, data: bytes) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    (site / "._site.bibfolio/manifest").write_bytes(data)
    _edit(site, "retitle", 1)

    result = build_into(site, site / "_site", jobs=1)

    assert result.swapped
    assert result.written == result.files


def test_manifest_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import writing

    # Several pieces, so that the joins between them are read back too.
    monkeypatch.setattr(writing, "_MANIFEST_PIECE", 2)
    files = {"b/index.html": ("f1", "d1"), "a/Ünïcode é.html": ("f2", "d2"), "c.bib": ("f3", "d3"), "static/x y.css": ("f4", "d4"), "z": ("f5", "d5")}
    manifest = Manifest(dict(files))
    manifest.write(tmp_path / "manifest")

    read = Manifest.parse((tmp_path / "manifest").read_bytes())
    assert read.files == files
    assert read.digest == manifest.digest
    assert list(read.files) == sorted(files)

"""The paper cache: unchanged records and entries are not loaded again, and a paper without a valid signature is never unpickled."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.loading import content, yaml_records
from generator.loading.paper_cache import PaperCache, signing_key

from .conftest import build_into, copy_demo

RECORD = "content/papers/hebbian-deep-learning-without-feedback.yaml"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Wrap the loader ``name`` so that each call records what it made: a record's path or an entry's key."""
    calls: list[str] = []
    module = yaml_records if name == "load_paper_record" else content
    original = getattr(module, name)

    def counting(*args: object, **kwargs: object) -> object:
        first = args[0]
        calls.append(str(args[1]) if isinstance(first, str) else str(getattr(first, "key")))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def _touch_all(site: Path) -> None:
    for path in (site / "content").rglob("*"):
        os.utime(path, None)


def _cache_file(site: Path) -> Path:
    return site / "._site.bibfolio" / "papers.sqlite"


def test_edited_record_only_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    record = site / RECORD
    record.write_text(record.read_text().replace("Without", "Without Any", 1))
    _touch_all(site)
    records = _count_calls(monkeypatch, "load_paper_record")
    entries = _count_calls(monkeypatch, "entry_to_paper")
    result = build_into(site, site / "_site", jobs=1)
    assert records == [RECORD]
    assert entries == []
    assert result.site is not None
    titles = [paper.title.plain for paper in result.site.papers]
    assert "Hebbian Deep Learning Without Any Feedback" in titles


def test_edited_entry_only_is_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    bib = site / "content/bib/guo.bib"
    text = bib.read_text()
    assert "Franz Scherr" in text
    bib.write_text(text.replace("Franz Scherr", "Franz X. Scherr", 1))
    _touch_all(site)
    records = _count_calls(monkeypatch, "load_paper_record")
    entries = _count_calls(monkeypatch, "entry_to_paper")
    result = build_into(site, site / "_site", jobs=1)
    assert records == []
    assert len(entries) == 1
    assert result.site is not None
    assert "Franz X. Scherr" in {author.display for author in result.site.authors}


def test_clean_build_makes_every_paper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    records = _count_calls(monkeypatch, "load_paper_record")
    entries = _count_calls(monkeypatch, "entry_to_paper")
    build_into(site, site / "_site", jobs=1, clean=True)
    assert len(records) == 5
    assert len(entries) == 6


def test_forged_paper_is_never_unpickled(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    cold = _tree(site / "_site")
    marker = tmp_path / "pickle-ran"
    # A pickle that would create the marker file when loaded, stored with a made-up signature.
    forged = pickle.dumps(_CreateFile(str(marker)))
    with sqlite3.connect(_cache_file(site)) as db:
        db.execute("UPDATE papers SET data = ?", (b"\0" * 32 + forged,))
    _touch_all(site)
    build_into(site, site / "_site", jobs=1, clean=False)
    assert not marker.exists()
    assert _tree(site / "_site") == cold


def test_other_users_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    # Another user has another cache folder, so another signing key.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    signing_key.cache_clear()
    try:
        _touch_all(site)
        entries = _count_calls(monkeypatch, "entry_to_paper")
        result = build_into(site, site / "_site", jobs=1)
    finally:
        monkeypatch.undo()
        signing_key.cache_clear()
    assert len(entries) == 6
    assert result.papers == 11


def test_damaged_cache_file_is_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    cold = _tree(site / "_site")
    for suffix in ("-journal",):
        Path(f"{_cache_file(site)}{suffix}").unlink(missing_ok=True)
    _cache_file(site).write_bytes(b"not a database at all" * 100)
    _touch_all(site)
    result = build_into(site, site / "_site", jobs=1)
    assert result.papers == 11
    assert _tree(site / "_site") == cold
    assert "paper cache" in caplog.text
    with sqlite3.connect(_cache_file(site)) as db:
        (rows,) = db.execute("SELECT count(*) FROM papers").fetchone()
    assert rows == 11


def test_cache_keeps_only_used_papers(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    (site / "content/papers/spikezip-tf.yaml").unlink()
    _touch_all(site)
    build_into(site, site / "_site", jobs=1)
    with sqlite3.connect(_cache_file(site)) as db:
        (rows,) = db.execute("SELECT count(*) FROM papers").fetchone()
    assert rows == 10


class _CreateFile:
    """An object whose unpickling creates a file: what a forged cache entry could do."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def test_key_parts_cannot_run_together() -> None:
    cache = PaperCache(None, "")
    assert cache.key("title", "X\0note\0Y") != cache.key("title", "X", "note", "Y")
    assert cache.key("ab", "c") != cache.key("a", "bc")


def test_check_command_makes_no_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    home = tmp_path / "fresh-cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    signing_key.cache_clear()
    try:
        result = CliRunner().invoke(main, ["check", "--config", str(site / "site.yaml")])
    finally:
        monkeypatch.undo()
        signing_key.cache_clear()
    assert result.exit_code == 0, result.output
    assert not home.exists()


@pytest.mark.parametrize(
    ("label", "tamper"),
    [
        ("view", "DROP TABLE papers; CREATE TABLE real (key TEXT PRIMARY KEY, data BLOB); CREATE VIEW papers AS SELECT * FROM real"),
        ("text data", "UPDATE papers SET data = 'some text'"),
        ("number data", "UPDATE papers SET data = 42"),
        ("trigger", "CREATE TRIGGER t AFTER INSERT ON papers BEGIN DELETE FROM papers; END"),
    ],
)
def test_crafted_cache_is_replaced(tmp_path: Path, label: str, tamper: str) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    cold = _tree(site / "_site")
    with sqlite3.connect(_cache_file(site)) as db:
        db.executescript(tamper)
    _touch_all(site)
    result = build_into(site, site / "_site", jobs=1)
    assert result.papers == 11, label
    assert _tree(site / "_site") == cold, label
    _touch_all(site)
    again = build_into(site, site / "_site", jobs=1)
    assert again.papers == 11, label


def test_folder_at_cache_path_is_left_alone(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    cold = _tree(site / "_site")
    _cache_file(site).unlink()
    _cache_file(site).mkdir()
    (_cache_file(site) / "keep.txt").write_text("mine\n")
    _touch_all(site)
    build_into(site, site / "_site", jobs=1)
    assert _tree(site / "_site") == cold
    assert (_cache_file(site) / "keep.txt").read_text() == "mine\n"


def test_linked_cache_file_is_not_followed(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    elsewhere = tmp_path / "elsewhere.sqlite"
    with sqlite3.connect(elsewhere) as db:
        db.execute("CREATE TABLE papers (key TEXT PRIMARY KEY, data BLOB)")
        db.execute("INSERT INTO papers VALUES ('someone', x'00')")
    _cache_file(site).unlink()
    _cache_file(site).symlink_to(elsewhere)
    _touch_all(site)
    result = build_into(site, site / "_site", jobs=1)
    assert result.papers == 11
    assert not _cache_file(site).is_symlink()
    with sqlite3.connect(elsewhere) as db:
        assert db.execute("SELECT key FROM papers").fetchall() == [("someone",)]


def test_rows_moved_between_keys_are_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    cold = _tree(site / "_site")
    with sqlite3.connect(_cache_file(site)) as db:
        (first,) = db.execute("SELECT data FROM papers ORDER BY key LIMIT 1").fetchone()
        db.execute("UPDATE papers SET data = ?", (first,))
    _touch_all(site)
    entries = _count_calls(monkeypatch, "entry_to_paper")
    records = _count_calls(monkeypatch, "load_paper_record")
    result = build_into(site, site / "_site", jobs=1)
    assert result.papers == 11
    # Only the row that kept its own data still matches its signature.
    assert len(entries) + len(records) == 10
    assert _tree(site / "_site") == cold


def test_entry_added_above_keeps_others_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    bib = site / "content/bib/guo.bib"
    # An entry with a problem, so its warning shows whether its line moved with it.
    bib.write_text(bib.read_text() + "\n@misc{late, title = {Late Entry}, author = {Ada Lovelace}, year = {sometime}}\n")
    build_into(site, site / "_site", jobs=1)
    bib.write_text("@misc{early, title = {Early Entry}, author = {Ada Lovelace}, year = {2018}}\n\n" + bib.read_text())
    _touch_all(site)
    entries = _count_calls(monkeypatch, "entry_to_paper")
    warm = build_into(site, site / "_site", jobs=1)
    assert entries == ["early"]
    cold_site = tmp_path / "cold"
    shutil.copytree(site, cold_site, ignore=shutil.ignore_patterns("_site", "._site*"))
    cold = build_into(cold_site, cold_site / "_site", jobs=1)
    assert [str(d) for d in warm.report] == [str(d) for d in cold.report]
    assert any(str(d).startswith("content/bib/guo.bib:") and "late" in str(d) for d in warm.report)
    assert _tree(site / "_site") == _tree(cold_site / "_site")

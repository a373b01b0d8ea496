"""Real-world .bib files: every entry becomes a paper or is named in a diagnostic, and exports round-trip."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import bibtexparser
import pytest

from generator.bibtex_export import BibExporter
from generator.build import make_site
from generator.config import parse_config
from generator.diagnostics import Report

from .conftest import SHARED

CORPUS = SHARED / "corpus" / "real"
# Files that only work together: macros and crossref parents live in the other files of a set.
SETS = {
    "aibasel": ["aibasel_abbrv.bib", "aibasel_crossref.bib", "aibasel_literatur.bib"],
    "cryptobib": ["cryptobib_abbrev0.bib", "cryptobib_conf_list.bib", "cryptobib_misc.bib"],
}
SINGLES = sorted(
    p.name for p in CORPUS.glob("*.bib") if not any(p.name in members for members in SETS.values())
) if CORPUS.is_dir() else []
CASES = {**SETS, **{name[: -len(".bib")]: [name] for name in SINGLES}}
_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(]", re.M)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the real-world .bib corpus is not present beside this checkout")


def _entry_lines(path: Path) -> list[int]:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = []
    for match in _ENTRY_START.finditer(text):
        if match.group(1).lower() not in ("string", "comment", "preamble"):
            lines.append(text.count("\n", 0, match.start()) + 1)
    return lines


def _site_for(tmp_path: Path, files: list[str]):  # type: ignore[no-untyped-def]
    (tmp_path / "content").mkdir()
    # Numbered names keep the owners' order, which macro definitions depend on.
    for index, name in enumerate(files):
        shutil.copy(CORPUS / name, tmp_path / "content" / f"{index}-{name}")
    config = parse_config({"title": "Corpus"}, tmp_path)
    report = Report()
    site = make_site(config, report)
    return config, site, report


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_entry_shown_or_reported(tmp_path: Path, case: str) -> None:
    files = CASES[case]
    config, site, report = _site_for(tmp_path, files)
    accounted: set[tuple[str, int]] = set()
    for paper in site.papers:
        accounted.add((paper.location.path, paper.location.line or 0))
        accounted.update((loc.path, loc.line or 0) for loc in paper.merged_from)
    reported = {(d.location.path, d.location.line or 0) for d in report.items}
    assert not report.errors, [str(d) for d in report.errors][:5]
    for index, name in enumerate(files):
        relative = f"content/{index}-{name}"
        lines = _entry_lines(tmp_path / relative)
        lost = [line for line in lines if (relative, line) not in accounted and (relative, line) not in reported]
        assert lost == [], f"{name}: entries at lines {lost[:10]} are neither shown nor reported"
        shown = sum(1 for line in lines if (relative, line) in accounted)
        assert shown + sum(1 for line in lines if (relative, line) in reported and (relative, line) not in accounted) == len(lines)


def test_known_corpus_problems_reported(tmp_path: Path) -> None:
    _config, site, report = _site_for(tmp_path, ["astropy_v5_refs.bib"])
    messages = [str(d) for d in report.warnings]
    assert any(m.startswith("content/0-astropy_v5_refs.bib:1877: warning: entry could not be parsed") for m in messages), messages
    assert any("'pandas' describes the same paper as 'pandas'" in m for m in messages)
    keys = {paper.key for paper in site.papers}
    assert "ASDF" not in keys
    assert "Mommert2019" not in keys
    assert "pandas" in keys


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_round_trips(tmp_path: Path, case: str) -> None:
    config, site, _report = _site_for(tmp_path, CASES[case])
    exporter = BibExporter(config)
    text = exporter(site.papers)
    library = bibtexparser.parse_string(text, parse_stack=[])
    assert not library.failed_blocks, [b.raw[:200] for b in library.failed_blocks[:3]]
    assert len(library.entries) == len(site.papers)
    by_key = {paper.key: paper for paper in site.papers}
    for entry in library.entries:
        paper = by_key[entry.key]
        exported = {f.key: f.value for f in entry.fields}
        expected = {name: value for name, value in paper.fields.items() if name not in exporter.private and value.strip()}
        assert set(exported) == set(expected), entry.key
        for name, value in expected.items():
            raw = exported[name]
            if raw.startswith("{"):
                raw = raw[1:-1]
            assert raw == value or name == "month", (entry.key, name)

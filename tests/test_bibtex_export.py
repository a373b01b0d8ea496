"""BibTeX export: every field but the private ones, a stable order, and text that bibfolio reads back to the same paper."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
import pytest

from generator.bibtex_export import BibExporter, format_entry
from generator.config import parse_config
from generator.loading.bibtex_values import brace_balance
from generator.model import Paper, Text

from .test_bibtex_loading import load_site

SOURCE = r"""@string{nips = "Advances in Neural Information Processing Systems"}
@inproceedings{vaswani2017,
  zeta      = {last by name},
  file      = {/home/me/papers/attention.pdf},
  abstract  = {We propose the {Transformer}.},
  year      = 2017,
  month     = dec,
  title     = {Attention Is All You Need for {BERT} and \emph{Friends} with $\alpha^2$},
  author    = {Vaswani, Ashish and M{\"u}ller, J{\"o}rg and Ludwig van Beethoven and {Open Science Collaboration} and others},
  booktitle = nips # " 30",
  pages     = {5998--6008},
  alpha     = {first by name},
}
"""


def _exported(tmp_path: Path, export_abstracts: bool) -> tuple[str, list[Paper]]:
    site, _ = load_site(tmp_path, {"content/refs.bib": SOURCE})
    config = parse_config({"title": "T", "export_abstracts": export_abstracts}, tmp_path)
    return BibExporter(config)(site.papers), site.papers


def test_export_exact_text(tmp_path: Path) -> None:
    text, _ = _exported(tmp_path, export_abstracts=True)
    assert text == (
        "@inproceedings{vaswani2017,\n"
        "  author    = {Vaswani, Ashish and M{\\\"u}ller, J{\\\"o}rg and Ludwig van Beethoven and {Open Science Collaboration} and others},\n"
        "  title     = {Attention Is All You Need for {BERT} and \\emph{Friends} with $\\alpha^2$},\n"
        "  booktitle = {Advances in Neural Information Processing Systems 30},\n"
        "  pages     = {5998--6008},\n"
        "  year      = {2017},\n"
        "  month     = dec,\n"
        "  abstract  = {We propose the {Transformer}.},\n"
        "  alpha     = {first by name},\n"
        "  zeta      = {last by name},\n"
        "}\n"
    )


def test_export_drops_file_and_private_abstract(tmp_path: Path) -> None:
    text, _ = _exported(tmp_path, export_abstracts=False)
    assert "file" not in text
    assert "/home/me" not in text
    assert "abstract" not in text
    assert "Transformer}." not in text
    assert "  alpha     = {first by name},\n" in text


def test_export_custom_private_fields(tmp_path: Path) -> None:
    site, _ = load_site(tmp_path, {"content/refs.bib": "@article{k, title = {T}, journal = {J}, year = 2020, note = {secret}, file = {x.pdf}}\n"})
    config = parse_config({"title": "T", "private_fields": ["note"]}, tmp_path)
    text = BibExporter(config)(site.papers)
    assert text == "@article{k,\n  title   = {T},\n  journal = {J},\n  year    = {2020},\n  file    = {x.pdf},\n}\n"


def test_month_macro_exported_bare(tmp_path: Path) -> None:
    site, _ = load_site(tmp_path, {"content/refs.bib": "@article{k, title = {T}, journal = {J}, year = 2020, month = jan}\n"})
    assert format_entry(site.papers[0], frozenset()) == "@article{k,\n  title   = {T},\n  journal = {J},\n  year    = {2020},\n  month   = jan,\n}\n"


def test_export_reads_back_to_same_paper(tmp_path: Path) -> None:
    text, papers = _exported(tmp_path / "first", export_abstracts=True)
    again, report = load_site(tmp_path / "second", {"content/export.bib": text})
    assert [str(d) for d in report] == []
    assert len(again.papers) == 1
    before, after = papers[0], again.papers[0]
    assert after.key == before.key == "vaswani2017"
    assert after.title.plain == before.title.plain == "Attention Is All You Need for BERT and Friends with $\\alpha^2$"
    assert after.title.html == before.title.html
    assert [n.display for n in after.authors] == [n.display for n in before.authors] == [
        "Ashish Vaswani",
        "Jörg Müller",
        "Ludwig van Beethoven",
        "Open Science Collaboration",
    ]
    assert after.et_al is before.et_al is True
    assert after.year == before.year == 2017
    assert after.month == before.month == 12
    assert after.venue is not None and before.venue is not None
    assert after.venue.plain == before.venue.plain == "Advances in Neural Information Processing Systems 30"
    assert after.kind == before.kind == "Conference Paper"
    assert after.venue_series is not None
    assert after.venue_series.name == "NeurIPS"


def test_crossref_child_exports_resolved(tmp_path: Path) -> None:
    site, _ = load_site(
        tmp_path / "first",
        {
            "content/a.bib": "@inproceedings{child, author = {Ada Lovelace}, title = {Child}, crossref = {conf}}\n",
            "content/b.bib": "@proceedings{conf, title = {Proceedings of ICML 2021}, year = 2021, doi = {10.1/vol}}\n",
        },
    )
    child = next(paper for paper in site.papers if paper.key == "child")
    text = format_entry(child, frozenset())
    assert text == (
        "@inproceedings{child,\n"
        "  author    = {Ada Lovelace},\n"
        "  title     = {Child},\n"
        "  booktitle = {Proceedings of ICML 2021},\n"
        "  year      = {2021},\n"
        "}\n"
    )
    again, _ = load_site(tmp_path / "second", {"content/export.bib": text})
    assert again.papers[0].venue is not None
    assert again.papers[0].venue.plain == "Proceedings of ICML 2021"
    assert again.papers[0].year == 2021


def test_export_order_stable_across_builds(tmp_path: Path) -> None:
    first, _ = _exported(tmp_path / "one", export_abstracts=True)
    second, _ = _exported(tmp_path / "two", export_abstracts=True)
    assert first == second


def test_yaml_text_escaped_in_export(tmp_path: Path) -> None:
    from generator.build import build_site
    from generator.config import parse_config

    (tmp_path / "content/papers").mkdir(parents=True)
    (tmp_path / "content/papers/p.yaml").write_text(
        'title: "Cats & Dogs #1"\nauthors: [Ada Lovelace]\nyear: 2020\ntype: journal\nvenue: J\n'
        "abstract: 'Reaches 99.4% with $26\\times$ less energy.'\n",
        encoding="utf-8",
    )
    build_site(parse_config({"title": "T"}, tmp_path), jobs=1)
    exported = (tmp_path / "_site/bibliography.bib").read_text(encoding="utf-8")
    assert "title    = {Cats \\& Dogs \\#1}," in exported
    assert "Reaches 99.4\\% with $26\\times$ less energy." in exported
    library = bibtexparser.parse_string(exported)
    assert len(library.entries) == 1
    (tmp_path / "again/content").mkdir(parents=True)
    (tmp_path / "again/content/p.bib").write_text(exported, encoding="utf-8")
    site = build_site(parse_config({"title": "T"}, tmp_path / "again"), jobs=1).site
    assert site is not None
    assert site.papers[0].title.plain == "Cats & Dogs #1"
    assert site.papers[0].abstract is not None
    assert site.papers[0].abstract.plain == "Reaches 99.4% with $26\\times$ less energy."


@pytest.mark.parametrize(
    ("text", "balance"),
    [
        ("plain words", 0),
        ("{Open} {Science}", 0),
        ("{{a}", 1),
        ("a}} {b", -2),
        (r"50\% and \{ escaped", 0),
        (r"\\{", 1),
        ("trailing backslash \\", 0),
    ],
)
def test_brace_balance_skips_escapes(text: str, balance: int) -> None:
    assert brace_balance(text) == balance


def test_unbalanced_value_exports_parseable() -> None:
    paper = Paper(
        key="k", entry_type="misc", kind="Other", title=Text("a", "a", "a"), authors=[], year=None, venue=None,
        fields={"title": "Broken {brace and \\{ kept"},
    )
    entry = format_entry(paper, frozenset())
    assert "title = {Broken brace and \\{ kept}," in entry

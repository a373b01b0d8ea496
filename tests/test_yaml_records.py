"""Tests for paper records read from content/papers/*.yaml."""

from __future__ import annotations

import pytest

from generator.diagnostics import ContentError, Location, Report, Severity
from generator.loading.yaml_records import ALLOWED_KEYS, citation_key_from_path, load_paper_record
from generator.model import Link, Paper

PATH = "content/papers/doe-2021-deep.yaml"

FULL_RECORD = """\
# A conference paper with every key.
title: Deep Learning for Tables
authors:
  - Jane Doe
  - John Smith
venue: Advances in Neural Information Processing Systems
year: 2021
month: December
type: conference
abstract: |
  We study tables.
  Results are good.
doi: 10.1000/xyz123
url: https://example.org/paper
pdf: https://example.org/paper.pdf
code: https://example.org/code
key: doe2021deep
tags:
  - tables
  - learning
bibtex:
  pages: 1-10
  Publisher: Curran Associates
"""


def load(text: str, path: str = PATH) -> tuple[Paper, Report]:
    report = Report()
    return load_paper_record(text, path, report), report


def load_error(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_paper_record(text, PATH, Report())
    return caught.value


def messages(report: Report) -> list[tuple[int | None, str]]:
    return [(item.location.line, item.message) for item in report]


def test_full_record_fields() -> None:
    paper, report = load(FULL_RECORD)
    assert messages(report) == []
    assert paper.key == "doe2021deep"
    assert paper.entry_type == "inproceedings"
    assert paper.kind == "Conference Paper"
    assert paper.title.plain == "Deep Learning for Tables"
    assert [author.display for author in paper.authors] == ["Jane Doe", "John Smith"]
    assert paper.et_al is False
    assert paper.year == 2021
    assert paper.month == 12
    assert paper.venue is not None
    assert paper.venue.plain == "Advances in Neural Information Processing Systems"
    assert paper.abstract is not None
    assert paper.abstract.plain == "We study tables.\nResults are good."
    assert paper.location == Location(PATH, 2)


def test_full_record_export_fields_in_order() -> None:
    paper, _ = load(FULL_RECORD)
    assert paper.fields == {
        "author": "Jane Doe and John Smith",
        "title": "Deep Learning for Tables",
        "booktitle": "Advances in Neural Information Processing Systems",
        "year": "2021",
        "month": "12",
        "doi": "10.1000/xyz123",
        "url": "https://example.org/paper",
        "pdf": "https://example.org/paper.pdf",
        "code": "https://example.org/code",
        "keywords": "tables, learning",
        "abstract": "We study tables.\nResults are good.",
        "pages": "1-10",
        "publisher": "Curran Associates",
    }
    assert list(paper.fields)[:4] == ["author", "title", "booktitle", "year"]


def test_full_record_links() -> None:
    paper, _ = load(FULL_RECORD)
    assert paper.links == [
        Link("doi", "https://doi.org/10.1000/xyz123"),
        Link("url", "https://example.org/paper"),
        Link("pdf", "https://example.org/paper.pdf"),
        Link("code", "https://example.org/code"),
    ]


def test_minimal_record() -> None:
    paper, report = load("title: A Note\nauthors: [Jane Doe]\nyear: 2020\n")
    assert messages(report) == []
    assert paper.key == "doe-2021-deep"
    assert paper.entry_type == "misc"
    assert paper.kind == "Other"
    assert paper.venue is None
    assert paper.abstract is None
    assert paper.month is None
    assert paper.links == []
    assert paper.fields == {"author": "Jane Doe", "title": "A Note", "year": "2020"}


def test_values_kept_as_written() -> None:
    paper, _ = load("title: NO\nauthors: [Jane Doe]\nyear: '2020'\nvenue: 10.1000\n")
    assert paper.title.source == "NO"
    assert paper.year == 2020
    assert paper.venue is not None
    assert paper.venue.source == "10.1000"
    assert paper.fields["howpublished"] == "10.1000"


def test_title_markup_decoded() -> None:
    paper, _ = load("title: 'Bounds on $O(n^2)$ sorting'\nauthors: [Jane Doe]\nyear: 2020\n")
    assert paper.title.source == "Bounds on $O(n^2)$ sorting"
    assert "<math" in paper.title.html
    assert paper.fields["title"] == "Bounds on $O(n^2)$ sorting"


@pytest.mark.parametrize(
    ("value", "entry_type", "kind", "venue_field"),
    [
        ("conference", "inproceedings", "Conference Paper", "booktitle"),
        ("workshop", "inproceedings", "Workshop Paper", "booktitle"),
        ("journal", "article", "Journal Article", "journal"),
        ("preprint", "misc", "Preprint", "howpublished"),
        ("book", "book", "Book", "publisher"),
        ("chapter", "incollection", "Book Chapter", "booktitle"),
        ("thesis", "phdthesis", "PhD Thesis", "school"),
        ("report", "techreport", "Technical Report", "institution"),
        ("misc", "misc", "Other", "howpublished"),
        ("Journal", "article", "Journal Article", "journal"),
        ("article", "article", "Journal Article", "journal"),
        ("inproceedings", "inproceedings", "Conference Paper", "booktitle"),
        ("mastersthesis", "mastersthesis", "Master's Thesis", "school"),
        ("techreport", "techreport", "Technical Report", "institution"),
        ("unpublished", "unpublished", "Unpublished", "note"),
    ],
)
def test_type_mapping(value: str, entry_type: str, kind: str, venue_field: str) -> None:
    paper, _ = load(f"title: T\nauthors: [A B]\nyear: 2020\nvenue: V\ntype: {value}\n")
    assert paper.entry_type == entry_type
    assert paper.kind == kind
    assert paper.fields[venue_field] == "V"


@pytest.mark.parametrize(
    ("value", "month"),
    [("1", 1), ("12", 12), ("March", 3), ("mar", 3), ("Sept.", 9), ("SEPTEMBER", 9), ("may", 5)],
)
def test_month_values(value: str, month: int) -> None:
    paper, _ = load(f"title: T\nauthors: [A B]\nyear: 2020\nmonth: {value}\n")
    assert paper.month == month
    assert paper.fields["month"] == str(month)


def test_authors_ending_in_others() -> None:
    paper, _ = load("title: T\nauthors:\n  - Jane Doe\n  - others\nyear: 2020\n")
    assert [author.display for author in paper.authors] == ["Jane Doe"]
    assert paper.et_al is True
    assert paper.fields["author"] == "Jane Doe and others"


def test_key_from_file_name() -> None:
    paper, _ = load("title: T\nauthors: [A B]\nyear: 2020\n", "content/papers/Müller et al 2020.yaml")
    assert paper.key == "Muller-et-al-2020"
    assert citation_key_from_path("content/papers/a/b/smith_2019.v2.yaml") == "smith_2019.v2"
    assert citation_key_from_path("content/papers/論文.yaml") == "Lun-Wen"


def test_preprint_arxiv_doi_adds_eprint() -> None:
    paper, _ = load("title: T\nauthors: [A B]\nyear: 2021\ntype: preprint\ndoi: 10.48550/arXiv.2101.00001\n")
    assert paper.fields["eprint"] == "2101.00001"
    assert paper.fields["archiveprefix"] == "arXiv"
    assert paper.links == [
        Link("doi", "https://doi.org/10.48550/arXiv.2101.00001"),
        Link("arxiv", "https://arxiv.org/abs/2101.00001"),
    ]


def test_preprint_arxiv_url_is_one_link() -> None:
    paper, _ = load("title: T\nauthors: [A B]\nyear: 2021\ntype: preprint\nurl: https://arxiv.org/abs/2101.00001v2\n")
    assert paper.fields["eprint"] == "2101.00001v2"
    assert paper.links == [Link("arxiv", "https://arxiv.org/abs/2101.00001v2")]


def test_bibtex_eprint_gives_arxiv_link() -> None:
    paper, _ = load(
        "title: T\nauthors: [A B]\nyear: 2021\ntype: preprint\n"
        "bibtex:\n  eprint: hep-th/9901001\n  archivePrefix: arXiv\n"
    )
    assert paper.fields["eprint"] == "hep-th/9901001"
    assert paper.fields["archiveprefix"] == "arXiv"
    assert paper.links == [Link("arxiv", "https://arxiv.org/abs/hep-th/9901001")]


def test_doi_url_form_exported_bare() -> None:
    paper, _ = load("title: T\nauthors: [A B]\nyear: 2021\ndoi: https://doi.org/10.1000/ABC\n")
    assert paper.fields["doi"] == "10.1000/ABC"
    assert paper.links == [Link("doi", "https://doi.org/10.1000/ABC")]


def test_bibtex_may_override_venue_field() -> None:
    paper, _ = load("title: T\nauthors: [A B]\nyear: 2021\ntype: conference\nvenue: ICML\nbibtex:\n  booktitle: Proc. ICML\n")
    assert paper.venue is not None
    assert paper.venue.plain == "ICML"
    assert paper.fields["booktitle"] == "Proc. ICML"


@pytest.mark.parametrize(
    ("key", "value", "line", "message"),
    [
        ("url", "javascript:alert(1)", 4, "'url': 'javascript:alert(1)' is not an http, https or mailto URL; it is not linked"),
        ("url", "JaVaScRiPt:alert(1)", 4, "'url': 'JaVaScRiPt:alert(1)' is not an http, https or mailto URL; it is not linked"),
        ("pdf", "'data:application/pdf;base64,AAAA'", 4, "'pdf': 'data:application/pdf;base64,AAAA' is not an http, https or mailto URL; it is not linked"),
        ("pdf", "files/paper.pdf", 4, "'pdf': 'files/paper.pdf' is not an http, https or mailto URL; it is not linked"),
        ("code", "//evil.example/repo", 4, "'code': '//evil.example/repo' is not an http, https or mailto URL; it is not linked"),
        ("code", "vbscript:msgbox(1)", 4, "'code': 'vbscript:msgbox(1)' is not an http, https or mailto URL; it is not linked"),
        ("doi", "not-a-doi", 4, "'doi': invalid DOI 'not-a-doi'; it is not linked"),
    ],
)
def test_unsafe_link_warns_and_is_dropped(key: str, value: str, line: int, message: str) -> None:
    paper, report = load(f"title: T\nauthors: [A B]\nyear: 2021\n{key}: {value}\n")
    assert paper.links == []
    assert [item.severity for item in report] == [Severity.WARNING]
    assert messages(report) == [(line, message)]


def test_hidden_javascript_url_dropped() -> None:
    paper, report = load('title: T\nauthors: [A B]\nyear: 2021\nurl: " java\\tscript:alert(1)"\n')
    assert paper.links == []
    assert len(report.warnings) == 1
    assert report.warnings[0].location == Location(PATH, 4)


def test_missing_year_warns() -> None:
    paper, report = load("\ntitle: T\nauthors: [A B]\n")
    assert paper.year is None
    assert "year" not in paper.fields
    assert messages(report) == [(2, "no 'year' given; the paper is listed after the papers that have one")]


ALLOWED = ", ".join(sorted(ALLOWED_KEYS))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# comment\n\nauthors: [A B]\nyear: 2020\n", 3, "missing required key 'title'"),
        ("title: ''\nauthors: [A B]\n", 1, "'title' is empty"),
        ("title: [a, b]\nauthors: [A B]\n", 1, "'title' must be text, got a list"),
        ("title: T\nyear: 2020\n", 1, "missing required key 'authors'"),
        ("title: T\nauthors: Jane Doe and John Smith\n", 2, "'authors' must be a list (one '- item' per line), got text"),
        ("title: T\nauthors: []\n", 2, "'authors' is empty; list at least one author"),
        ("title: T\nauthors:\n", 2, "'authors' is empty; list at least one author"),
        ("title: T\nauthors: [others]\n", 2, "'authors' contains only 'others'; list at least one author by name"),
        (
            "title: T\nauthors:\n  - A B\n  - C D and E F\n",
            4,
            "author 2 'C D and E F' contains 'and'; write each author as a separate '- ' item",
        ),
        (
            "title: T\nauthors:\n  - others\n  - A B\n",
            3,
            "author 1 is 'others'; it may only be the last item, meaning 'et al.'",
        ),
        ("title: T\nauthors:\n  - A B\n  - {name: C}\n", 4, "item 2 of 'authors' must be text, got a mapping"),
        ("title: T\nauthors: [A B]\nyear: 20x2\n", 3, "'year' must be a whole number from 1000 to 2100, got '20x2'"),
        ("title: T\nauthors: [A B]\nyear: 999\n", 3, "'year' must be a whole number from 1000 to 2100, got '999'"),
        ("title: T\nauthors: [A B]\nyear: 2101\n", 3, "'year' must be a whole number from 1000 to 2100, got '2101'"),
        ("title: T\nauthors: [A B]\nyear: 2020.0\n", 3, "'year' must be a whole number from 1000 to 2100, got '2020.0'"),
        ("title: T\nauthors: [A B]\nyear: ２０２０\n", 3, "'year' must be a whole number from 1000 to 2100, got '２０２０'"),
        (
            "title: T\nauthors: [A B]\nyear: 2020\nmonth: 13\n",
            4,
            "'month' must be a number from 1 to 12 or an English month name such as 'March', got '13'",
        ),
        (
            "title: T\nauthors: [A B]\nyear: 2020\nmonth: Frimaire\n",
            4,
            "'month' must be a number from 1 to 12 or an English month name such as 'March', got 'Frimaire'",
        ),
        (
            "title: T\nauthors: [A B]\ntype: poster\n",
            3,
            "unknown type 'poster'; use one of conference, workshop, journal, preprint, book, chapter, "
            "thesis, report, misc or a BibTeX entry type such as inproceedings",
        ),
        (
            "title: T\nauthors: [A B]\nvenu: ICML\n",
            3,
            f"unknown key 'venu'; did you mean 'venue'? allowed keys are: {ALLOWED}",
        ),
        ("title: T\nauthors: [A B]\nsecret: x\n", 3, f"unknown key 'secret'; allowed keys are: {ALLOWED}"),
        (
            "title: T\nauthors: [A B]\nkey: 'doe 2021'\n",
            3,
            "'key' 'doe 2021' contains characters a citation key cannot have; use letters, digits and - _ . : / +",
        ),
        ("title: T\nauthors: [A B]\ntags: tables\n", 3, "'tags' must be a list (one '- item' per line), got text"),
        ("title: T\nauthors: [A B]\nbibtex: pages 1-2\n", 3, "'bibtex' must be a mapping of names to values, got text"),
        (
            "title: T\nauthors: [A B]\nbibtex:\n  title: Other\n",
            4,
            "'bibtex' field 'title' is set by the record's 'title' key; set it there",
        ),
        (
            "title: T\nauthors: [A B]\nbibtex:\n  Author: X\n",
            4,
            "'bibtex' field 'author' is set by the record's 'authors' key; set it there",
        ),
        ("title: T\nauthors: [A B]\nbibtex:\n  pages: [1, 2]\n", 4, "'bibtex' field 'pages' must be text, got a list"),
        (
            "title: T\nauthors: [A B]\nbibtex:\n  'bad name': x\n",
            4,
            "'bibtex' field name 'bad name' is invalid; use a letter followed by letters, digits, - or _",
        ),
        ("title: T\nauthors: [A B]\nbibtex:\n  note: x\n  NOTE: y\n", 5, "'bibtex' field 'note' is given twice; keep one of them"),
        ("- title: T\n", 1, "a paper file must be a YAML mapping of keys and values, got a list"),
        ("", 1, "a paper file must be a YAML mapping of keys and values, got an empty file"),
        ("title: T\ntitle: U\nauthors: [A B]\n", 2, "duplicate key 'title' on lines 1 and 2; keep one of them"),
        (
            "title: !!python/object/apply:os.system ['echo hacked']\nauthors: [A B]\n",
            1,
            "YAML tag !!python/object/apply:os.system is not allowed on a sequence; remove the tag",
        ),
    ],
)
def test_invalid_record(text: str, line: int, message: str) -> None:
    error = load_error(text)
    assert error.location == Location(PATH, line)
    assert error.message == message


def test_yaml_bomb_record_rejected() -> None:
    text = 'title: &t "lol"\nauthors: [*t, *t, *t, *t, *t, *t, *t, *t]\n'
    error = load_error(text)
    assert error.location == Location(PATH, 1)
    assert error.message == "YAML aliases are not allowed (anchor &t); write the value out in full"


def test_authors_ending_in_et_al() -> None:
    paper, _ = load("title: T\nauthors:\n  - Jane Doe\n  - et al.\nyear: 2020\n")
    assert [author.display for author in paper.authors] == ["Jane Doe"]
    assert paper.et_al is True
    assert paper.fields["author"] == "Jane Doe and others"


def test_braced_and_is_one_author() -> None:
    paper, report = load("title: T\nauthors:\n  - '{Barnes and Noble}'\n  - Smith, John\nyear: 2020\n")
    assert messages(report) == []
    assert [author.display for author in paper.authors] == ["Barnes and Noble", "John Smith"]
    assert paper.fields["author"] == "{Barnes and Noble} and Smith, John"


def test_malformed_author_kept_whole() -> None:
    paper, report = load("title: T\nauthors:\n  - Jane Doe\n  - Doe, Jane, Jr, X\nyear: 2020\n")
    assert [author.display for author in paper.authors] == ["Jane Doe", "Doe, Jane, Jr, X"]
    assert paper.fields["author"] == "Jane Doe and {Doe, Jane, Jr, X}"
    assert len(report.warnings) == 1
    assert report.warnings[0].location == Location(PATH, 4)
    assert report.warnings[0].message.startswith("author 2: invalid name 'Doe, Jane, Jr, X'")


def test_author_order_and_parts_kept() -> None:
    paper, _ = load("title: T\nauthors:\n  - van Beethoven, Ludwig\n  - Ada Lovelace\n  - Curie, Marie\nyear: 2020\n")
    assert [(author.first, author.von, author.last) for author in paper.authors] == [
        ("Ludwig", "van", "Beethoven"),
        ("Ada", "", "Lovelace"),
        ("Marie", "", "Curie"),
    ]
    assert paper.fields["author"] == "van Beethoven, Ludwig and Ada Lovelace and Curie, Marie"

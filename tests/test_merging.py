"""Merging duplicates: same key, DOI, arXiv id or title and year become one paper, reported at both places."""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Location, Report
from generator.merging import merge_papers
from generator.model import Paper, Text

from .test_bibtex_loading import load_site


def messages(report: Report) -> list[str]:
    return [str(diagnostic) for diagnostic in report]


SHORT = "@article{same, author = {Ada Lovelace}, title = {Short Version}, journal = {J}, year = 2020}\n"
LONG = "@article{same, author = {Ada Lovelace}, title = {Long Version}, journal = {J}, year = 2020, pages = {1--9}}\n"


def test_same_key_two_files_merged_and_reported(tmp_path: Path) -> None:
    site, report = load_site(tmp_path, {"content/a.bib": SHORT, "content/b.bib": LONG})
    assert [paper.key for paper in site.papers] == ["same"]
    paper = site.papers[0]
    assert paper.title.plain == "Long Version"
    assert paper.location == Location("content/b.bib", 1)
    assert paper.merged_from == [Location("content/a.bib", 1)]
    assert messages(report) == [
        "content/a.bib:1: warning: 'same' describes the same paper as 'same' at content/b.bib:1 "
        "(the same citation key); they are merged and the fields at content/b.bib:1 win"
    ]


def test_winner_independent_of_file_names(tmp_path: Path) -> None:
    first, _ = load_site(tmp_path / "one", {"content/a.bib": SHORT, "content/b.bib": LONG})
    second, report = load_site(tmp_path / "two", {"content/a.bib": LONG, "content/b.bib": SHORT})
    assert first.papers[0].title.plain == "Long Version"
    assert second.papers[0].title.plain == "Long Version"
    assert first.papers[0].fields == second.papers[0].fields
    assert messages(report) == [
        "content/b.bib:1: warning: 'same' describes the same paper as 'same' at content/a.bib:1 "
        "(the same citation key); they are merged and the fields at content/a.bib:1 win"
    ]


def test_equal_field_counts_decided_by_content(tmp_path: Path) -> None:
    alpha = "@article{k, title = {Alpha}, journal = {J}, year = 2020}\n"
    beta = "@article{k, title = {Beta}, journal = {J}, year = 2020}\n"
    first, _ = load_site(tmp_path / "one", {"content/a.bib": alpha, "content/b.bib": beta})
    second, _ = load_site(tmp_path / "two", {"content/a.bib": beta, "content/b.bib": alpha})
    assert first.papers[0].title.plain == "Alpha"
    assert second.papers[0].title.plain == "Alpha"


def test_published_version_beats_preprint(tmp_path: Path) -> None:
    site, _ = load_site(
        tmp_path,
        {
            "content/a.bib": "@misc{p, title = {Deep Nets}, eprint = {2001.00001}, archiveprefix = {arXiv},"
            " year = 2020, note = {preprint}, howpublished = {arXiv}}\n",
            "content/b.bib": "@article{q, title = {Deep Nets}, journal = {Nature}, year = 2020}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["q"]
    assert site.papers[0].kind == "Journal Article"
    assert [link.url for link in site.papers[0].links] == ["https://arxiv.org/abs/2001.00001"]


def test_same_doi_different_keys(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{one, title = {Deep Nets}, journal = {J}, year = 2020, doi = {10.1000/ABC}}\n"
            "@article{two, title = {Deep Networks}, journal = {J}, year = 2021, doi = {https://doi.org/10.1000/abc}}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["one"]
    assert messages(report) == [
        "content/refs.bib:2: warning: 'two' describes the same paper as 'one' at content/refs.bib:1 "
        "(the same DOI); they are merged and the fields at content/refs.bib:1 win"
    ]
    # DOIs that differ only in case are one link on the page.
    assert [(link.kind, link.url) for link in site.papers[0].links] == [("doi", "https://doi.org/10.1000/ABC")]


def test_same_arxiv_id_different_keys(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/a.bib": "@misc{scholar, title = {BERT}, journal = {arXiv preprint arXiv:1810.04805}, year = 2018}\n",
            "content/b.bib": "@misc{dblp, title = {BERT: Pre-training}, eprint = {1810.04805v2}, archiveprefix = {arXiv}, year = 2019}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["dblp"]
    assert messages(report) == [
        "content/a.bib:1: warning: 'scholar' describes the same paper as 'dblp' at content/b.bib:1 "
        "(the same arXiv id); they are merged and the fields at content/b.bib:1 win"
    ]


def test_same_title_and_year_normalised(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{one, title = {{Deep} Nets: a Survey}, journal = {J}, year = 2020}\n"
            "@inproceedings{two, title = {Deep nets -- A survey.}, booktitle = {C}, year = 2020}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["one"]
    assert messages(report) == [
        "content/refs.bib:2: warning: 'two' describes the same paper as 'one' at content/refs.bib:1 "
        "(the same title, year and first author); they are merged and the fields at content/refs.bib:1 win"
    ]


def test_same_title_other_year_kept_apart(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{one, title = {Deep Nets}, journal = {J}, year = 2020}\n"
            "@article{two, title = {Deep Nets}, journal = {J}, year = 2021}\n",
        },
    )
    assert sorted(paper.key for paper in site.papers) == ["one", "two"]
    assert messages(report) == []


def test_chain_of_duplicates_names_link(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{a, title = {Alpha Paper}, journal = {J}, year = 2020, doi = {10.1/x}, pages = {1}, volume = {2}}\n"
            "@article{b, title = {Beta Paper}, journal = {J}, year = 2020, doi = {10.1/x}}\n"
            "@article{c, title = {Beta Paper}, journal = {J}, year = 2020}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["a"]
    assert site.papers[0].merged_from == [Location("content/refs.bib", 2), Location("content/refs.bib", 3)]
    assert messages(report) == [
        "content/refs.bib:2: warning: 'b' describes the same paper as 'a' at content/refs.bib:1 "
        "(the same DOI); they are merged and the fields at content/refs.bib:1 win",
        "content/refs.bib:3: warning: 'c' describes the same paper as 'a' at content/refs.bib:1 "
        "(the same title, year and first author as 'b' at content/refs.bib:2); they are merged and the fields at content/refs.bib:1 win",
    ]


def test_winner_completed_from_other_record(tmp_path: Path) -> None:
    site, _ = load_site(
        tmp_path,
        {
            "content/a.bib": "@article{k, title = {T}, journal = {J}, year = 2020, volume = {3}, number = {4}}\n",
            "content/b.bib": "@article{k, title = {T}, journal = {J}, year = 2020, doi = {10.1/t}}\n",
        },
    )
    paper = site.papers[0]
    assert paper.fields["volume"] == "3"
    assert paper.fields["doi"] == "10.1/t"
    assert [link.url for link in paper.links] == ["https://doi.org/10.1/t"]


def test_yaml_record_overrides_bib_silently(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/papers/deep-nets.yaml": "title: Deep Nets\nauthors: [Ada Lovelace]\nvenue: Nature\nyear: 2020\ntype: journal\ndoi: 10.1/deep\n",
            "content/refs.bib": "@article{deep, title = {Deep nets}, author = {Lovelace, A.}, journal = {Nat.}, year = 2020, doi = {10.1/DEEP}, pages = {5--9}}\n",
        },
    )
    assert len(site.papers) == 1
    paper = site.papers[0]
    assert paper.title.plain == "Deep Nets"
    assert [name.display for name in paper.authors] == ["Ada Lovelace"]
    assert paper.fields["pages"] == "5--9"
    assert messages(report) == []


def test_two_bib_duplicates_under_yaml_reported(tmp_path: Path) -> None:
    _site, report = load_site(
        tmp_path,
        {
            "content/papers/deep-nets.yaml": "title: Deep Nets\nauthors: [Ada Lovelace]\nvenue: Nature\nyear: 2020\ndoi: 10.1/deep\n",
            "content/a.bib": "@article{one, title = {Deep nets}, journal = {Nature}, year = 2020, doi = {10.1/deep}}\n",
            "content/b.bib": "@article{two, title = {Deep nets}, journal = {Nature}, year = 2020}\n",
        },
    )
    assert messages(report) == [
        "content/b.bib:1: warning: 'two' describes the same paper as 'one' at content/a.bib:1 "
        "(the same title, year and first author); they are merged and the fields at content/papers/deep-nets.yaml:1 win"
    ]


def _paper(key: str, title: str, path: str, **fields: str) -> Paper:
    return Paper(
        key=key,
        entry_type="article",
        kind="Journal Article",
        title=Text(title, title, title),
        authors=[],
        year=2020,
        venue=None,
        fields={"title": title, **fields},
        location=Location(path, 1),
    )


def test_merge_papers_order_of_input_irrelevant() -> None:
    def run(order: list[int]) -> tuple[str, dict[str, str], list[str]]:
        made = [
            _paper("k", "Gamma", "content/a.bib", journal="J"),
            _paper("k", "Gamma", "content/b.bib", journal="J", volume="1"),
            _paper("k", "Gamma", "content/c.bib", journal="K"),
        ]
        report = Report()
        merged = merge_papers([made[i] for i in order], report)
        assert len(merged) == 1
        return str(merged[0].location), merged[0].fields, messages(report)

    assert run([0, 1, 2]) == run([2, 1, 0]) == run([1, 2, 0])
    assert run([0, 1, 2])[0] == "content/b.bib:1"

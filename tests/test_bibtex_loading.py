"""Loading real-world BibTeX into papers: field text, names, macros, crossrefs, biblatex fields and broken input."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import make_site as make_model
from generator.config import parse_config
from generator.diagnostics import Report
from generator.model import Paper, Site


def load_site(root: Path, files: dict[str, str | bytes]) -> tuple[Site, Report]:
    """Write ``files`` into a site folder titled "T" and build its model."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    report = Report()
    site = make_model(parse_config({"title": "T"}, root), report)
    return site, report


def load_one(root: Path, bib: str) -> tuple[Paper, Report]:
    """Load a .bib file that contains exactly one paper, and return it."""
    site, report = load_site(root, {"content/refs.bib": bib})
    assert len(site.papers) == 1, [p.key for p in site.papers]
    return site.papers[0], report


def messages(report: Report) -> list[str]:
    return [str(diagnostic) for diagnostic in report]


# Field text -----------------------------------------------------------------


def test_title_accents_decode_to_unicode(tmp_path: Path) -> None:
    paper, report = load_one(
        tmp_path,
        r'@article{k, title = {{\"U}ber Stra{\ss}en in K\'{e}rala and Bj{\o}rk}, journal = {J}, year = 2020}',
    )
    assert paper.title.plain == "Über Straßen in Kérala and Bjørk"
    assert paper.title.html == "Über Straßen in Kérala and Bjørk"
    assert messages(report) == []


def test_title_dash_and_tie(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, r"@article{k, title = {Pages 10--20 of Vol.~3}, journal = {J}, year = 2020}")
    assert paper.title.plain == "Pages 10\u201320 of Vol.\u00a03"


def test_title_protected_braces_vanish_and_keep_case(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, r"@article{k, title = {{BERT}: Pre-training of {D}eep Transformers}, journal = {J}, year = 2019}")
    assert paper.title.plain == "BERT: Pre-training of Deep Transformers"
    assert paper.title.html == "BERT: Pre-training of Deep Transformers"
    assert paper.title.source == r"{BERT}: Pre-training of {D}eep Transformers"


def test_title_emphasis_becomes_em(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, r"@article{k, title = {The \textit{in vivo} and \emph{in vitro} Cases}, journal = {J}, year = 2020}")
    assert paper.title.plain == "The in vivo and in vitro Cases"
    assert paper.title.html == "The <em>in vivo</em> and <em>in vitro</em> Cases"


def test_title_math_kept_and_shown_as_mathml(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, r"@article{k, title = {Bounds for $O(n^2)$ Sorting}, journal = {J}, year = 2020}")
    assert paper.title.plain == "Bounds for $O(n^2)$ Sorting"
    assert paper.title.html.startswith('Bounds for <span class="math"><math display="inline">')
    assert "<msup><mi>n</mi><mn>2</mn></msup>" in paper.title.html
    assert paper.title.html.endswith("</math></span> Sorting")


def test_title_markup_in_source_is_escaped(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, r"@article{k, title = {A <script>x</script> \& B}, journal = {J}, year = 2020}")
    assert paper.title.plain == "A <script>x</script> & B"
    assert paper.title.html == "A &lt;script&gt;x&lt;/script&gt; &amp; B"


# Names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "display", "sort_key"),
    [
        ("Ada Lovelace", "Ada Lovelace", ("lovelace", "ada", "", "")),
        ("Lovelace, Ada", "Ada Lovelace", ("lovelace", "ada", "", "")),
        ("King, Jr., Martin Luther", "Martin Luther King, Jr.", ("king", "martin luther", "", "jr.")),
        ("Ludwig van Beethoven", "Ludwig van Beethoven", ("beethoven", "ludwig", "van", "")),
        ("{Open Science Collaboration}", "Open Science Collaboration", ("open science collaboration", "", "", "")),
        (r"Jean-Fran{\c{c}}ois Dupont", "Jean-François Dupont", ("dupont", "jean-françois", "", "")),
        ("林, 晓雯", "林晓雯", ("林", "晓雯", "", "")),
        (r"M{\"u}ller, J{\"o}rg", "Jörg Müller", ("müller", "jörg", "", "")),
        (r"S\o{}ren Kierkegaard", "Søren Kierkegaard", ("kierkegaard", "søren", "", "")),
    ],
)
def test_author_name_forms(tmp_path: Path, written: str, display: str, sort_key: tuple[str, str, str, str]) -> None:
    paper, report = load_one(tmp_path, f"@article{{k, author = {{{written}}}, title = {{T}}, journal = {{J}}, year = 2020}}")
    assert [name.display for name in paper.authors] == [display]
    assert paper.authors[0].sort_key == sort_key
    assert messages(report) == []


def test_von_name_sorts_under_family_name(tmp_path: Path) -> None:
    paper, _ = load_one(
        tmp_path,
        "@article{k, author = {Ludwig van Beethoven and Johann Sebastian Bach and Anton Webern},"
        " title = {T}, journal = {J}, year = 1900}",
    )
    ordered = sorted(paper.authors, key=lambda name: name.sort_key)
    assert [name.display for name in ordered] == ["Johann Sebastian Bach", "Ludwig van Beethoven", "Anton Webern"]


def test_corporate_author_is_one_name(tmp_path: Path) -> None:
    paper, _ = load_one(
        tmp_path,
        "@article{k, author = {{Open Science Collaboration} and Brian A. Nosek}, title = {T}, journal = {Science}, year = 2015}",
    )
    assert [name.display for name in paper.authors] == ["Open Science Collaboration", "Brian A. Nosek"]
    assert paper.authors[0].literal == "Open Science Collaboration"


def test_and_others_sets_et_al(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@article{k, author = {Ada Lovelace and Charles Babbage and others}, title = {T}, journal = {J}, year = 1843}")
    assert [name.display for name in paper.authors] == ["Ada Lovelace", "Charles Babbage"]
    assert paper.et_al is True


def test_and_others_makes_no_author_page(tmp_path: Path) -> None:
    site, _ = load_site(tmp_path, {"content/refs.bib": "@article{k, author = {Ada Lovelace and others}, title = {T}, journal = {J}, year = 1843}"})
    assert [author.display for author in site.authors] == ["Ada Lovelace"]


def test_accent_spellings_share_author_page(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/a.bib": "@article{first, author = {Müller, J.}, title = {First Paper}, journal = {J}, year = 2020}",
            "content/b.bib": r'@article{second, author = {J. M{\"u}ller}, title = {Second Paper}, journal = {J}, year = 2021}',
        },
    )
    assert messages(report) == []
    assert [author.display for author in site.authors] == ["J. Müller"]
    assert [paper.key for paper in site.authors[0].papers] == ["second", "first"]


# Macros, concatenation, crossref --------------------------------------------


def test_string_macros_and_concatenation(tmp_path: Path) -> None:
    paper, report = load_one(
        tmp_path,
        '@string{acispname = "Australasian Conference on Information Security and Privacy"}\n'
        "@inproceedings{k, author = {Ada Lovelace}, title = {T},\n"
        '  booktitle = "ACISP 25: " # acispname # ", Part~I", year = 2025}\n',
    )
    assert paper.venue is not None
    assert paper.venue.plain == "ACISP 25: Australasian Conference on Information Security and Privacy, Part\u00a0I"
    assert paper.fields["booktitle"] == "ACISP 25: Australasian Conference on Information Security and Privacy, Part~I"
    assert messages(report) == []


def test_macro_defined_in_another_file(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/0-abbrev.bib": '@string{jacm = "Journal of the ACM"}\n',
            "content/1-refs.bib": "@article{k, title = {T}, journal = jacm, year = 1990}\n",
        },
    )
    assert site.papers[0].venue is not None
    assert site.papers[0].venue.plain == "Journal of the ACM"
    assert messages(report) == []


def test_undefined_macro_shown_as_written(tmp_path: Path) -> None:
    paper, report = load_one(tmp_path, "@article{k, title = {T}, journal = nosuchjournal, year = 1990}\n")
    assert paper.venue is not None
    assert paper.venue.plain == "nosuchjournal"
    assert messages(report) == [
        "content/refs.bib:1: warning: entry 'k' uses undefined macro(s) nosuchjournal; the names are shown as written"
    ]


def test_month_macro_gives_month_number(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@article{k, title = {T}, journal = {J}, year = 2020, month = jan}")
    assert paper.month == 1
    assert paper.fields["month"] == "jan"


def test_crossref_parent_in_another_file(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/a-papers.bib": "@inproceedings{child, author = {Ada Lovelace}, title = {Child Paper},\n"
            "  crossref = {icml2021}, pages = {1--10}}\n",
            "content/b-proceedings.bib": "@proceedings{icml2021,\n"
            "  title = {Proceedings of the 38th International Conference on Machine Learning},\n"
            "  year = 2021, month = jul, publisher = {PMLR}, doi = {10.5555/volume}}\n",
        },
    )
    child = next(paper for paper in site.papers if paper.key == "child")
    assert child.venue is not None
    assert child.venue.plain == "Proceedings of the 38th International Conference on Machine Learning"
    assert child.fields["booktitle"] == "Proceedings of the 38th International Conference on Machine Learning"
    assert child.title.plain == "Child Paper"
    assert child.year == 2021
    assert child.month == 7
    assert child.fields["month"] == "jul"
    assert "doi" not in child.fields
    assert child.links == []
    assert "crossref" not in child.fields
    assert child.venue_series is not None
    assert child.venue_series.name == "ICML"
    assert messages(report) == []


def test_crossref_to_missing_parent_warns(tmp_path: Path) -> None:
    paper, report = load_one(tmp_path, "@inproceedings{child, title = {Child}, crossref = {nowhere}, year = 2020}\n")
    assert "crossref" not in paper.fields
    assert messages(report) == [
        "content/refs.bib:1: warning: entry 'child' has crossref 'nowhere', which no .bib file of the site defines; "
        "the crossref is left out of the export"
    ]


def test_comment_and_preamble_blocks_ignored(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@comment{ @article{hidden, title = {Not a paper}} }\n"
            '@preamble{ "\\newcommand{\\noop}[1]{}" }\n'
            "@article{shown, title = {Shown Paper}, journal = {J}, year = 2020}\n",
        },
    )
    assert [paper.key for paper in site.papers] == ["shown"]
    assert messages(report) == []


# biblatex fields --------------------------------------------------------------


def test_biblatex_date_and_journaltitle(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@article{k, title = {T}, journaltitle = {Nature Physics}, date = {2021-03-05}}")
    assert paper.year == 2021
    assert paper.month == 3
    assert paper.venue is not None
    assert paper.venue.plain == "Nature Physics"
    assert paper.kind == "Journal Article"


def test_biblatex_arxiv_eprint(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@online{k, title = {T}, eprint = {2103.00020}, eprinttype = {arxiv}, date = {2021}}")
    assert paper.kind == "Preprint"
    assert [(link.kind, link.url) for link in paper.links] == [("arxiv", "https://arxiv.org/abs/2103.00020")]
    assert paper.venue is not None
    assert paper.venue.plain == "arXiv"


def test_arxiv_id_in_journal_text_links(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@article{k, title = {T}, journal = {arXiv preprint arXiv:1810.04805}, year = 2018}")
    assert paper.kind == "Preprint"
    assert [(link.kind, link.url) for link in paper.links] == [("arxiv", "https://arxiv.org/abs/1810.04805")]


def test_eprint_of_other_archive_not_arxiv(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@article{k, title = {T}, journal = {J}, eprint = {2103.00020}, eprinttype = {hal}, year = 2021}")
    assert paper.links == []


# Entry types and venue series --------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("@inproceedings{k, title = {T}, booktitle = {ICML}, year = 2020}", "Conference Paper"),
        ("@conference{k, title = {T}, booktitle = {ICML}, year = 2020}", "Conference Paper"),
        ("@article{k, title = {T}, journal = {Nature}, year = 2020}", "Journal Article"),
        ("@article{k, title = {T}, journal = {CoRR}, volume = {abs/2001.00001}, year = 2020}", "Preprint"),
        ("@misc{k, title = {T}, eprint = {2001.00001}, archiveprefix = {arXiv}, year = 2020}", "Preprint"),
        ("@book{k, title = {T}, publisher = {Springer}, year = 2020}", "Book"),
        ("@incollection{k, title = {T}, booktitle = {Handbook}, year = 2020}", "Chapter"),
        ("@inbook{k, title = {T}, booktitle = {Handbook}, year = 2020}", "Chapter"),
        ("@phdthesis{k, title = {T}, school = {ETH Z{\\\"u}rich}, year = 2020}", "Thesis"),
        ("@mastersthesis{k, title = {T}, school = {MIT}, year = 2020}", "Thesis"),
        ("@thesis{k, title = {T}, institution = {MIT}, year = 2020}", "Thesis"),
        ("@techreport{k, title = {T}, institution = {MIT}, year = 2020}", "Report"),
        ("@report{k, title = {T}, institution = {MIT}, year = 2020}", "Report"),
    ],
)
def test_entry_type_readable_kind(tmp_path: Path, entry: str, kind: str) -> None:
    paper, _ = load_one(tmp_path, entry)
    assert paper.kind == kind


def test_thesis_venue_is_school(tmp_path: Path) -> None:
    paper, _ = load_one(tmp_path, "@phdthesis{k, title = {T}, school = {ETH Z{\\\"u}rich}, year = 2020}")
    assert paper.venue is not None
    assert paper.venue.plain == "ETH Zürich"


def test_neurips_spellings_one_series(tmp_path: Path) -> None:
    site, _ = load_site(
        tmp_path,
        {
            "content/refs.bib": '@string{nips = "Advances in Neural Information Processing Systems"}\n'
            '@inproceedings{a, title = {A}, booktitle = nips # " 33", year = 2020}\n'
            "@inproceedings{b, title = {B}, booktitle = {NeurIPS}, year = 2021}\n"
            "@inproceedings{c, title = {C}, booktitle = {Proceedings of NIPS 2017}, year = 2017}\n",
        },
    )
    assert {paper.key: paper.venue_series.name for paper in site.papers if paper.venue_series} == {
        "a": "NeurIPS",
        "b": "NeurIPS",
        "c": "NeurIPS",
    }
    assert [venue.name for venue in site.venues] == ["NeurIPS"]
    assert site.venues[0].years() == [2021, 2020, 2017]


# Broken input -------------------------------------------------------------------


def test_latin1_file_read_with_warning(tmp_path: Path) -> None:
    data = "@article{k,\n  author = {M\u00fcller, J\u00f6rg},\n  title = {Caf\u00e9 Society}, journal = {J}, year = 2020}\n"
    site, report = load_site(tmp_path, {"content/old.bib": data.encode("latin-1")})
    paper = site.papers[0]
    assert paper.title.plain == "Café Society"
    assert [name.display for name in paper.authors] == ["Jörg Müller"]
    assert messages(report) == [
        "content/old.bib:2: warning: file is not valid UTF-8; read as Windows-1252. Save it as UTF-8 to be sure accents are right"
    ]


def test_unbalanced_braces_reported_rest_read(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{before, title = {Before}, journal = {J}, year = 2020}\n"
            "\n"
            "@article{broken, title = {Broken {title}, journal = {J}, year = 2020}\n"
            "\n"
            "@article{after, title = {After}, journal = {J}, year = 2021}\n",
        },
    )
    assert sorted(paper.key for paper in site.papers) == ["after", "before"]
    assert messages(report) == [
        "content/refs.bib:3: warning: entry could not be parsed and is skipped: the entry is not closed before "
        "the next line that starts with '@' or the end of the file (citation key 'broken'; 1 unclosed '{' in the entry)"
    ]


def test_unclosed_entry_at_end_of_file(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {"content/refs.bib": "@article{ok, title = {Fine}, journal = {J}, year = 2020}\n@article{last, title = {Never closed\n"},
    )
    assert [paper.key for paper in site.papers] == ["ok"]
    assert messages(report) == [
        "content/refs.bib:2: warning: entry could not be parsed and is skipped: the entry is not closed before "
        "the next line that starts with '@' or the end of the file (citation key 'last'; 2 unclosed '{' in the entry)"
    ]


def test_missing_comma_after_key_reported(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{ok, title = {Fine}, journal = {J}, year = 2020}\n"
            "@article{nocomma title = {Broken}, year = 2020}\n"
            "@article{ok2, title = {Also fine}, journal = {J}, year = 2020}\n",
        },
    )
    assert sorted(paper.key for paper in site.papers) == ["ok", "ok2"]
    assert messages(report) == [
        "content/refs.bib:2: warning: entry could not be parsed and is skipped: Expected comma after entry key, but found ="
    ]


def test_entry_without_key_skipped(tmp_path: Path) -> None:
    site, report = load_site(tmp_path, {"content/refs.bib": "\n@article{, title = {No Key}, journal = {J}, year = 2020}\n"})
    assert site.papers == []
    assert messages(report) == [
        "content/refs.bib:2: warning: @article entry has no citation key and is skipped; add a key before the first field"
    ]


def test_entry_without_title_skipped(tmp_path: Path) -> None:
    site, report = load_site(tmp_path, {"content/refs.bib": "@article{k, author = {Ada Lovelace}, journal = {J}, year = 2020}\n"})
    assert site.papers == []
    assert messages(report) == ["content/refs.bib:1: warning: entry 'k' has no title and is skipped"]


def test_repeated_field_keeps_first(tmp_path: Path) -> None:
    paper, report = load_one(tmp_path, "@article{k, title = {First}, title = {Second}, journal = {J}, year = 2020}\n")
    assert paper.title.plain == "First"
    assert messages(report) == ["content/refs.bib:1: warning: entry 'k' sets the field(s) title more than once; the first value is kept"]


def test_invalid_year_listed_without_year(tmp_path: Path) -> None:
    paper, report = load_one(tmp_path, "@article{k, title = {T}, journal = {J}, year = {forthcoming}}\n")
    assert paper.year is None
    assert messages(report) == ["content/refs.bib:1: warning: entry 'k' has an invalid year 'forthcoming'; it is listed without a year"]



def test_two_entries_without_key_both_skipped(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {"content/refs.bib": "@article{, title = {One}, year = 2020}\n@book{, title = {Two}, year = 2021}\n"},
    )
    assert site.papers == []
    assert messages(report) == [
        "content/refs.bib:1: warning: @article entry has no citation key and is skipped; add a key before the first field",
        "content/refs.bib:2: warning: @book entry has no citation key and is skipped; add a key before the first field",
    ]


def test_same_key_twice_in_one_file_merged(tmp_path: Path) -> None:
    site, report = load_site(
        tmp_path,
        {
            "content/refs.bib": "@article{k, title = {Old}, journal = {J}, year = 2020}\n"
            "@article{k, title = {New}, journal = {J}, year = 2020, volume = {2}}\n",
        },
    )
    assert [(paper.key, paper.title.plain) for paper in site.papers] == [("k", "New")]
    assert messages(report) == [
        "content/refs.bib:1: warning: 'k' describes the same paper as 'k' at content/refs.bib:2 "
        "(the same citation key); they are merged and the fields at content/refs.bib:2 win"
    ]

"""Tests for venue series matching, site venue extensions and readable kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.venues import (
    SeriesInfo,
    VenueTableError,
    default_definitions,
    kind_for,
    load_aliases,
    normalise_venue,
    venue_text_for,
)

DEFAULTS = load_aliases(None)

KNOWN_VENUES = [
    # The forms the NeurIPS, ICML, ICLR and AAAI series take in real files.
    ("Advances in Neural Information Processing Systems", "neurips"),
    ("Advances in Neural Information Processing Systems 35", "neurips"),
    ("NeurIPS", "neurips"),
    ("NIPS", "neurips"),
    ("Proc. of NeurIPS 2022", "neurips"),
    ("NeurIPS Conference", "neurips"),
    ("Proceedings of the 39th International Conference on Machine Learning", "icml"),
    ("ICML", "icml"),
    ("International Conference on Machine Learning", "icml"),
    ("Proc. Int. Conf. on Machine Learning", "icml"),
    ("ICLR", "iclr"),
    ("International Conference on Learning Representations", "iclr"),
    ("AAAI", "aaai"),
    ("Proceedings of the AAAI Conference on Artificial Intelligence", "aaai"),
    # EACL booktitles as the ACL Anthology writes them, with ordinals as digits and words.
    (
        "Proceedings of the 15th Conference of the European Chapter of the Association for "
        "Computational Linguistics: Volume 2, Short Papers",
        "eacl",
    ),
    ("Proceedings of the 12th Conference of the European Chapter of the ACL (EACL 2009)", "eacl"),
    ("10th Conference of the European Chapter of the Association for Computational Linguistics", "eacl"),
    ("Sixth Conference of the European Chapter of the Association for Computational Linguistics", "eacl"),
    (
        "Proceedings of the 14th Conference of the European Chapter of the      "
        "Association for Computational Linguistics     ",
        "eacl",
    ),
    ("Proceedings of the Demonstrations Session at EACL 2009", "eacl"),
    (
        "Proceedings of the Software Demonstrations of the 15th Conference of the European "
        "Chapter of the Association for Computational Linguistics",
        "eacl",
    ),
    # dblp booktitles and journal abbreviations.
    (
        "Proceedings of the 56th Annual ACM Symposium on Theory of Computing, STOC 2024, "
        "Vancouver, BC, Canada, June 24-28, 2024",
        "stoc",
    ),
    ("Symposium on Theory of Computing, STOC 2014, New York, NY, USA, May 31 - June 03, 2014", "stoc"),
    ("STOC '22: 54th Annual ACM SIGACT Symposium on Theory of Computing, Rome, Italy, June 20 - 24, 2022", "stoc"),
    (
        "62nd IEEE Annual Symposium on Foundations of Computer Science, FOCS 2021, Denver, CO, USA, "
        "February 7-10, 2022",
        "focs",
    ),
    ("CoRR", "arxiv"),
    ("SIAM J. Comput.", "sicomp"),
    ("Theor. Comput. Sci.", "tcs"),
    ("Commun. ACM", "cacm"),
    # Older AAAI booktitles, which spell the ordinal and name the National Conference.
    ("Proceedings of the Ninth National Conference on Artificial Intelligence (AAAI 1991)", "aaai"),
    ("Proceedings of the Twenty-First National Conference on Artificial Intelligence (AAAI 2006)", "aaai"),
    ("Proceedings of the Twenty-Seventh AAAI Conference on Artificial Intelligence (AAAI 2013)", "aaai"),
    # Journals and preprint servers as personal sites list them.
    ("Proceedings of the 36th International Conference on Machine Learning", "icml"),
    ("Phys. Rev. Lett.", "prl"),
    ("bioRxiv", "biorxiv"),
    ("arXiv preprint arXiv:2101.00001", "arxiv"),
    ("ArXiv e-prints", "arxiv"),
    # Prefixes, suffixes and acronyms in parentheses.
    ("2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", "cvpr"),
    ("IEEE/CVF International Conference on Computer Vision", "iccv"),
    ("Proceedings of the 28th ACM SIGKDD Conference on Knowledge Discovery & Data Mining", "kdd"),
    ("30th USENIX Security Symposium (USENIX Security 21)", "usenix-security"),
    ("2022 IEEE Symposium on Security and Privacy (SP)", "sp"),
    ("IEEE S&P", "sp"),
    ("Advances in Cryptology – CRYPTO 2020", "crypto"),
    ("Findings of the Association for Computational Linguistics: EMNLP 2021", "findings-acl"),
    ("Transactions of the Association for Computational Linguistics", "tacl"),
    (
        "Proceedings of the 2019 Conference of the North American Chapter of the Association for "
        "Computational Linguistics: Human Language Technologies, Volume 1 (Long and Short Papers)",
        "naacl",
    ),
    (
        "Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and "
        "the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)",
        "emnlp",
    ),
    ("Proceedings of the National Academy of Sciences of the United States of America", "pnas"),
    ("Proceedings of the ACM on Programming Languages", "pacmpl"),
    ("Nature", "nature"),
    ("Science", "science"),
]


@pytest.mark.parametrize(("text", "key"), KNOWN_VENUES)
def test_series_for_known_venue(text: str, key: str) -> None:
    assert DEFAULTS.series_for(text).key == key


def test_series_for_neurips_full_info() -> None:
    assert DEFAULTS.series_for("Advances in Neural Information Processing Systems 35") == SeriesInfo(
        "neurips", "NeurIPS", "Conference on Neural Information Processing Systems"
    )


UNKNOWN_VENUES = [
    # Names that contain a known name but are other venues.
    (
        "International Conference on Machine Learning and Applications",
        SeriesInfo(
            "international on machine learning and applications",
            "International Conference on Machine Learning and Applications",
            "International Conference on Machine Learning and Applications",
        ),
    ),
    (
        "Electronic Notes in Theoretical Computer Science",
        SeriesInfo(
            "electronic notes in theoretical computer science",
            "Electronic Notes in Theoretical Computer Science",
            "Electronic Notes in Theoretical Computer Science",
        ),
    ),
    (
        "Environmental Science & Technology",
        SeriesInfo(
            "environmental science and technology",
            "Environmental Science & Technology",
            "Environmental Science & Technology",
        ),
    ),
    ("Nature Machine Intelligence", SeriesInfo("nature machine intelligence", "Nature Machine Intelligence", "Nature Machine Intelligence")),
    # Workshops are not the main conference.
    (
        "Proceedings of the Student Research Workshop at EACL 2009",
        SeriesInfo(
            "student research workshop at eacl",
            "Student Research Workshop at EACL",
            "Student Research Workshop at EACL",
        ),
    ),
    (
        "Workshop on Shared Visual Representations, NeurIPS 2022",
        SeriesInfo(
            "workshop on shared visual representations neurips",
            "Workshop on Shared Visual Representations, NeurIPS",
            "Workshop on Shared Visual Representations, NeurIPS",
        ),
    ),
    (
        "AAAI 2006 Workshop on Learning for Search",
        SeriesInfo(
            "aaai workshop on learning for search",
            "AAAI 2006 Workshop on Learning for Search",
            "AAAI 2006 Workshop on Learning for Search",
        ),
    ),
    # Leading ordinals and "Proceedings of the" leave the name.
    (
        "Proceedings of the 7th International Symposium on Foo Systems",
        SeriesInfo("international symposium on foo systems", "International Symposium on Foo Systems", "International Symposium on Foo Systems"),
    ),
    ("Demonstrations", SeriesInfo("demonstrations", "Demonstrations", "Demonstrations")),
    ("Developments in Language Theory", SeriesInfo("developments in language theory", "Developments in Language Theory", "Developments in Language Theory")),
    # A dblp part "ACRONYM year" names the series of an unknown venue.
    (
        "38th Computational Complexity Conference, CCC 2023, July 17-20, 2023, Warwick, UK",
        SeriesInfo("ccc", "CCC", "Computational Complexity Conference"),
    ),
    (
        "42nd IARCS Annual Conference on Foundations of Software Technology and Theoretical "
        "Computer Science, FSTTCS 2022, December 18-20, 2022, IIT Madras, Chennai, India",
        SeriesInfo(
            "fsttcs",
            "FSTTCS",
            "IARCS Annual Conference on Foundations of Software Technology and Theoretical Computer Science",
        ),
    ),
    (
        "ACISP 25: 30th Australasian Conference on Information Security and Privacy, Part I",
        SeriesInfo("acisp", "ACISP", "Australasian Conference on Information Security and Privacy"),
    ),
    ("Proceedings of WORDS 2007", SeriesInfo("words", "WORDS", "WORDS")),
]


@pytest.mark.parametrize(("text", "expected"), UNKNOWN_VENUES)
def test_series_for_unknown_venue(text: str, expected: SeriesInfo) -> None:
    assert DEFAULTS.series_for(text) == expected


def test_series_for_unknown_venue_years_share_key() -> None:
    first = DEFAULTS.series_for("Proceedings of the 7th Workshop on Foo, 2019")
    second = DEFAULTS.series_for("Proceedings of the 8th Workshop on Foo, 2020")

    assert first.key == second.key == "workshop on foo"
    assert first.name == second.name == "Workshop on Foo"


def test_series_for_misspelled_eacl_stays_unknown() -> None:
    # The ACL Anthology's first EACL booktitle misspells "Computational".
    series = DEFAULTS.series_for(
        "First Conference of the European Chapter of the Association for Computatlona Linguistics"
    )

    assert series.key == "european chapter of association for computatlona linguistics"
    assert series.name == "Conference of the European Chapter of the Association for Computatlona Linguistics"


@pytest.mark.parametrize("text", ["", "   ", "--", "(), "])
def test_series_for_text_without_letters_raises(text: str) -> None:
    with pytest.raises(ValueError, match="has no letters or digits"):
        DEFAULTS.series_for(text)


def test_series_for_lowercase_word_is_not_acronym() -> None:
    # "Colt" or "crypto" inside a longer name are words, not the COLT and CRYPTO series.
    assert DEFAULTS.series_for("Financial Crypto Letters").key == "financial crypto letters"
    assert DEFAULTS.series_for("Journal of Colt Studies").key == "journal of colt studies"


NORMALISED = [
    ("Proceedings of the 39th International Conference on Machine Learning", "international on machine learning"),
    ("Proc. of NeurIPS 2022", "neurips"),
    ("Proceedings of the Twenty-Seventh AAAI Conference", "aaai"),
    ("Advances in Neural Information Processing Systems, Vol. 35", "advances in neural information processing systems"),
    ("Computational Statistics \u0026 Data Analysis", "computational statistics and data analysis"),
    ("STOC '22", "stoc"),
    ("Int'l Symp. on Foo, Part III", "international symposium on foo"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALISED)
def test_normalise_venue(text: str, expected: str) -> None:
    assert normalise_venue(text) == expected


def test_default_table_size_and_unique_keys() -> None:
    keys = [d.info.key for d in default_definitions()]

    assert len(keys) >= 60
    assert len(keys) == len(set(keys))


def test_default_table_aliases_select_own_series() -> None:
    # Two default series sharing a normalised alias would make one unreachable.
    for definition in default_definitions():
        info = definition.info
        for alias in (info.key, info.name, info.full_name, *definition.aliases):
            assert DEFAULTS.series_for(alias) == info, alias


def test_default_table_names_every_required_series() -> None:
    names = {d.info.name for d in default_definitions()}
    required = """NeurIPS ICML ICLR AAAI CVPR ICCV ECCV ACL EMNLP NAACL EACL COLING KDD WWW SIGIR CHI IJCAI
        UAI AISTATS COLT CoRL ICRA IROS STOC FOCS SODA CRYPTO EUROCRYPT ASIACRYPT CCS OSDI SOSP SIGMOD
        VLDB ICSE PLDI POPL JMLR TPAMI Nature Science PNAS arXiv NDSS""".split()

    assert set(required) - names == set()
    assert {"USENIX Security", "S&P"} <= names


# Site extensions ----------------------------------------------------------


def test_load_aliases_extends_default_series() -> None:
    aliases = load_aliases(
        {"NeurIPS": {"full_name": "Neural Information Processing Systems", "aliases": ["Neural Info Proc Sys"]}}
    )

    assert aliases.series_for("Neural Info Proc Sys 2021") == SeriesInfo(
        "neurips", "NeurIPS", "Neural Information Processing Systems"
    )
    assert aliases.series_for("NIPS").key == "neurips"


def test_load_aliases_adds_new_series() -> None:
    aliases = load_aliases({"Cosyne": {"full_name": "Computational and Systems Neuroscience", "aliases": ["COSYNE"]}})

    expected = SeriesInfo("cosyne", "Cosyne", "Computational and Systems Neuroscience")
    assert aliases.series_for("Computational and Systems Neuroscience 2023") == expected
    assert aliases.series_for("Cosyne Abstracts, COSYNE 2023") == expected


def test_load_aliases_site_alias_wins_over_default() -> None:
    aliases = load_aliases({"Learning Theory Forum": {"aliases": ["COLT"]}})

    assert aliases.series_for("COLT").key == "learning-theory-forum"
    assert DEFAULTS.series_for("COLT").key == "colt"


def test_load_aliases_new_series_without_full_name() -> None:
    aliases = load_aliases({"My Lab Seminar": None})

    assert aliases.series_for("my lab seminar") == SeriesInfo("my-lab-seminar", "My Lab Seminar", "My Lab Seminar")


@pytest.mark.parametrize(
    ("extra", "problems"),
    [
        ({"NeurIPS": ["NIPS"]}, [("NeurIPS", "must be a mapping with full_name and aliases, got list")]),
        ({"NeurIPS": {"aliases": "NIPS"}}, [("NeurIPS.aliases", "must be a list of strings, got str")]),
        ({"NeurIPS": {"aliases": ["NIPS", 3]}}, [("NeurIPS.aliases[1]", "must be venue text with letters, got 3")]),
        ({"NeurIPS": {"full_name": ""}}, [("NeurIPS.full_name", "must be a non-empty string, got ''")]),
        (
            {"NeurIPS": {"short": "N"}},
            [("NeurIPS", "unknown keys short; allowed keys are full_name and aliases")],
        ),
        ({"2020": {}}, [("2020", "series name must be venue text with letters")]),
        (
            {"Foo Forum": {"aliases": ["Shared Name"]}, "Bar Forum": {"aliases": ["shared name"]}},
            [("Bar Forum", "alias 'shared name' is already used by series 'Foo Forum'")],
        ),
    ],
)
def test_load_aliases_invalid_shape_raises(extra: dict[str, object], problems: list[tuple[str, str]]) -> None:
    with pytest.raises(VenueTableError) as raised:
        load_aliases(extra)

    assert raised.value.problems == problems
    assert isinstance(raised.value, ValueError)


def test_load_aliases_reports_every_problem() -> None:
    with pytest.raises(VenueTableError) as raised:
        load_aliases({"A Venue": {"aliases": 1}, "B Venue": {"full_name": 2}})

    assert str(raised.value) == (
        "A Venue.aliases: must be a list of strings, got int\nB Venue.full_name: must be a non-empty string, got 2"
    )


# Readable kinds -----------------------------------------------------------

KINDS = [
    ("inproceedings", {"booktitle": "ICML"}, "Conference Paper"),
    ("conference", {}, "Conference Paper"),
    ("InProceedings", {}, "Conference Paper"),
    ("article", {"journal": "Nature"}, "Journal Article"),
    ("article", {"journal": "arXiv preprint arXiv:2101.00001"}, "Preprint"),
    ("article", {"journal": "CoRR", "volume": "abs/2101.00001"}, "Preprint"),
    ("article", {"eprint": "2101.00001", "archiveprefix": "arXiv"}, "Preprint"),
    # An ADS-style article: published journal plus an arXiv copy.
    ("article", {"journal": "Astronomy & Astrophysics", "archiveprefix": "arXiv", "eprint": "1502.01589"}, "Journal Article"),
    ("article", {"journaltitle": "Theory and Applications of Categories", "eprinttype": "arxiv", "eprint": "math/0307200v3"}, "Journal Article"),
    ("online", {"eprinttype": "arxiv", "eprint": "math/0307200v3"}, "Preprint"),
    ("online", {"url": "http://www.ctan.org"}, "Web Page"),
    ("misc", {"howpublished": "arXiv preprint arXiv:2101.00001"}, "Preprint"),
    ("misc", {"eprint": "arXiv:2101.00001"}, "Preprint"),
    ("misc", {"howpublished": "Talk"}, "Other"),
    ("preprint", {"journal": "bioRxiv"}, "Preprint"),
    ("book", {}, "Book"),
    ("mvbook", {}, "Book"),
    ("inbook", {}, "Chapter"),
    ("incollection", {}, "Chapter"),
    ("phdthesis", {}, "Thesis"),
    ("mastersthesis", {}, "Thesis"),
    ("thesis", {"type": "phdthesis"}, "Thesis"),
    ("techreport", {}, "Report"),
    ("report", {"type": "techreport"}, "Report"),
    ("proceedings", {}, "Proceedings"),
    ("software", {}, "Software"),
    ("dataset", {}, "Dataset"),
    ("patent", {}, "Patent"),
    ("manual", {}, "Other"),
    ("unpublished", {}, "Other"),
    ("set", {}, "Other"),
]


@pytest.mark.parametrize(("entry_type", "fields", "kind"), KINDS)
def test_kind_for(entry_type: str, fields: dict[str, str], kind: str) -> None:
    assert kind_for(entry_type, fields) == kind


VENUE_TEXTS = [
    ("inproceedings", {"booktitle": "Proceedings of the 36th International Conference on Machine Learning", "publisher": "PMLR"}, "Proceedings of the 36th International Conference on Machine Learning"),
    ("incollection", {"booktitle": "The Future of Agricultural Landscapes, Part III", "publisher": "Academic Press"}, "The Future of Agricultural Landscapes, Part III"),
    ("article", {"journal": "Theoretical Computer Science"}, "Theoretical Computer Science"),
    ("article", {"journaltitle": "Theory and Applications of Categories", "eprinttype": "arxiv", "eprint": "math/0307200v3"}, "Theory and Applications of Categories"),
    ("article", {"eprint": "2101.00001", "archiveprefix": "arXiv"}, "arXiv"),
    ("article", {"journal": "CoRR"}, "CoRR"),
    ("online", {"eprinttype": "arxiv", "eprint": "hep-th/9603067"}, "arXiv"),
    ("misc", {"howpublished": "arXiv preprint arXiv:2101.00001"}, "arXiv preprint arXiv:2101.00001"),
    ("phdthesis", {"school": "Uppsala Universitet"}, "Uppsala Universitet"),
    ("thesis", {"institution": "Massachusetts Institute of Technology"}, "Massachusetts Institute of Technology"),
    ("techreport", {"institution": "University of Massachusetts"}, "University of Massachusetts"),
    ("report", {"institution": "IBM"}, "IBM"),
    ("book", {"publisher": "University of Texas Press"}, "University of Texas Press"),
    ("misc", {"howpublished": "Invited talk", "organization": "ACM"}, "Invited talk"),
    ("misc", {"howpublished": "https://example.org/talk", "organization": "ACM"}, "ACM"),
    ("misc", {"note": "Unpublished"}, None),
    ("inproceedings", {"booktitle": "   "}, None),
    ("patent", {"holder": "Hughes Aircraft Company"}, None),
    ("preprint", {}, None),
    ("customtype", {"journal": "Some Journal"}, "Some Journal"),
]


@pytest.mark.parametrize(("entry_type", "fields", "expected"), VENUE_TEXTS)
def test_venue_text_for(entry_type: str, fields: dict[str, str], expected: str | None) -> None:
    assert venue_text_for(entry_type, fields) == expected


def test_site_venue_table_errors_name_their_lines(tmp_path: Path) -> None:
    from .test_bibtex_loading import load_site

    table = (
        "JMLRX:\n"
        "  full_name: Journal of X\n"
        "Proc. Things:\n"
        "  name: Things\n"
        "Other:\n"
        "  aliases: [7]\n"
    )
    _, report = load_site(tmp_path, {"content/venues.yaml": table, "content/refs.bib": "@misc{k, title = {T}, year = 2020}\n"})
    assert [str(d) for d in report.errors] == [
        "content/venues.yaml:3: error: Proc. Things: unknown keys name; allowed keys are full_name and aliases",
        "content/venues.yaml:5: error: Other.aliases[0]: must be venue text with letters, got '7'",
    ]

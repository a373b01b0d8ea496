"""Checks for the demo content: Qinghai Guo's eleven papers in YAML and BibTeX.

The seed comparison reads the author-cluster page text from
``../shared/seed/`` next to the repository and is skipped where that folder
is absent. The counting tests read only ``content/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import pytest
import yaml

from generator.venues import load_aliases

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTENT = REPO_ROOT / "content"
SEED_FILE = REPO_ROOT.parent / "shared" / "seed" / "author-cluster-qinghai-guo.txt"

# The first five papers of the author-cluster page are YAML records, in page order.
# The other six are entries in content/bib/guo.bib, also in page order.
YAML_FILES = [
    "spikingssms.yaml",
    "sample-as-you-infer.yaml",
    "spikezip-tf.yaml",
    "hebbian-deep-learning-without-feedback.yaml",
    "learning-ordinal-information-temporal-sequences.yaml",
]
BIB_KEYS = [
    "wei2022devfly",
    "che2022differentiable",
    "scherr2022selfsupervised",
    "rodriguez2022shortterm",
    "jeffares2022spikeinspired",
    "zakharov2022variational",
]
BOOKTITLES = {
    "NeurIPS": "Advances in Neural Information Processing Systems",
    "ICML": "Proceedings of the 39th International Conference on Machine Learning",
    "ICLR": "International Conference on Learning Representations",
}


@dataclass(frozen=True)
class SeedPaper:
    """One paper as the author-cluster page lists it."""

    venue: str
    year: int
    title: str
    authors: list[str]
    abstract: str


@dataclass(frozen=True)
class ContentPaper:
    """One demo paper as read from content/, with the venue text as written."""

    title: str
    authors: list[str]
    venue_text: str
    year: int
    abstract: str


_HEADER = re.compile(r"^(\S+) Conference (\d{4}) Conference Paper$")
_BULLET = "  \u2022 "


def parse_seed(text: str) -> list[SeedPaper]:
    """Parse the page text: a header line, title, bulleted authors and a one-line abstract per paper."""
    lines = text.split("\n")
    papers: list[SeedPaper] = []
    index = 0
    while index < len(lines):
        header = _HEADER.match(lines[index])
        if header is None:
            index += 1
            continue

        title = lines[index + 2]
        index += 4
        authors: list[str] = []
        while lines[index].startswith(_BULLET):
            authors.append(lines[index][len(_BULLET):])
            index += 1
        abstract = lines[index + 1]
        index += 2
        papers.append(SeedPaper(header.group(1), int(header.group(2)), title, authors, abstract))
    return papers


def read_yaml_papers() -> list[ContentPaper]:
    papers = []
    for name in YAML_FILES:
        record = yaml.safe_load((CONTENT / "papers" / name).read_text("utf-8"))
        assert set(record) == {"title", "authors", "venue", "year", "type", "abstract"}, name
        assert record["type"] == "conference", name
        papers.append(
            ContentPaper(record["title"], record["authors"], record["venue"], record["year"], record["abstract"])
        )
    return papers


def read_bib_papers() -> list[ContentPaper]:
    library = bibtexparser.parse_string((CONTENT / "bib" / "guo.bib").read_text("utf-8"))
    assert library.failed_blocks == []
    assert [entry.key for entry in library.entries] == BIB_KEYS

    papers = []
    for entry in library.entries:
        assert entry.entry_type == "inproceedings", entry.key
        fields = {field.key: field.value for field in entry.fields}
        papers.append(
            ContentPaper(
                fields["title"],
                fields["author"].split(" and "),
                fields["booktitle"],
                int(fields["year"]),
                fields["abstract"],
            )
        )
    return papers


@pytest.fixture(scope="module")
def seed_papers() -> list[SeedPaper]:
    if not SEED_FILE.parent.is_dir():
        pytest.skip(f"seed folder {SEED_FILE.parent} is absent, so content cannot be compared with the page text")
    papers = parse_seed(SEED_FILE.read_text("utf-8"))
    assert len(papers) == 11
    return papers


@pytest.fixture(scope="module")
def content_papers() -> list[ContentPaper]:
    return read_yaml_papers() + read_bib_papers()


def test_seed_parser_reads_first_paper(seed_papers: list[SeedPaper]) -> None:
    first = seed_papers[0]

    assert first.title == "SpikingSSMs: Learning Long Sequences with Sparse and Parallel Spiking State Space Models"
    assert first.venue == "AAAI"
    assert first.year == 2025
    assert first.authors[0] == "Shuaijie Shen"
    assert first.authors[-1] == "Luziwei Leng"
    assert first.abstract.endswith("low computation cost LLMs.")


@pytest.mark.parametrize("position", range(11))
def test_demo_paper_matches_seed(
    position: int, seed_papers: list[SeedPaper], content_papers: list[ContentPaper]
) -> None:
    seed = seed_papers[position]
    paper = content_papers[position]
    expected_venue = seed.venue if position < len(YAML_FILES) else BOOKTITLES[seed.venue]

    assert paper.title == seed.title
    assert paper.authors == seed.authors
    assert paper.abstract == seed.abstract
    assert paper.year == seed.year
    assert paper.venue_text == expected_venue


def test_bib_abstract_keeps_tex_markup(content_papers: list[ContentPaper]) -> None:
    abstract = content_papers[6].abstract

    assert "26$\\times$ lower energy cost ($6. 7\\mathrm{mJ}$)" in abstract
    assert abstract.endswith("\\url{https: //github. com/Huawei-BIC/SpikeDHS}.")
    assert "95. 50%, 76. 25% and 68. 64%." in abstract


def test_demo_content_paper_count(content_papers: list[ContentPaper]) -> None:
    assert len(content_papers) == 11
    assert len({paper.title for paper in content_papers}) == 11


def test_demo_content_moraitis_paper_count(content_papers: list[ContentPaper]) -> None:
    with_moraitis = [paper for paper in content_papers if "Timoleon Moraitis" in paper.authors]

    assert len(with_moraitis) == 4


def test_demo_content_every_paper_has_guo(content_papers: list[ContentPaper]) -> None:
    assert all("Qinghai Guo" in paper.authors for paper in content_papers)


def test_demo_content_neurips_years(content_papers: list[ContentPaper]) -> None:
    aliases = load_aliases(None)
    neurips_years = [paper.year for paper in content_papers if aliases.series_for(paper.venue_text).key == "neurips"]

    assert neurips_years.count(2022) == 3
    assert neurips_years.count(2023) == 1
    assert len(neurips_years) == 4


def test_demo_content_series_per_paper(content_papers: list[ContentPaper]) -> None:
    aliases = load_aliases(None)
    names = [aliases.series_for(paper.venue_text).name for paper in content_papers]

    assert names == ["AAAI", "ICML", "ICML", "ICLR", "NeurIPS", "NeurIPS", "NeurIPS", "NeurIPS", "ICML", "ICLR", "ICLR"]


def test_author_profile_fields() -> None:
    profile = yaml.safe_load((CONTENT / "authors" / "qinghai-guo.yaml").read_text("utf-8"))

    assert set(profile) == {"name", "bio"}
    assert profile["name"] == "Qinghai Guo"
    assert "NeurIPS, ICML, ICLR and AAAI" in profile["bio"]

"""Model stage: merge records that describe the same paper.

Two records are the same paper when they share a citation key, a DOI, an
arXiv id, or a normalised title and year. Hand-written YAML records win over
BibTeX entries; otherwise the first record in file order wins. Knows nothing
about files or output.
"""

from __future__ import annotations

import re
import unicodedata

from .diagnostics import Location, Report
from .model import Paper, fold

_WORDS = re.compile(r"[^\W_]+")
_ARXIV = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", re.I)


def identity_keys(paper: Paper) -> list[str]:
    """Return the strings under which a paper can meet its duplicates."""
    keys = [f"key:{paper.key.casefold()}"]
    doi = paper.fields.get("doi", "").strip()
    if doi:
        keys.append(f"doi:{normalise_doi(doi)}")
    for link in paper.links:
        if link.kind == "arxiv":
            match = _ARXIV.search(link.url)
            if match:
                keys.append(f"arxiv:{match.group(1).lower()}")
    title_words = " ".join(_WORDS.findall(unicodedata.normalize("NFKD", fold(paper.title.plain))))
    if title_words and paper.year:
        keys.append(f"title:{title_words}:{paper.year}")
    return keys


def normalise_doi(doi: str) -> str:
    """Return a DOI in lower case without a resolver prefix or ``doi:``."""
    doi = doi.strip().lower()
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi)
    return doi


def merge_papers(papers: list[Paper], report: Report) -> list[Paper]:
    """Merge duplicates and return one paper per distinct work, in input order of the winners.

    ``papers`` must be in a deterministic order (YAML records first, then
    BibTeX entries by file path and line), so the result does not depend on
    the order files were read in.
    """
    parent = list(range(len(papers)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with: dict[str, int] = {}
    reason_for: dict[tuple[int, int], str] = {}
    for index, paper in enumerate(papers):
        for key in identity_keys(paper):
            if key in first_with:
                other = find(first_with[key])
                mine = find(index)
                if other != mine:
                    winner, loser = min(other, mine), max(other, mine)
                    parent[loser] = winner
                    reason_for.setdefault((first_with[key], index), key.split(":", 1)[0])
            else:
                first_with[key] = index

    groups: dict[int, list[int]] = {}
    for index in range(len(papers)):
        groups.setdefault(find(index), []).append(index)

    merged: list[Paper] = []
    for root in sorted(groups):
        members = [papers[i] for i in groups[root]]
        winner = members[0]
        for (first, second), reason in sorted(reason_for.items()):
            if find(first) == root:
                _report_duplicate(papers[first], papers[second], reason, report)
        for other in members[1:]:
            for name, value in other.fields.items():
                winner.fields.setdefault(name, value)
            if winner.abstract is None and other.abstract is not None:
                winner.abstract = other.abstract
            if winner.venue is None and other.venue is not None:
                winner.venue = other.venue
            if winner.year is None and other.year is not None:
                winner.year = other.year
            for link in other.links:
                if all(link.url != existing.url for existing in winner.links):
                    winner.links.append(link)
            winner.merged_from.append(other.location)
        merged.append(winner)
    return merged


_REASONS = {"key": "the same citation key", "doi": "the same DOI", "arxiv": "the same arXiv id", "title": "the same title and year"}


def _report_duplicate(first: Paper, second: Paper, reason: str, report: Report) -> None:
    hand_written = first.location.path.endswith((".yaml", ".yml")) != second.location.path.endswith((".yaml", ".yml"))
    if hand_written:
        # A YAML record that completes a BibTeX entry is the documented way to override fields.
        return
    report.warn(
        second.location,
        f"'{second.key}' describes the same paper as '{first.key}' at {first.location} ({_REASONS[reason]}); "
        f"they are merged and the fields at {first.location} win",
    )


def order_for_merging(papers: list[Paper]) -> list[Paper]:
    """Order papers as merging expects: YAML records first, then by path and line."""

    def rank(paper: Paper) -> tuple[int, Location]:
        yaml_first = 0 if paper.location.path.endswith((".yaml", ".yml")) else 1
        return (yaml_first, paper.location)

    return sorted(papers, key=rank)

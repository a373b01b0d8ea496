"""Model stage: merge records that describe the same paper.

Two records are the same paper when they share a citation key, a DOI, an
arXiv id, or a normalised title, year and first author. The winner is
chosen by content, not by file name or order. Knows nothing about files or output.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .diagnostics import Location, Report
from .model import Link, Paper, fold

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
        # The first author's family name keeps apart different works that share a
        # generic title ("Editorial", "Preface") in the same year.
        first = fold(paper.authors[0].last or paper.authors[0].display) if paper.authors else ""
        keys.append(f"title:{title_words}:{paper.year}:{first}")
    return keys


def normalise_doi(doi: str) -> str:
    """Return a DOI in lower case without a resolver prefix or ``doi:``."""
    doi = doi.strip().lower()
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi)
    return doi


@dataclass
class MergeNotes:
    """Facts that merging found, kept so that a later edit of one record can be merged in place."""

    key_counts: dict[str, int] = field(default_factory=dict)
    """Number of records under each identity key."""
    yaml_records: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """Citation key and identity keys of the record read from each YAML file, by path."""
    losers: dict[str, list[Paper]] = field(default_factory=dict)
    """By the key of a merged paper, the other records merged into it, best first, as read."""


def merge_papers(papers: list[Paper], report: Report, notes: MergeNotes | None = None) -> list[Paper]:
    """Merge duplicates and return one paper per distinct work, ordered by each group's first input.

    The winner of a group is chosen by content (`merge_rank`), so renaming or
    reordering .bib files does not change which record's fields are shown.
    Only records with identical content fall back to their location. Every merged BibTeX duplicate is
    reported at its own location, naming the record it was merged with.
    ``notes``, when given, receives what a later edit needs to be merged in place.
    """
    parent = list(range(len(papers)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with: dict[str, int] = {}
    for index, paper in enumerate(papers):
        keys = identity_keys(paper)
        if notes is not None:
            for key in set(keys):
                notes.key_counts[key] = notes.key_counts.get(key, 0) + 1
            if _is_yaml(paper):
                notes.yaml_records[paper.location.path] = (paper.key, tuple(keys))
        for key in keys:
            if key not in first_with:
                first_with[key] = index
                continue
            theirs, mine = find(first_with[key]), find(index)
            if theirs != mine:
                parent[max(theirs, mine)] = min(theirs, mine)

    groups: dict[int, list[int]] = {}
    for index in range(len(papers)):
        groups.setdefault(find(index), []).append(index)

    merged: list[Paper] = []
    for root in sorted(groups):
        indexes = groups[root]
        if len(indexes) == 1:
            # Most papers have no duplicate, and ranking one record is costly.
            single = papers[indexes[0]]
            single.merged_from.sort()
            merged.append(single)
            continue
        members = sorted((papers[i] for i in indexes), key=merge_rank)
        winner = members[0]
        if notes is not None:
            notes.losers[winner.key] = members[1:]
        for other in members[1:]:
            _report_duplicate(other, members, report)
            complete(winner, other)
        winner.merged_from.sort()
        merged.append(winner)
    return merged


def merge_rank(paper: Paper) -> tuple[int, int, int, str, tuple[tuple[str, str], ...], Location]:
    """Return the sort key that picks a group's winner: the smallest wins.

    YAML records first, because they are the documented way to override a
    .bib entry. Then published versions before preprints, then records with
    more non-empty fields, then the citation key and the field values. The
    location decides only between records with identical content.
    """
    hand_written = 0 if _is_yaml(paper) else 1
    preprint = 1 if paper.kind == "Preprint" else 0
    filled = sum(1 for value in paper.fields.values() if value.strip())
    return (hand_written, preprint, -filled, fold(paper.key), tuple(sorted(paper.fields.items())), paper.location)


def complete(winner: Paper, other: Paper) -> None:
    """Fill what the winner lacks from a lower-ranked record of the same paper."""
    for name, value in other.fields.items():
        if value.strip() and not winner.fields.get(name, "").strip():
            winner.fields[name] = value
    if not winner.authors and other.authors:
        winner.authors = list(other.authors)
        winner.et_al = other.et_al
    if winner.abstract is None and other.abstract is not None:
        winner.abstract = other.abstract
    if winner.venue is None and other.venue is not None:
        winner.venue = other.venue
    if winner.year is None and other.year is not None:
        winner.year = other.year
    if winner.month is None and other.month is not None:
        winner.month = other.month
    for link in other.links:
        if not any(_same_link(link, existing) for existing in winner.links):
            winner.links.append(link)
    winner.merged_from.append(other.location)
    winner.merged_from.extend(other.merged_from)


def _same_link(link: Link, other: Link) -> bool:
    # DOIs are case-insensitive, so 10.1/ABC and 10.1/abc are one link.
    if link.kind == other.kind == "doi":
        return link.url.casefold() == other.url.casefold()
    return link.url == other.url


_REASONS = {"key": "the same citation key", "doi": "the same DOI", "arxiv": "the same arXiv id", "title": "the same title, year and first author"}


def _is_yaml(paper: Paper) -> bool:
    return paper.location.path.endswith((".yaml", ".yml"))


def _shared_reason(first: Paper, second: Paper) -> str | None:
    """Return why two records are the same paper, or None when only other records link them."""
    theirs = set(identity_keys(second))
    for key in identity_keys(first):
        if key in theirs:
            return _REASONS[key.split(":", 1)[0]]
    return None


def _report_duplicate(loser: Paper, ranked: list[Paper], report: Report) -> None:
    """Warn at a merged record's location, naming the best record of its own kind (BibTeX or YAML).

    A .bib entry merged only into a YAML record is not reported: that is the
    documented way to override its fields.
    """
    winner = ranked[0]
    lead = next(paper for paper in ranked if _is_yaml(paper) == _is_yaml(loser))
    if lead is loser:
        return
    reason = _shared_reason(loser, lead)
    if reason is None:
        via = next((p for p in ranked if p is not loser and _shared_reason(loser, p)), None)
        if via is None:
            reason = "through other records of the same paper"
        else:
            reason = f"{_shared_reason(loser, via)} as '{via.key}' at {via.location}"
    report.warn(
        loser.location,
        f"'{loser.key}' describes the same paper as '{lead.key}' at {lead.location} ({reason}); "
        f"they are merged and the fields at {winner.location} win",
    )


def order_for_merging(papers: list[Paper]) -> list[Paper]:
    """Order papers as merging expects: YAML records first, then by path and line."""

    def rank(paper: Paper) -> tuple[int, Location]:
        yaml_first = 0 if paper.location.path.endswith((".yaml", ".yml")) else 1
        return (yaml_first, paper.location)

    return sorted(papers, key=rank)

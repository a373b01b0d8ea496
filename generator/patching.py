"""Model stage: apply edited paper records to the linked model of the previous build.

An edit is applied in place when the linked model it gives is certain to
equal what merging and linking every record again would give. The record
keeps its citation key, its author names and its venue series. It meets
the same other records through its identity keys as before, and wins over
them as before, so exactly the same records merge into it. And its slug
is claimed by no other paper. For any other edit the patch gives up, and
the build loads and links everything. Does no I/O.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Iterable

from .merging import complete, identity_keys
from .model import Paper
from .slugs import base_slug
from .snapshot import Snapshot
from .venues import VenueAliases

Subject = tuple[str, str]
"""A page family (``paper``, ``author``, ``venue``, ``venue_year``) and the key of what it shows."""


def paper_index(snapshot: Snapshot) -> dict[str, Paper]:
    """Return the papers of a snapshot by key, for ``patch_site``."""
    return {paper.key: paper for paper in snapshot.site.papers}


def patch_site(snapshot: Snapshot, edits: dict[str, Paper], papers: dict[str, Paper]) -> set[Subject] | None:
    """Apply edited records, by YAML file path, to ``snapshot`` in place.

    ``papers`` is the snapshot's ``paper_index``, kept up to date here.
    Returns the subjects whose pages show something that changed, or None
    when an edit cannot be applied in place. After None the snapshot is
    partly updated and must be thrown away.
    """
    dirty: set[Subject] = set()
    for path, record in sorted(edits.items()):
        found = snapshot.merge.yaml_records.get(path)
        old = papers.get(found[0]) if found else None
        if old is None or found is None:
            return None
        # The record's keys as read, before other records are merged into it.
        keys = tuple(identity_keys(record))
        new = _merged(snapshot, path, found[1], keys, old, record)
        if new is None:
            return None
        if not _replace(snapshot, path, (found[1], keys), old, new):
            return None
        papers[new.key] = new
        if not _author_names_kept(new) or not _venue_name_kept(new, snapshot.aliases):
            return None
        dirty.add(("paper", new.key))
        dirty.update(("author", author.key) for author in new.people)
        if new.venue_series is not None:
            venue_key = new.venue_series.key
            dirty.add(("venue", venue_key))
            # A paper without a year is on no year page of its venue.
            dirty.update(("venue_year", f"{venue_key}/{year}") for year in (old.year, new.year) if year)
    return dirty


def _merged(snapshot: Snapshot, path: str, old_keys: tuple[str, ...], new_keys: tuple[str, ...], old: Paper, record: Paper) -> Paper | None:
    """Return the edited record merged as before, or None when the edit may change other papers.

    ``old`` is the linked paper that the record's previous version was
    merged into. ``old_keys`` and ``new_keys`` are the identity keys of
    the record before and after the edit.
    """
    if record.key != old.key or old.location.path != path or record.merged_from:
        return None
    # The same records must merge into the edited one, and it must stay their winner.
    losers = snapshot.merge.losers.get(old.key, [])
    if any(_is_yaml(loser) for loser in losers) or not _same_group(snapshot.merge.key_counts, old_keys, new_keys, losers):
        return None
    # The warnings about two or more merged records name the record's line, so it must not move.
    if len(losers) > 1 and record.location != old.location:
        return None
    for loser in losers:
        complete(record, loser)
    record.merged_from.sort()
    if record.authors != old.authors:
        return None
    if record.venue != old.venue and _series_key(snapshot.aliases, record) != (old.venue_series.key if old.venue_series else None):
        return None
    bases = snapshot.slug_bases
    old_base, new_base = base_slug(old.key, old.title.plain, "paper"), base_slug(record.key, record.title.plain, "paper")
    if bases.get(old_base) != 1 or (new_base != old_base and new_base in bases):
        return None
    return record


def _same_group(counts: dict[str, int], old_keys: tuple[str, ...], new_keys: tuple[str, ...], losers: list[Paper]) -> bool:
    """Tell whether the edited record meets exactly the records it met before through its identity keys.

    ``counts`` counts the records under each key, the edited record's
    previous version included.
    """
    if len(losers) > 1:
        # The warnings about these records name one another's keys, lines and
        # shared keys: only an edit that keeps all of these is safe.
        shared_before = {key for key in old_keys if counts[key] > 1}
        shared_after = {key for key in new_keys if counts.get(key, 0) - (key in old_keys) > 0}
        return shared_before == shared_after
    # One .bib entry merged into a YAML record is not reported, so only membership matters:
    # the record still meets the entry, and no other record.
    theirs = set(identity_keys(losers[0])) if losers else set()
    others = {key: counts.get(key, 0) - (key in old_keys) for key in set(new_keys)}
    return all(count == (key in theirs) for key, count in others.items()) and (not losers or any(key in theirs for key in new_keys))


def _is_yaml(paper: Paper) -> bool:
    return paper.location.path.endswith((".yaml", ".yml"))


def _series_key(aliases: VenueAliases, paper: Paper) -> str | None:
    """Return the key of the venue series a paper's venue text names, as linking finds it."""
    if paper.venue is None or not paper.venue.plain.strip():
        return None
    try:
        return aliases.series_for(paper.venue.plain).key
    except ValueError:
        return None


def _replace(snapshot: Snapshot, path: str, keys: tuple[tuple[str, ...], tuple[str, ...]], old: Paper, new: Paper) -> bool:
    """Put ``new`` where ``old`` is in every list of the model, and update the snapshot's counts.

    ``keys`` gives the identity keys of the edited record before and after
    the edit. Returns False when the model's lists are not in site order,
    which would be a bug.
    """
    notes = snapshot.merge
    old_keys, new_keys = keys
    for key in set(old_keys):
        notes.key_counts[key] -= 1
        if not notes.key_counts[key]:
            del notes.key_counts[key]
    for key in set(new_keys):
        notes.key_counts[key] = notes.key_counts.get(key, 0) + 1
    notes.yaml_records[path] = (new.key, new_keys)
    old_base, new_base = base_slug(old.key, old.title.plain, "paper"), base_slug(new.key, new.title.plain, "paper")
    new.slug = old.slug
    if new_base != old_base:
        del snapshot.slug_bases[old_base]
        snapshot.slug_bases[new_base] = 1
        new.slug = new_base
    new.people = old.people
    new.venue_series = old.venue_series
    snapshot.paper_digests.pop(old.key, None)
    lists: list[list[Paper]] = [snapshot.site.papers, *(author.papers for author in old.people)]
    if old.venue_series is not None:
        lists.append(old.venue_series.papers)
    return _swap_in(lists, old, new)


def _swap_in(lists: Iterable[list[Paper]], old: Paper, new: Paper) -> bool:
    """Replace ``old`` by ``new`` in lists kept in site order; return False if ``old`` is not where it belongs."""
    position = old.sort_key
    for papers in lists:
        # Sort keys end with the citation key, so no two papers share one.
        index = bisect_left(papers, position, key=lambda paper: paper.sort_key)
        if index == len(papers) or papers[index] is not old:
            return False
        if new.sort_key == position:
            papers[index] = new
        else:
            del papers[index]
            insort(papers, new, key=lambda paper: paper.sort_key)
    return True


def _venue_name_kept(paper: Paper, aliases: VenueAliases) -> bool:
    """Tell whether the venue of ``paper`` still takes its name from text that gives the same name.

    A venue is named after the venue text of its first paper in site
    order, so an edit of that text, or one that moves another paper to
    the front, may rename the venue and move its page.
    """
    venue = paper.venue_series
    if venue is None:
        return True
    first = venue.papers[0].venue
    try:
        series = aliases.series_for(first.plain if first is not None else "")
    except ValueError:
        return False
    return (series.name, series.full_name) == (venue.name, venue.full_name)


def _author_names_kept(paper: Paper) -> bool:
    """Tell whether each author of ``paper`` still takes its name from the same spelling.

    An author without a profile is named as in the first of its papers in
    site order, so an edit that moves a paper to the front of an author's
    list may change that author's name. Then the edit is not applied in place.
    """
    for author in paper.people:
        if author.profile is not None:
            continue
        first = author.papers[0]
        name = next((name for name in first.authors if name.key == author.key), None)
        if name != author.name:
            return False
    return True

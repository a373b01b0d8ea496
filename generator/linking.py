"""Model stage: group merged papers into authors and venue series, and assign slugs.

Takes papers and profiles, returns a complete ``Site``. Does no I/O.
"""

from __future__ import annotations

from typing import Callable

from .diagnostics import Location, Report
from .model import Author, Paper, PersonName, Profile, Site, Venue, fold, name_key
from .slugs import assign_slugs
from .venues import VenueAliases

NameParser = Callable[[str], PersonName]


def link_site(
    papers: list[Paper],
    profiles: list[Profile],
    owners: tuple[str, ...],
    aliases: VenueAliases,
    report: Report,
    parse_name: NameParser,
) -> Site:
    """Build the site model: papers in site order, author pages, venue series and owners."""
    papers = sorted(papers, key=lambda p: p.sort_key)
    _assign_paper_slugs(papers)
    authors = _group_authors(papers, profiles, parse_name, report)
    venues = _group_venues(papers, aliases)

    by_key = {author.key: author for author in authors}
    owner_pages: list[Author] = []
    for owner in owners:
        key = _profile_key_for(name_key(parse_name(owner).display), profiles, parse_name)
        author = by_key.get(key)
        if author is None:
            report.warn(Location("site.yaml"), f"owner '{owner}' is not an author of any paper; the home page lists no papers for them")
            author = Author(key=key, name=parse_name(owner))
            authors.append(author)
            by_key[key] = author
        author.is_owner = True
        owner_pages.append(author)
    _assign_author_slugs(authors)
    authors.sort(key=lambda a: (a.name.sort_key, a.key))
    return Site(papers=papers, authors=authors, venues=venues, owners=owner_pages)


def _assign_paper_slugs(papers: list[Paper]) -> None:
    items = {paper.key: (paper.title.plain, paper.title.plain) for paper in papers}
    slugs = assign_slugs(items, fallback="paper")
    for paper in papers:
        paper.slug = slugs[paper.key]


def _profile_key_for(key: str, profiles: list[Profile], parse_name: NameParser) -> str:
    for profile in profiles:
        names = [profile.name, *profile.aliases]
        if key in {name_key(parse_name(n).display) for n in names}:
            return name_key(parse_name(profile.name).display)
    return key


def _group_authors(papers: list[Paper], profiles: list[Profile], parse_name: NameParser, report: Report) -> list[Author]:
    # Every alias of a profile points at the profile's own name key.
    canonical: dict[str, str] = {}
    profile_for: dict[str, Profile] = {}
    for profile in profiles:
        own = name_key(parse_name(profile.name).display)
        profile_for[own] = profile
        for alias in [profile.name, *profile.aliases]:
            alias_key = name_key(parse_name(alias).display)
            if alias_key in canonical and canonical[alias_key] != own:
                report.warn(profile.location, f"name '{alias}' is claimed by two profiles; it stays with the first")
                continue
            canonical[alias_key] = own

    authors: dict[str, Author] = {}
    for paper in papers:
        people: list[Author] = []
        for name in paper.authors:
            key = canonical.get(name.key, name.key)
            author = authors.get(key)
            if author is None:
                own_profile = profile_for.get(key)
                author = Author(key=key, name=parse_name(own_profile.name) if own_profile else name, profile=own_profile)
                authors[key] = author
            # Authors compare by identity (eq=False), so this never compares paper lists.
            if author not in people:
                people.append(author)
                author.papers.append(paper)
        paper.people = people
    for key, profile in profile_for.items():
        if key not in authors:
            authors[key] = Author(key=key, name=parse_name(profile.name), profile=profile)
    return list(authors.values())


def _assign_author_slugs(authors: list[Author]) -> None:
    items = {author.key: (author.display, author.display) for author in authors}
    slugs = assign_slugs(items, fallback="author")
    for author in authors:
        author.slug = slugs[author.key]


def _group_venues(papers: list[Paper], aliases: VenueAliases) -> list[Venue]:
    venues: dict[str, Venue] = {}
    for paper in papers:
        if paper.venue is None or not paper.venue.plain.strip():
            continue
        try:
            series = aliases.series_for(paper.venue.plain)
        except ValueError:
            # Venue text without letters or digits ("*") names no series; the
            # paper page still shows it as written.
            continue
        venue = venues.get(series.key)
        if venue is None:
            venue = Venue(key=series.key, name=series.name, full_name=series.full_name)
            venues[series.key] = venue
        venue.papers.append(paper)
        paper.venue_series = venue
    items = {venue.key: (venue.name, venue.name) for venue in venues.values()}
    slugs = assign_slugs(items, fallback="venue")
    for venue in venues.values():
        venue.slug = slugs[venue.key]
    return sorted(venues.values(), key=lambda v: (fold(v.name), v.key))

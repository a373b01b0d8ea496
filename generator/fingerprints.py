"""Fingerprints of planned files: a digest of everything a file's bytes depend on.

A file whose fingerprint matches the previous build's is not rendered
again. A fingerprint covers the templates the page uses (with everything
they include or extend), the site settings, and the data of every paper,
author and venue the page shows. Does no I/O; template sources come in as
a mapping.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Mapping

from . import __version__
from .model import Author, Paper, Site, Venue
from .rendering import PagePlan

# Pages that show every paper of the site.
_SITE_WIDE = {"home", "paper_list", "author_list", "venue_list", "bib_site"}
# Pages that show no content at all.
_STATIC = {"not_found", "search"}


def _digest(*parts: str) -> str:
    data = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def paper_digest(paper: Paper) -> str:
    """Return a digest of every paper attribute that any page or export shows."""
    people = "\x1f".join(f"{a.key}\x1e{a.slug}\x1e{a.display}" for a in paper.people)
    venue = f"{paper.venue_series.key}\x1e{paper.venue_series.slug}\x1e{paper.venue_series.name}" if paper.venue_series else ""
    fields = "\x1f".join(f"{name}\x1e{value}" for name, value in paper.fields.items())
    links = "\x1f".join(f"{link.kind}\x1e{link.url}" for link in paper.links)
    return _digest(
        paper.key, paper.slug, paper.entry_type, paper.kind, repr(paper.title), repr(paper.venue),
        repr(paper.abstract), str(paper.year), str(paper.month), str(paper.et_al), people, venue, fields, links,
    )


def _author_digest(author: Author) -> str:
    profile = repr(author.profile) if author.profile else ""
    return _digest(author.key, author.slug, author.display, str(author.is_owner), profile)


def _venue_digest(venue: Venue) -> str:
    return _digest(venue.key, venue.slug, venue.name, venue.full_name)


class Fingerprinter:
    """Computes the fingerprint of each planned file of one site."""

    def __init__(self, site: Site, settings: str, template_digests: Mapping[str, str], template_of: Mapping[str, str]) -> None:
        """Prepare digests of every paper.

        ``settings`` is a stable text form of the site configuration.
        ``template_digests`` maps each template name to a digest of it and
        its dependencies, and ``template_of`` maps page kinds to template names.
        """
        self.site = site
        self.settings = _digest(__version__, settings)
        self.template_digests = template_digests
        self.template_of = template_of
        self.papers = {paper.key: paper for paper in site.papers}
        self.authors = {author.key: author for author in site.authors}
        self.venues = {venue.key: venue for venue in site.venues}
        self._paper_digests = {paper.key: paper_digest(paper) for paper in site.papers}
        self._site_digest = ""
        self._subject_digests: dict[tuple[str, str], str] = {}

    def _papers(self, papers: Iterable[Paper]) -> str:
        return _digest(*(self._paper_digests[paper.key] for paper in papers))

    def site_digest(self) -> str:
        """Return a digest of all papers, authors and venues, for pages that list everything."""
        if not self._site_digest:
            authors = _digest(*(f"{_author_digest(a)}:{len(a.papers)}" for a in self.site.authors))
            venues = _digest(*(f"{_venue_digest(v)}:{len(v.papers)}" for v in self.site.venues))
            owners = _digest(*(a.key for a in self.site.owners))
            self._site_digest = _digest(self._papers(self.site.papers), authors, venues, owners)
        return self._site_digest

    def fingerprint(self, plan: PagePlan) -> str:
        """Return the fingerprint of one planned file."""
        kind = plan.kind
        template = self.template_digests.get(self.template_of.get(kind, ""), "")
        base = (self.settings, kind, plan.output_path, template)
        if kind in _STATIC:
            return _digest(*base)
        if kind in _SITE_WIDE:
            return _digest(*base, self.site_digest())
        # A page and its .bib export show the same data, so it is digested once for both.
        subject = (kind.removeprefix("bib_"), plan.subject)
        data = self._subject_digests.get(subject)
        if data is None:
            data = self._subject_digest(*subject)
            self._subject_digests[subject] = data
        return _digest(*base, data)

    def _subject_digest(self, family: str, subject: str) -> str:
        if family == "paper":
            return self._paper_digests[subject]
        if family == "author":
            # Co-authors and their counts follow from the papers' author lists, which the paper digests cover.
            author = self.authors[subject]
            return _digest(_author_digest(author), self._papers(author.papers))
        if family == "venue":
            venue = self.venues[subject]
            return _digest(_venue_digest(venue), self._papers(venue.papers))
        venue_key, year = subject.rsplit("/", 1)
        venue = self.venues[venue_key]
        return _digest(_venue_digest(venue), self._papers(venue.papers_in(int(year))))

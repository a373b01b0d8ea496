"""Fingerprints of planned files: a digest of everything a file's bytes depend on.

A file whose fingerprint matches the previous build's is not rendered
again. A fingerprint covers the templates the page uses (with everything
they include or extend), the site settings, and the data of every paper,
author and venue the page shows. Does no I/O; template sources come in as
a mapping.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Any, Iterable, Mapping

from . import __version__
from .model import Author, Paper, Site, Text, Venue
from .rendering import PagePlan

# Pages that list the whole site. The lists of authors and of venues show
# names and paper counts only, so editing a paper leaves them as they are.
_LISTS = {"home", "paper_list", "author_list", "venue_list", "bib_site"}
# Lists whose digests a later build may take over: an edit applied in place changes no name or count.
_KEPT_LISTS = ("author_list", "venue_list")
# Pages that show no content at all.
_STATIC = {"not_found", "search"}


def _digest(*parts: str) -> str:
    data = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _text_parts(text: Text | None) -> tuple[str, ...]:
    if text is None:
        return ("\x01",)
    # Most text has no markup, so its three forms are equal. A form equal to the
    # one before it is digested as a one-character marker.
    plain = "\x03" if text.plain == text.source else text.plain
    html = "\x03" if text.html == text.plain else text.html
    return (text.source, plain, html)


def paper_digest(paper: Paper) -> str:
    """Return a digest of every paper attribute that any page or export shows."""
    # One flat list joined once: this runs for every paper of every build.
    series = paper.venue_series
    parts = [
        paper.key, paper.slug, paper.entry_type, paper.kind,
        *_text_parts(paper.title), *_text_parts(paper.venue), *_text_parts(paper.abstract),
        str(paper.year), str(paper.month), "1" if paper.et_al else "0",
        *((series.key, series.slug, series.name) if series else ("\x01",)),
    ]
    for person in paper.people:
        parts += (person.key, person.slug, person.display)
    parts.append("\x02")
    for name, value in paper.fields.items():
        parts += (name, value)
    parts.append("\x02")
    for link in paper.links:
        parts += (link.kind, link.url)
    return _digest(*parts)


def _author_digest(author: Author) -> str:
    profile = repr(author.profile) if author.profile else ""
    return _digest(author.key, author.slug, author.display, str(author.is_owner), profile)


def _venue_digest(venue: Venue) -> str:
    return _digest(venue.key, venue.slug, venue.name, venue.full_name)


class Fingerprinter:
    """Computes the fingerprint of each planned file of one site."""

    def __init__(self, site: Site, settings: str, template_digests: Mapping[str, str], template_of: Mapping[str, str]) -> None:
        """Prepare to fingerprint the files of ``site``. Paper digests are computed as needed.

        ``settings`` is a stable text form of the site configuration.
        ``template_digests`` maps each template name to a digest of it and
        its dependencies, and ``template_of`` maps page kinds to template names.
        """
        self.site = site
        self.settings = _digest(__version__, settings)
        self.template_digests = template_digests
        self.template_of = template_of
        # Built here, before render workers fork, so that they share one copy.
        self.authors = {author.key: author for author in site.authors}
        self.venues = {venue.key: venue for venue in site.venues}
        self.papers = {paper.key: paper for paper in site.papers}
        self._paper_digests: dict[str, str] = {}
        self._list_digests: dict[str, str] = {}
        self._subject_digests: dict[tuple[str, str], str] = {}
        # The part of a fingerprint that only depends on the page kind, hashed once per kind.
        self._prefixes: dict[str, Any] = {}

    def seed(self, paper_digests: Mapping[str, str], list_digests: Mapping[str, str]) -> None:
        """Take digests that an earlier build computed for papers and lists that have not changed since."""
        self._paper_digests.update(paper_digests)
        self._list_digests.update((kind, list_digests[kind]) for kind in _KEPT_LISTS if kind in list_digests)

    def copy(self) -> "Fingerprinter":
        """Return a fingerprinter of the same site that starts with the digests known so far."""
        twin = Fingerprinter.__new__(Fingerprinter)
        twin.__dict__.update(self.__dict__)
        twin._paper_digests = dict(self._paper_digests)
        twin._list_digests = dict(self._list_digests)
        twin._subject_digests = dict(self._subject_digests)
        twin._prefixes = dict(self._prefixes)
        return twin

    def digests(self) -> tuple[dict[str, str], dict[str, str]]:
        """Return the digest of every paper, and of the author and venue lists, for a later build to seed."""
        papers = {paper.key: self._paper_digest(paper) for paper in self.site.papers}
        return papers, {kind: self._list_digest(kind) for kind in _KEPT_LISTS}

    def digest_papers(self) -> None:
        """Compute the digest of every paper now, so that forked workers and copies share them."""
        for paper in self.site.papers:
            self._paper_digest(paper)

    def _paper_digest(self, paper: Paper) -> str:
        digest = self._paper_digests.get(paper.key)
        if digest is None:
            digest = paper_digest(paper)
            self._paper_digests[paper.key] = digest
        return digest

    def _papers(self, papers: Iterable[Paper]) -> str:
        return _digest(*(self._paper_digest(paper) for paper in papers))

    @cached_property
    def _all_papers(self) -> str:
        """Digest of every paper, which each page listing the whole site shows."""
        return self._papers(self.site.papers)

    def _list_digest(self, kind: str) -> str:
        """Return a digest of what a page listing the whole site shows."""
        digest = self._list_digests.get(kind)
        if digest is None:
            site = self.site
            if kind == "author_list":
                digest = _digest(*(f"{_author_digest(a)}:{len(a.papers)}" for a in site.authors))
            elif kind == "venue_list":
                digest = _digest(*(f"{_venue_digest(v)}:{len(v.papers)}" for v in site.venues))
            else:
                owners = _digest(*(a.key for a in site.owners))
                digest = _digest(self._all_papers, self._list_digest("author_list"), self._list_digest("venue_list"), owners)
            self._list_digests[kind] = digest
        return digest

    def fingerprint(self, plan: PagePlan) -> str:
        """Return the fingerprint of one planned file."""
        kind = plan.kind
        prefix = self._prefixes.get(kind)
        if prefix is None:
            template = self.template_digests.get(self.template_of.get(kind, ""), "")
            prefix = hashlib.blake2b(f"{self.settings}\0{kind}\0{template}\0".encode("utf-8"), digest_size=16)
            self._prefixes[kind] = prefix
        if kind in _STATIC:
            data = ""
        elif kind in _LISTS:
            data = self._list_digest(kind)
        else:
            # A page and its .bib export show the same data, so it is digested once for both.
            subject = (kind.removeprefix("bib_"), plan.subject)
            data = self._subject_digests.get(subject, "")
            if not data:
                data = self._subject_digest(*subject)
                self._subject_digests[subject] = data
        hasher = prefix.copy()
        hasher.update(f"{plan.output_path}\0{data}".encode("utf-8", "surrogatepass"))
        return hasher.hexdigest()

    def _subject_digest(self, family: str, subject: str) -> str:
        if family == "paper":
            return self._paper_digest(self.papers[subject])
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

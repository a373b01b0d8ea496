"""The site model: papers, people, venues and the links between them.

Plain dataclasses built by the loading and linking stages. The model does no
I/O and imports no stage, so every later stage can be tested on objects made
by hand.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from .diagnostics import Location


@dataclass(frozen=True)
class Text:
    """A field's text in the three forms the site needs.

    ``source`` is the value as written in the input (LaTeX for BibTeX), used
    for export. ``plain`` is Unicode with markup removed, for `<title>`,
    meta tags and the search index. ``html`` is a safe HTML fragment: every
    character of the input is escaped, and only markup that the decoder
    creates itself (``<em>``, ``<strong>``, MathML) is present.
    """

    source: str
    plain: str
    html: str

    def __post_init__(self) -> None:
        # Most text has no markup, so its forms are equal. Sharing one string
        # object keeps a long abstract in memory (and in the paper cache) once.
        if self.plain == self.source:
            object.__setattr__(self, "plain", self.source)
        if self.html == self.plain:
            object.__setattr__(self, "html", self.plain)

    def __bool__(self) -> bool:
        return bool(self.plain.strip())


@dataclass(frozen=True)
class PersonName:
    """A parsed person name, with every part already decoded to Unicode.

    ``literal`` is set for a name that must not be split, such as a corporate
    author written in braces (``{Open Science Collaboration}``).
    """

    first: str = ""
    von: str = ""
    last: str = ""
    jr: str = ""
    literal: str = ""
    cjk: bool = False
    source: str = ""

    display: str = field(init=False, repr=False, compare=False)
    """The name as shown on pages: ``First von Last, Jr.``; CJK names family first with no space."""
    key: str = field(init=False, repr=False, compare=False)
    """The grouping key: names with equal keys share one author page."""
    sort_key: tuple[str, str, str, str] = field(init=False, repr=False, compare=False)
    """Family name first, ignoring von particles and case (``van Beethoven`` sorts under B)."""

    def __post_init__(self) -> None:
        # Computed once here, so that they are stored with the name in the paper
        # cache: a large site reads each name's display form and keys many times.
        if self.literal:
            display = self.literal
            sort_key = (fold(self.literal), "", "", "")
        else:
            if self.cjk:
                display = f"{self.last}{self.first}"
            else:
                main = " ".join(p for p in (self.first, self.von, self.last) if p)
                display = f"{main}, {self.jr}" if self.jr else main
            sort_key = (fold(self.last), fold(self.first), fold(self.von), fold(self.jr))
        object.__setattr__(self, "display", display)
        object.__setattr__(self, "key", name_key(display))
        object.__setattr__(self, "sort_key", sort_key)


def fold(text: str) -> str:
    """Return ``text`` normalised (NFKC) and case-folded, for comparisons."""
    return unicodedata.normalize("NFKC", text).casefold()


def name_key(display: str) -> str:
    """Return the key that groups exact name matches: NFKC, case-folded, white space collapsed."""
    return " ".join(fold(display).split())


@dataclass(frozen=True)
class Link:
    """An outgoing link of a paper, already checked to be http(s) or mailto."""

    kind: str
    url: str


@dataclass
class Paper:
    """One publication after loading and merging."""

    key: str
    """Citation key, unique in the site."""
    entry_type: str
    """BibTeX entry type in lower case (``inproceedings``)."""
    kind: str
    """Readable kind (``Conference Paper``), for display."""
    title: Text
    authors: list[PersonName]
    year: int | None
    venue: Text | None
    """The venue as written for this paper (booktitle, journal, publisher ...)."""
    abstract: Text | None = None
    et_al: bool = False
    """True when the author list ended in ``and others``."""
    month: int | None = None
    links: list[Link] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    """Export fields in source form, in a stable order, macros and crossrefs resolved."""
    location: Location = field(default_factory=lambda: Location(""))
    """Where the paper was read; for a merged paper, the record whose fields won."""
    merged_from: list[Location] = field(default_factory=list)
    """Other records that described the same paper."""
    slug: str = ""
    """Assigned by linking; the page is ``papers/<slug>/``."""
    venue_series: "Venue | None" = None
    people: list["Author"] = field(default_factory=list)
    """The author pages, in author order; assigned by linking."""

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        """Newest first, then by title: used for every paper list on the site."""
        return (-(self.year or 0), -(self.month or 0), fold(self.title.plain), self.key)


@dataclass
class Profile:
    """Optional details for one of the site's own people, from ``content/authors/*.yaml``."""

    name: str
    bio_html: str = ""
    affiliation: str = ""
    photo: str = ""
    links: list[Link] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    location: Location = field(default_factory=lambda: Location(""))


@dataclass(eq=False)
class Author:
    """All papers whose author list contains one name (exact match after normalisation)."""

    key: str
    name: PersonName
    slug: str = ""
    papers: list[Paper] = field(default_factory=list)
    profile: Profile | None = None
    is_owner: bool = False

    @property
    def display(self) -> str:
        """The name shown in the page heading."""
        return self.name.display

    def coauthors(self) -> list[tuple["Author", int]]:
        """Return co-authors with the number of shared papers, most shared first."""
        counts: dict[str, int] = {}
        people: dict[str, Author] = {}
        for paper in self.papers:
            for person in paper.people:
                if person.key != self.key:
                    counts[person.key] = counts.get(person.key, 0) + 1
                    people[person.key] = person
        ordered = sorted(counts, key=lambda k: (-counts[k], people[k].name.sort_key, k))
        return [(people[k], counts[k]) for k in ordered]


@dataclass(eq=False)
class Venue:
    """A venue series (NeurIPS, all years) with its papers."""

    key: str
    name: str
    """Short display name of the series (``NeurIPS``)."""
    full_name: str = ""
    slug: str = ""
    papers: list[Paper] = field(default_factory=list)

    def years(self) -> list[int]:
        """Return the years with papers, newest first."""
        return sorted({p.year for p in self.papers if p.year}, reverse=True)

    def papers_in(self, year: int) -> list[Paper]:
        """Return the papers of one year, in site order."""
        return [p for p in self.papers if p.year == year]


@dataclass
class Site:
    """The complete model handed to rendering, indexing and export."""

    papers: list[Paper]
    authors: list[Author]
    venues: list[Venue]
    owners: list[Author]

    def papers_by_year(self, papers: list[Paper]) -> list[tuple[int | None, list[Paper]]]:
        """Group an already sorted paper list by year, keeping the order."""
        groups: list[tuple[int | None, list[Paper]]] = []
        for paper in papers:
            if groups and groups[-1][0] == paper.year:
                groups[-1][1].append(paper)
            else:
                groups.append((paper.year, [paper]))
        return groups

"""Venue series and readable paper kinds, used when papers are linked to venue pages.

Maps venue text as BibTeX files write it to a series (NeurIPS, all years), and
an entry type to a readable kind. Pure functions: the only file read is the
packaged default table. Content paths, source lines and pages are the caller's.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

import yaml


@dataclass(frozen=True)
class SeriesInfo:
    """A venue series: every year of one conference or journal."""

    key: str
    """Stable lower-case identifier (``neurips``); unknown venues use their normalised text."""
    name: str
    """Short display name (``NeurIPS``)."""
    full_name: str
    """Spelled-out name (``Conference on Neural Information Processing Systems``)."""


@dataclass(frozen=True)
class SeriesDefinition:
    """A known series with the other names that select it."""

    info: SeriesInfo
    aliases: tuple[str, ...] = ()


class VenueTableError(ValueError):
    """An invalid venue table. ``problems`` pairs a key path (``NeurIPS.aliases[2]``) with a message."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("\n".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


# Words that do not tell venues apart, so "Proceedings of the 39th Annual
# Conference on X" and "X" name the same series.
_IGNORED_WORDS = frozenset({"the", "proceedings", "proc", "conference", "conf", "annual"})
_ABBREVIATIONS = {"int": "international", "intl": "international", "symp": "symposium", "trans": "transactions"}
_LEADING_WORDS = frozenset({"in", "of", "on"})
# A counter word followed by a number or roman numeral ("Volume 2", "Part III").
_COUNTER_WORDS = frozenset({"vol", "volume", "part", "no", "number"})
_ROMAN_NUMERAL = re.compile(r"[ivxlc]+")
_ORDINAL_WORDS = frozenset(
    """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth
    thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth hundredth""".split()
)
_TENS_WORDS = frozenset("twenty thirty forty fifty sixty seventy eighty ninety".split())
_NUMBER_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?")
_WORD = re.compile(r"[^\W_]+")

# Parts of a venue text: "Symposium on Theory of Computing, STOC 2014, New York".
_SEGMENT_SEPARATOR = re.compile(r"[,:;()\[\]]|\s+(?:-{1,3}|–|—)\s+")
# A long alias also matches at the end of a part ("IEEE/CVF Conference on
# Computer Vision and Pattern Recognition"). Shorter aliases must match a
# whole part, so "Theoretical Computer Science" never matches the end of
# "Foundations of Software Technology and Theoretical Computer Science".
_MIN_SUFFIX_TOKENS = 4
_WORKSHOP_WORDS = frozenset({"workshop", "workshops"})

_ORDINAL_PATTERN = (
    r"(?:\d+(?:st|nd|rd|th)|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ])?"
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"thirtieth|fortieth|fiftieth|sixtieth|seventieth|eightieth|ninetieth))"
)
_LEADING_NOISE = re.compile(
    r"^(?:in\s+)?(?:(?:proceedings|proc\.?)\s+(?:of\s+)?(?:the\s+)?"
    rf"|(?:19|20)\d\d\b[\s,:]*|{_ORDINAL_PATTERN}\b\s*)",
    re.IGNORECASE,
)
_TRAILING_NOISE = re.compile(r"[\s,]+(?:\((?:19|20)\d\d\)|'\d\d|\d+)$")
# A part that is an acronym and a year: "CCC 2023", "STOC '22", "ACISP 25".
_ACRONYM_WITH_YEAR = re.compile(r"^([A-Za-z][A-Za-z&+]*)\s+(?:'\d\d|\d\d|(?:19|20)\d\d)$")


def normalise_venue(text: str) -> str:
    """Reduce venue text to the words that identify its series.

    Case-folds, drops punctuation, years, volume numbers, ordinals (``39th``,
    ``Twenty-Third``), and the words listed in ``_IGNORED_WORDS``. The result
    is a space-separated string, empty when no identifying word is left.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("&", " and ").replace("'", "").replace("\u2019", "")
    words = _WORD.findall(folded)

    identifying: list[str] = []
    skip_next = False
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if skip_next:
            skip_next = False
            continue
        if word in _COUNTER_WORDS and (following.isdigit() or _ROMAN_NUMERAL.fullmatch(following)):
            skip_next = True
            continue
        if word in _IGNORED_WORDS or word in _ORDINAL_WORDS or _NUMBER_TOKEN.fullmatch(word):
            continue
        if word in _TENS_WORDS and following in _ORDINAL_WORDS:
            continue
        identifying.append(_ABBREVIATIONS.get(word, word))

    while identifying and identifying[0] in _LEADING_WORDS:
        identifying.pop(0)
    return " ".join(identifying)


def clean_venue_name(text: str) -> str:
    """Return venue text without leading "Proceedings of the", years and ordinals, or a trailing year."""
    name = " ".join(text.split())
    while True:
        stripped = _LEADING_NOISE.sub("", name, count=1)
        stripped = _TRAILING_NOISE.sub("", stripped, count=1).strip()
        if stripped == name:
            break
        name = stripped
    return name or " ".join(text.split())


def _is_acronym(alias: str) -> bool:
    """Tell whether an alias is one word written like an acronym (``NeurIPS``, ``arXiv``), not ``Nature``."""
    return len(_WORD.findall(alias)) == 1 and any(c.isupper() for c in alias[1:])


def _is_acronym_spelling(word: str, acronym: str) -> bool:
    """Tell whether a word in venue text is the acronym, written so it cannot be an ordinary word."""
    if word.casefold() != acronym.casefold():
        return False
    return word == acronym or sum(c.isupper() for c in word) >= 2


class VenueAliases:
    """Venue series and the aliases that select them; later definitions win a shared alias."""

    def __init__(self, definitions: Iterable[SeriesDefinition]) -> None:
        self.definitions = list(definitions)
        self._index: dict[str, SeriesInfo] = {}
        self._acronyms: dict[str, tuple[str, SeriesInfo]] = {}
        # Papers of one venue repeat its text exactly, so each text is matched once.
        self._found: dict[str, SeriesInfo | None] = {}
        for definition in self.definitions:
            info = definition.info
            for alias in (info.key, info.name, info.full_name, *definition.aliases):
                normalised = normalise_venue(alias)
                if normalised:
                    self._index[normalised] = info
                if _is_acronym(alias):
                    self._acronyms[alias.casefold()] = (alias, info)

    def series_for(self, venue_text: str) -> SeriesInfo:
        """Return the series of a venue text, or a series of its own for an unknown venue.

        The text is tried in three ways, in this order. First the whole text
        is looked up. Then each part (split at commas, colons, brackets and
        dashes) is looked up whole or by a long alias at its end, and the
        longest alias wins. Last, the first known acronym among its words
        wins. Workshop texts match only as a whole, so a workshop at NeurIPS
        is not the NeurIPS series.

        Raises ``ValueError`` for text with no letters or digits.
        """
        if venue_text in self._found:
            found = self._found[venue_text]
            if found is None:
                raise ValueError(f"venue text {venue_text!r} has no letters or digits")
            return found
        try:
            found = self._series_for(venue_text)
        except ValueError:
            self._found[venue_text] = None
            raise
        self._found[venue_text] = found
        return found

    def _series_for(self, venue_text: str) -> SeriesInfo:
        normalised = normalise_venue(venue_text)
        if normalised in self._index:
            return self._index[normalised]

        is_workshop = not _WORKSHOP_WORDS.isdisjoint(normalised.split())
        if not is_workshop:
            found = self._match_segment(venue_text) or self._match_acronym(venue_text)
            if found is not None:
                return found
        return self._unknown_series(venue_text, normalised)

    def _match_segment(self, venue_text: str) -> SeriesInfo | None:
        best: tuple[int, SeriesInfo] | None = None
        for segment in _SEGMENT_SEPARATOR.split(venue_text):
            words = normalise_venue(segment).split()
            for start in range(len(words)):
                suffix = words[start:]
                if start > 0 and (len(suffix) < _MIN_SUFFIX_TOKENS or words[start - 1] in ("and", "or")):
                    continue
                info = self._index.get(" ".join(suffix))
                # Strictly longer wins, so among equal lengths the earliest part wins.
                if info is not None and (best is None or len(suffix) > best[0]):
                    best = (len(suffix), info)
        return best[1] if best else None

    def _match_acronym(self, venue_text: str) -> SeriesInfo | None:
        for word in _WORD.findall(venue_text):
            entry = self._acronyms.get(word.casefold())
            if entry is not None and _is_acronym_spelling(word, entry[0]):
                return entry[1]
        return None

    def _unknown_series(self, venue_text: str, normalised: str) -> SeriesInfo:
        segments = [s.strip() for s in _SEGMENT_SEPARATOR.split(venue_text)]
        for position, segment in enumerate(segments):
            match = _ACRONYM_WITH_YEAR.match(_LEADING_NOISE.sub("", segment))
            if match is None or sum(c.isupper() for c in match.group(1)) < 2:
                continue
            acronym = match.group(1)
            # A known acronym reaches this point only inside a workshop text.
            if normalise_venue(acronym) in self._index:
                continue
            others = [clean_venue_name(s) for i, s in enumerate(segments) if i != position and s]
            full_name = next((o for o in others if normalise_venue(o)), acronym)
            return SeriesInfo(acronym.casefold(), acronym, full_name)

        key = normalised or " ".join(_WORD.findall(venue_text.casefold()))
        if not key:
            raise ValueError(f"venue text {venue_text!r} has no letters or digits")
        name = clean_venue_name(venue_text)
        return SeriesInfo(key, name, name)


@functools.cache
def default_definitions() -> tuple[SeriesDefinition, ...]:
    """Return the series of the packaged default table ``generator/data/venues.yaml``."""
    source = importlib.resources.files(__name__.rpartition(".")[0]).joinpath("data/venues.yaml").read_text("utf-8")
    raw = yaml.safe_load(source)
    if not isinstance(raw, list):
        raise VenueTableError([("", "the default venue table must be a list of series")])

    definitions: list[SeriesDefinition] = []
    problems: list[tuple[str, str]] = []
    for position, item in enumerate(raw):
        path = f"[{position}]"
        if not isinstance(item, dict) or set(item) - {"key", "name", "full_name", "aliases"}:
            problems.append((path, "must be a mapping with key, name, full_name and aliases"))
            continue
        values = [item.get("key"), item.get("name"), item.get("full_name")]
        aliases = _check_aliases(item.get("aliases"), f"{path}.aliases", problems)
        if not all(isinstance(v, str) and v for v in values):
            problems.append((path, "key, name and full_name must be non-empty strings"))
            continue
        key, name, full_name = (str(v) for v in values)
        definitions.append(SeriesDefinition(SeriesInfo(key, name, full_name), aliases))
    if problems:
        raise VenueTableError(problems)
    return tuple(definitions)


def _check_aliases(value: object, path: str, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append((path, f"must be a list of strings, got {type(value).__name__}"))
        return ()
    aliases: list[str] = []
    for position, alias in enumerate(value):
        if not isinstance(alias, str) or not normalise_venue(alias):
            problems.append((f"{path}[{position}]", f"must be venue text with letters, got {alias!r}"))
        else:
            aliases.append(alias)
    return tuple(aliases)


def load_aliases(extra: Mapping[str, object] | None) -> VenueAliases:
    """Build the venue table from the defaults plus a site's ``content/venues.yaml`` mapping.

    ``extra`` maps a series name to ``{"full_name": str, "aliases": [str, ...]}``,
    both optional. A name that is a default series's name or key extends that
    series: its aliases are added and ``full_name`` replaces the default. Any
    other name starts a new series. Site aliases win over default aliases.

    Raises ``VenueTableError`` (a ``ValueError``) listing every problem with
    its key path, so the caller can add the file and line.
    """
    defaults = list(default_definitions())
    if not extra:
        return VenueAliases(defaults)
    if not isinstance(extra, Mapping):
        raise VenueTableError([("", f"must be a mapping of series names, got {type(extra).__name__}")])

    problems: list[tuple[str, str]] = []
    site: list[SeriesDefinition] = []
    claimed: dict[str, str] = {}
    for name, spec in extra.items():
        definition = _site_definition(name, spec, defaults, problems)
        if definition is None:
            continue
        for alias in (definition.info.name, definition.info.full_name, *definition.aliases):
            normalised = normalise_venue(alias)
            owner = claimed.setdefault(normalised, name)
            if owner != name:
                problems.append((name, f"alias {alias!r} is already used by series {owner!r}"))
        site.append(definition)
    if problems:
        raise VenueTableError(problems)

    # Extended defaults move after the rest so that their site aliases win.
    site_keys = {d.info.key for d in site}
    return VenueAliases([d for d in defaults if d.info.key not in site_keys] + site)


def _site_definition(
    name: object,
    spec: object,
    defaults: list[SeriesDefinition],
    problems: list[tuple[str, str]],
) -> SeriesDefinition | None:
    if not isinstance(name, str) or not normalise_venue(name):
        problems.append((str(name), "series name must be venue text with letters"))
        return None
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        problems.append((name, f"must be a mapping with full_name and aliases, got {type(spec).__name__}"))
        return None

    before = len(problems)
    unknown = sorted(str(k) for k in spec if k not in ("full_name", "aliases"))
    if unknown:
        problems.append((name, f"unknown keys {', '.join(unknown)}; allowed keys are full_name and aliases"))
    full_name = spec.get("full_name")
    if full_name is not None and (not isinstance(full_name, str) or not full_name.strip()):
        problems.append((f"{name}.full_name", f"must be a non-empty string, got {full_name!r}"))
    aliases = _check_aliases(spec.get("aliases"), f"{name}.aliases", problems)
    if len(problems) > before:
        return None

    key = "-".join(normalise_venue(name).split())
    for default in defaults:
        info = default.info
        if info.key == key or info.name.casefold() == name.casefold():
            merged = SeriesInfo(info.key, info.name, full_name or info.full_name)
            return SeriesDefinition(merged, default.aliases + aliases)
    return SeriesDefinition(SeriesInfo(key, name, full_name or name), aliases)


# Readable kinds -----------------------------------------------------------

_KINDS = {
    "inproceedings": "Conference Paper",
    "conference": "Conference Paper",
    "article": "Journal Article",
    "preprint": "Preprint",
    "book": "Book",
    "mvbook": "Book",
    "booklet": "Book",
    "inbook": "Chapter",
    "incollection": "Chapter",
    "bookinbook": "Chapter",
    "phdthesis": "Thesis",
    "mastersthesis": "Thesis",
    "thesis": "Thesis",
    "techreport": "Report",
    "report": "Report",
    "proceedings": "Proceedings",
    "mvproceedings": "Proceedings",
    "software": "Software",
    "dataset": "Dataset",
    "patent": "Patent",
    "online": "Web Page",
    "electronic": "Web Page",
    "www": "Web Page",
}
# Types that become "Preprint" when they point to a preprint server.
_PREPRINT_CAPABLE = frozenset({"article", "misc", "online", "electronic", "www", "unpublished", "preprint"})
_PREPRINT_JOURNALS = ("arxiv", "biorxiv", "medrxiv")

_VENUE_FIELDS = {
    "inproceedings": ("booktitle", "eventtitle"),
    "conference": ("booktitle", "eventtitle"),
    "incollection": ("booktitle", "publisher"),
    "inbook": ("booktitle", "publisher"),
    "bookinbook": ("booktitle", "publisher"),
    "article": ("journal", "journaltitle"),
    "phdthesis": ("school", "institution"),
    "mastersthesis": ("school", "institution"),
    "thesis": ("school", "institution"),
    "techreport": ("institution", "organization", "publisher"),
    "report": ("institution", "organization", "publisher"),
    "book": ("publisher",),
    "mvbook": ("publisher",),
    "booklet": ("howpublished", "organization"),
    "proceedings": ("publisher", "organization"),
    "mvproceedings": ("publisher", "organization"),
    "misc": ("howpublished", "organization", "publisher"),
    "online": ("organization", "publisher", "howpublished"),
    "unpublished": ("howpublished", "organization"),
    "software": ("publisher", "organization", "howpublished"),
    "dataset": ("publisher", "organization", "howpublished"),
    "manual": ("organization", "publisher"),
    "patent": (),
}
_FALLBACK_VENUE_FIELDS = (
    "booktitle", "journal", "journaltitle", "publisher", "howpublished", "organization", "institution", "school",
)


def _field(fields: Mapping[str, str], name: str) -> str:
    """Return a field's stripped value, or "" when missing, blank or only a URL."""
    value = fields.get(name, "").strip()
    return "" if value.startswith(("http://", "https://")) else value


def _journal(fields: Mapping[str, str]) -> str:
    return _field(fields, "journal") or _field(fields, "journaltitle")


def _has_arxiv_eprint(fields: Mapping[str, str]) -> bool:
    """Tell whether an entry links an arXiv copy (``eprint`` with archive ``arXiv``, or an ``arxiv`` field)."""
    archive = (_field(fields, "archiveprefix") or _field(fields, "eprinttype")).casefold()
    eprint = _field(fields, "eprint")
    return (
        (archive == "arxiv" and bool(eprint))
        or eprint.casefold().startswith("arxiv:")
        or bool(_field(fields, "arxiv"))
        or _field(fields, "howpublished").casefold().startswith("arxiv")
    )


def _is_preprint_server(journal: str) -> bool:
    folded = journal.casefold()
    return folded == "corr" or folded.startswith(_PREPRINT_JOURNALS)


def _is_preprint(entry_type: str, fields: Mapping[str, str]) -> bool:
    """Tell whether an entry is only on a preprint server.

    A journal article that also links an arXiv copy, as ADS exports write it,
    stays a journal article.
    """
    if entry_type == "preprint":
        return True
    if entry_type not in _PREPRINT_CAPABLE:
        return False
    journal = _journal(fields)
    if journal:
        return _is_preprint_server(journal)
    return _has_arxiv_eprint(fields)


def kind_for(entry_type: str, fields: Mapping[str, str]) -> str:
    """Return the readable kind of an entry (``Conference Paper``); ``Other`` for unlisted types.

    An article, misc or online entry is a ``Preprint`` when its journal is a
    preprint server (``arXiv preprint ...``, ``CoRR``, bioRxiv, medRxiv), or
    when it has no journal and links an arXiv eprint.
    """
    entry_type = entry_type.casefold()
    if _is_preprint(entry_type, fields):
        return "Preprint"
    return _KINDS.get(entry_type, "Other")


def venue_text_for(entry_type: str, fields: Mapping[str, str]) -> str | None:
    """Return the field value that names an entry's venue, or None when the entry has none.

    ``fields`` are decoded Unicode values keyed by lower-case field name.
    A preprint names its journal or ``howpublished`` text, else ``arXiv``.
    Values that are only a URL do not name a venue and are skipped.
    """
    entry_type = entry_type.casefold()
    names = _VENUE_FIELDS.get(entry_type, _FALLBACK_VENUE_FIELDS)
    if _is_preprint(entry_type, fields):
        named = _journal(fields) or _field(fields, "howpublished")
        if named or _has_arxiv_eprint(fields):
            return named or "arXiv"
    for name in names:
        value = _field(fields, name)
        if value:
            return value
    return None

"""Loading stage for .bib files: parse, resolve macros and crossrefs, make papers.

bibtexparser's ``Library``, ``Entry`` and ``Block`` names stay inside this
module. It does not depend on author pages, venue pages or output.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field

from bibtexparser import model as bib
from bibtexparser.entrypoint import parse_string

from ..config import Limits
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..links import doi_url, safe_url
from ..model import Link, Paper
from ..venues import kind_for, venue_text_for
from .bibtex_values import brace_balance, evaluate, is_month_macro
from .latex import check_braces, decode_latex, decode_plain
from .names import MalformedNameError, parse_names

logger = logging.getLogger(__name__)
# bibtexparser logs each failed block itself; we report them with file:line instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

_CONTAINER_TYPES = {"proceedings", "book", "collection", "mvproceedings", "mvbook", "mvcollection", "periodical"}
_CONTAINED_TYPES = {"inproceedings", "incollection", "inbook", "conference", "bookinbook", "suppbook"}
_NOT_INHERITED = {"crossref", "xref", "ids", "key", "sortkey", "label"}
# Identifiers of a container (a proceedings volume's DOI) do not identify its parts.
_CONTAINER_IDENTIFIERS = {"doi", "url", "eprint", "eprinttype", "archiveprefix", "urldate"}
_MONTH_NUMBERS = {name: index for index, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# The citation key at the start of a block that failed to parse, when it got that far.
_FAILED_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^\s,{}()=\"#%'~\\]+)\s*,")
# bibtexparser 2.x abort reasons for a block that is still open at the next `@` or at the end of the file.
_RAN_ON = re.compile(r"still looking for|end of file", re.I)
# An arXiv id written into venue text, as Google Scholar exports do.
_ARXIV_IN_TEXT = re.compile(r"\barxiv\s*:\s*(\d{4}\.\d{4,5}(?:v\d+)?)(?!\d)", re.I)
_ARXIV_ID = re.compile(r"^(?:arxiv:)?\s*(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)$", re.I)


@dataclass
class RawEntry:
    """One entry as written: field names in lower case, values as raw expressions."""

    key: str
    entry_type: str
    fields: dict[str, str]
    location: Location
    resolved: dict[str, str] = field(default_factory=dict)
    month_macro: str = ""


@dataclass
class BibFile:
    """The entries, macro definitions and preambles read from one .bib file."""

    path: str
    entries: list[RawEntry] = field(default_factory=list)
    strings: list[tuple[str, str, Location]] = field(default_factory=list)
    preambles: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)


def decode_bytes(data: bytes, path: str, report: Report) -> str:
    """Decode a .bib file as UTF-8, or as Windows-1252/Latin-1 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
            encoding = "Windows-1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            encoding = "Latin-1"
        report.warn(Location(path, line), f"file is not valid UTF-8; read as {encoding}. Save it as UTF-8 to be sure accents are right")
        return text


def parse_bib_text(text: str, path: str) -> BibFile:
    """Parse one .bib file's text into raw entries; problems go into the file's report."""
    result = BibFile(path)
    library = parse_string(text, parse_stack=[])
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, bib.String):
            result.strings.append((block.key.lower(), block.value, Location(path, line)))
        elif isinstance(block, bib.Preamble):
            result.preambles.append(block.value)
        elif isinstance(block, (bib.Entry, bib.DuplicateFieldKeyBlock, bib.DuplicateBlockKeyBlock)):
            entry = block if isinstance(block, bib.Entry) else block.ignore_error_block
            if isinstance(entry, bib.Entry):
                _add_entry(result, entry, block, line)
        elif isinstance(block, bib.ParsingFailedBlock):
            result.report.warn(Location(path, line), f"entry could not be parsed and is skipped: {_failure_reason(block)}")
    return result


# bibtexparser ends a block where a line starts with "@", so parsing the text
# between two such lines alone gives the same blocks as parsing the whole file.
_BLOCK_START = re.compile(r"^[ \t]*@", re.M)


def parse_bib_cached(text: str, path: str, cache: "SegmentCache") -> BibFile:
    """Parse a .bib file like ``parse_bib_text``, reusing segments parsed in an earlier build.

    A segment runs from one line that starts with "@" to the next; only
    segments whose text is not in ``cache`` are parsed.
    """
    result = BibFile(path)
    line_offset = 0
    for segment in split_segments(text):
        _extend_shifted(result, cache.parse(segment), line_offset)
        line_offset += segment.count("\n")
    return result


def split_segments(text: str) -> list[str]:
    """Split a file's text before every line that starts with "@"."""
    starts = [0] + [match.start() for match in _BLOCK_START.finditer(text) if match.start() > 0]
    return [text[start:end] for start, end in zip(starts, starts[1:] + [len(text)])]


def _segment_digest(segment: str) -> str:
    return hashlib.blake2b(segment.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _extend_shifted(result: BibFile, part: BibFile, line_offset: int) -> None:
    def moved(location: Location) -> Location:
        return Location(result.path, (location.line or 1) + line_offset)

    for entry in part.entries:
        result.entries.append(RawEntry(entry.key, entry.entry_type, dict(entry.fields), moved(entry.location)))
    result.strings.extend((name, value, moved(location)) for name, value, location in part.strings)
    result.preambles.extend(part.preambles)
    for item in part.report.items:
        result.report.items.append(type(item)(moved(item.location), item.severity, item.message))


class SegmentCache:
    """Parsed .bib segments by digest of their text, kept between builds as JSON."""

    def __init__(self, stored: dict[str, object] | None = None) -> None:
        self._stored = stored or {}
        self._loaded = len(self._stored)
        self._used: dict[str, object] = {}
        self.hits = 0
        self.misses = 0

    def missing_segments(self, text: str) -> list[str]:
        """Return the segments of a file's text that are not cached yet."""
        missing = []
        for segment in split_segments(text):
            digest = _segment_digest(segment)
            if digest not in self._stored and digest not in self._used:
                missing.append(segment)
        return missing

    def release(self) -> None:
        """Drop every cached segment, after the cache has been stored."""
        self._stored = {}
        self._used = {}

    @property
    def changed(self) -> bool:
        """Whether the cache to store differs from the one loaded."""
        return self.misses > 0 or len(self._used) != self._loaded or len(self._stored) != self._loaded

    def add(self, parsed: list[tuple[str, object]]) -> None:
        """Add segments parsed elsewhere (by worker processes), as returned by ``to_json().items()``."""
        self._stored.update(parsed)

    def parse(self, segment: str) -> BibFile:
        """Return the parsed segment, from the cache when possible. Locations are relative to it."""
        digest = _segment_digest(segment)
        stored = self._used.get(digest) or self._stored.get(digest)
        if stored is not None:
            try:
                part = _segment_from_json(stored)
                self._used[digest] = stored
                self.hits += 1
                return part
            except (KeyError, TypeError, ValueError, IndexError):
                pass
        part = parse_bib_text(segment, "")
        self._used[digest] = _segment_to_json(part)
        self.misses += 1
        return part

    def to_json(self) -> dict[str, object]:
        """Return the segments used in this build, for the next one."""
        return self._used


def _segment_to_json(part: BibFile) -> dict[str, object]:
    return {
        "entries": [[e.key, e.entry_type, list(e.fields.items()), e.location.line] for e in part.entries],
        "strings": [[name, value, location.line] for name, value, location in part.strings],
        "preambles": list(part.preambles),
        "diagnostics": [[d.location.line, d.severity.name, d.message] for d in part.report.items],
    }


def _segment_from_json(data: object) -> BibFile:
    if not isinstance(data, dict):
        raise ValueError("cached segment is not a mapping")
    part = BibFile("")
    for key, entry_type, fields, line in data["entries"]:
        part.entries.append(RawEntry(str(key), str(entry_type), {str(k): str(v) for k, v in fields}, Location("", int(line))))
    for name, value, line in data["strings"]:
        part.strings.append((str(name), str(value), Location("", int(line))))
    part.preambles.extend(str(p) for p in data["preambles"])
    for line, severity, message in data["diagnostics"]:
        part.report.items.append(Diagnostic(Location("", int(line) if line else None), Severity[severity], str(message)))
    return part


def _add_entry(result: BibFile, entry: bib.Entry, block: bib.Block, line: int) -> None:
    """Keep one parsed entry, or report why it is skipped."""
    location = Location(result.path, line)
    if not entry.key.strip():
        # Merging and export identify papers by key, so an invented key would hide the problem.
        result.report.warn(location, f"@{entry.entry_type} entry has no citation key and is skipped; add a key before the first field")
        return
    if isinstance(block, bib.DuplicateFieldKeyBlock):
        names = ", ".join(sorted(block.duplicate_keys))
        result.report.warn(location, f"entry '{entry.key}' sets the field(s) {names} more than once; the first value is kept")
    # An entry whose key repeats an earlier one in the file is kept too: merging
    # combines entries with one key and reports both places.
    result.entries.append(_raw_entry(entry, result.path, line))


def _failure_reason(block: bib.ParsingFailedBlock) -> str:
    error = block.error
    message = getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error)
    reason = " ".join(str(message).split()).rstrip(".") or "invalid BibTeX syntax"
    raw = block.raw or ""
    notes: list[str] = []
    key = _FAILED_KEY.match(raw)
    if key:
        notes.append(f"citation key '{key.group(1)}'")
    # Only a block that ran on to the next entry or the end of the file contains
    # the whole entry. A block cut at the failing token would give a false count.
    if _RAN_ON.search(reason):
        # Files are parsed in segments that end where the next line starts with "@",
        # so "next entry" and "end of file" are one case and get one wording.
        reason = "the entry is not closed before the next line that starts with '@' or the end of the file"
        depth = brace_balance(raw)
        if depth > 0:
            notes.append(f"{depth} unclosed '{{' in the entry")
    return f"{reason} ({'; '.join(notes)})" if notes else reason


def _raw_entry(entry: bib.Entry, path: str, line: int) -> RawEntry:
    fields: dict[str, str] = {}
    for item in entry.fields:
        name = item.key.strip().lower()
        if name not in fields:
            fields[name] = item.value
    return RawEntry(entry.key.strip(), entry.entry_type.strip().lower(), fields, Location(path, line))


def resolve_entries(files: list[BibFile], report: Report) -> list[RawEntry]:
    """Resolve macros and crossrefs across all .bib files of a site, in file order."""
    macros: dict[str, str] = {}
    defined_at: dict[str, Location] = {}
    for bib_file in files:
        for name, raw, location in bib_file.strings:
            value, _missing = evaluate(raw, macros)
            if name in macros and macros[name] != value:
                report.warn(location, f"macro '{name}' is redefined (first defined at {defined_at[name]}); the new value is used from here on")
            macros[name] = value
            defined_at.setdefault(name, location)

    entries = [entry for bib_file in files for entry in bib_file.entries]
    for entry in entries:
        undefined: list[str] = []
        for name, raw in entry.fields.items():
            value, missing = evaluate(raw, macros)
            undefined.extend(missing)
            entry.resolved[name] = value
            if name == "month" and is_month_macro(raw):
                entry.month_macro = raw.strip().lower()
        if undefined:
            names = ", ".join(sorted(set(undefined)))
            report.warn(entry.location, f"entry '{entry.key}' uses undefined macro(s) {names}; the names are shown as written")

    by_key: dict[str, RawEntry] = {}
    for entry in entries:
        by_key.setdefault(entry.key.lower(), entry)
    # TODO: a @proceedings entry that exists only as a crossref parent is still
    # listed as a paper, with its editors as authors. Hide such parents (and
    # count them as read) so a conference volume does not show up as a paper.
    for entry in entries:
        parent_key = entry.resolved.get("crossref", "").strip()
        if parent_key:
            _inherit(entry, parent_key, by_key, report)
    return entries


def _inherit(entry: RawEntry, parent_key: str, by_key: dict[str, RawEntry], report: Report) -> None:
    parent = by_key.get(parent_key.lower())
    if parent is None:
        report.warn(
            entry.location,
            f"entry '{entry.key}' has crossref '{parent_key}', which no .bib file of the site defines; the crossref is left out of the export",
        )
        del entry.resolved["crossref"]
        return
    if parent is entry:
        return
    for name, value in parent.resolved.items():
        if name in _NOT_INHERITED or (name in _CONTAINER_IDENTIFIERS and parent.entry_type in _CONTAINER_TYPES):
            continue
        target = name
        if parent.entry_type in _CONTAINER_TYPES and entry.entry_type in _CONTAINED_TYPES and name == "title":
            target = "booktitle"
        if target not in entry.resolved:
            entry.resolved[target] = value
            if name == "month" and parent.month_macro and not entry.month_macro:
                entry.month_macro = parent.month_macro
    del entry.resolved["crossref"]


def entry_to_paper(entry: RawEntry, limits: Limits, report: Report) -> Paper | None:
    """Make a paper from a resolved entry, or report why it cannot be shown and return None."""
    fields = {name: _limited(value, name, entry, limits, report) for name, value in entry.resolved.items()}
    for name, value in fields.items():
        problem = check_braces(value)
        if problem:
            report.warn(entry.location, f"entry '{entry.key}', field '{name}': {problem}")

    title_source = fields.get("title", "").strip()
    if not title_source:
        report.warn(entry.location, f"entry '{entry.key}' has no title and is skipped")
        return None

    people_field = "author" if fields.get("author", "").strip() else "editor"
    try:
        authors, et_al = parse_names(fields.get(people_field, ""))
    except MalformedNameError as error:
        report.warn(entry.location, f"entry '{entry.key}': {error}")
        authors, et_al = error.names, error.et_al
    cut_names = len(authors) > limits.max_authors
    if cut_names:
        report.warn(entry.location, f"entry '{entry.key}' has {len(authors)} authors; only the first {limits.max_authors} are shown")
        authors = authors[: limits.max_authors]
        et_al = True

    year, month = _date_of(fields, entry, report)
    decoded = {name: decode_plain(value) for name, value in fields.items() if name in _VENUE_FIELDS}
    venue_source = venue_text_for(entry.entry_type, decoded)
    venue_raw = _raw_venue(entry.entry_type, fields, venue_source)
    abstract = decode_latex(fields["abstract"]) if fields.get("abstract", "").strip() else None

    export = dict(fields)
    if cut_names:
        # The export must match the page, which lists the kept names and "et al.".
        export[people_field] = " and ".join(name.source for name in authors) + " and others"
    if entry.month_macro:
        export["month"] = entry.month_macro
    return Paper(
        key=entry.key,
        entry_type=entry.entry_type,
        kind=kind_for(entry.entry_type, decoded),
        title=decode_latex(title_source),
        authors=authors,
        et_al=et_al,
        year=year,
        month=month,
        venue=decode_latex(venue_raw) if venue_raw else None,
        abstract=abstract,
        links=_links_of(fields, entry, report),
        fields=export,
        location=entry.location,
    )


_VENUE_FIELDS = {
    "booktitle", "journal", "journaltitle", "eprint", "eprinttype", "archiveprefix", "primaryclass",
    "school", "institution", "publisher", "howpublished", "organization", "series", "type", "eventtitle",
}


def _raw_venue(entry_type: str, fields: dict[str, str], decoded_venue: str | None) -> str | None:
    """Find the source (LaTeX) form of the venue text that venue_text_for chose from decoded fields."""
    if not decoded_venue:
        return None
    # Sorted: two fields may decode alike, and a set's order changes with the hash seed.
    for name in sorted(_VENUE_FIELDS):
        value = fields.get(name)
        if value and decode_plain(value).strip() == decoded_venue.strip():
            return value
    return decoded_venue


def _limited(value: str, name: str, entry: RawEntry, limits: Limits, report: Report) -> str:
    if len(value) <= limits.max_field_chars:
        return value
    report.warn(entry.location, f"entry '{entry.key}', field '{name}' has {len(value)} characters; it is cut to {limits.max_field_chars}")
    cut = value[: limits.max_field_chars]
    if name in ("author", "editor") and " and " in cut:
        # Cut between two names, never inside one; the name count limit applies afterwards.
        cut = cut[: cut.rindex(" and ")] + " and others"
    return cut


def _date_of(fields: dict[str, str], entry: RawEntry, report: Report) -> tuple[int | None, int | None]:
    year_text = fields.get("year", "").strip() or fields.get("date", "").strip()[:4]
    year: int | None = None
    if year_text:
        match = _YEAR.search(decode_plain(year_text))
        if match and 1000 <= int(match.group(1)) <= 2999:
            year = int(match.group(1))
        else:
            report.warn(entry.location, f"entry '{entry.key}' has an invalid year {year_text!r}; it is listed without a year")
    month: int | None = None
    if entry.month_macro:
        month = _MONTH_NUMBERS[entry.month_macro]
    else:
        month_text = fields.get("month", "").strip().lower()
        if month_text.isdigit() and 1 <= int(month_text) <= 12:
            month = int(month_text)
        elif month_text[:3] in _MONTH_NUMBERS:
            month = _MONTH_NUMBERS[month_text[:3]]
        elif not month_text:
            date = fields.get("date", "")
            if re.match(r"^\d{4}-\d{2}", date) and 1 <= int(date[5:7]) <= 12:
                month = int(date[5:7])
    return year, month


def _unwrap_url(value: str) -> str:
    value = value.strip()
    match = re.fullmatch(r"\\(?:url|href)\s*\{([^{}]*)\}(?:\s*\{.*\})?", value, re.S)
    return match.group(1).strip() if match else value


def _arxiv_id_of(fields: dict[str, str]) -> str | None:
    """Return the arXiv id of an ``eprint`` field, or of a venue text such as ``arXiv preprint arXiv:2101.00001``."""
    eprint = fields.get("eprint", "").strip()
    archive = (fields.get("eprinttype") or fields.get("archiveprefix") or "arxiv").strip().lower()
    match = _ARXIV_ID.match(eprint)
    if match and archive == "arxiv":
        return match.group(1)
    for name in ("journal", "journaltitle", "howpublished"):
        match = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if match:
            return match.group(1)
    return None


def _links_of(fields: dict[str, str], entry: RawEntry, report: Report) -> list[Link]:
    links: list[Link] = []
    doi = fields.get("doi", "").strip()
    if doi:
        url = doi_url(_unwrap_url(doi))
        if url:
            links.append(Link("doi", url))
        else:
            report.warn(entry.location, f"entry '{entry.key}' has an invalid DOI {doi!r}; it is shown as text only")
    identifier = _arxiv_id_of(fields)
    if identifier:
        links.append(Link("arxiv", f"https://arxiv.org/abs/{identifier}"))
    for name, kind in (("url", "url"), ("pdf", "pdf"), ("code", "code")):
        raw = fields.get(name, "").strip()
        if not raw:
            continue
        url = safe_url(_unwrap_url(raw))
        if url and not any(link.url == url for link in links):
            links.append(Link(kind, url))
        elif not url:
            report.warn(entry.location, f"entry '{entry.key}', field '{name}': {raw!r} is not an http, https or mailto URL; it is not linked")
    return links

"""Loading stage for ``content/papers/*.yaml``: one paper record per file.

Checks the record schema and makes an unlinked Paper with BibTeX export
fields. It does not depend on other papers, merging or author pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from unidecode import unidecode

from ..config import Limits, SiteConfig
from ..diagnostics import ContentError, Location, Report
from ..links import doi_url, normalize_doi, safe_url
from ..model import Link, Paper, PersonName
from .latex import decode_markup
from .files import read_text
from .names import MalformedNameError, parse_name
from .paper_cache import LoadedPaper
from .safe_yaml import (
    YamlMap,
    check_keys,
    load_yaml,
    optional_mapping,
    optional_text,
    optional_text_list,
    require_mapping,
    required_text,
)

ALLOWED_KEYS = frozenset(
    {
        "title", "authors", "venue", "year", "month", "type", "abstract",
        "doi", "url", "pdf", "code", "key", "bibtex", "tags",
    }
)
"""Keys a paper record may contain. Any other key is an error."""


@dataclass(frozen=True)
class PaperType:
    """Export and display settings for one value of ``type:``."""

    entry_type: str
    """BibTeX entry type."""
    kind: str
    """Readable kind shown on pages."""
    venue_field: str
    """BibTeX field that receives ``venue``."""


_RECORD_TYPES = {
    "conference": PaperType("inproceedings", "Conference Paper", "booktitle"),
    "workshop": PaperType("inproceedings", "Workshop Paper", "booktitle"),
    "journal": PaperType("article", "Journal Article", "journal"),
    "preprint": PaperType("misc", "Preprint", "howpublished"),
    "book": PaperType("book", "Book", "publisher"),
    "chapter": PaperType("incollection", "Book Chapter", "booktitle"),
    "thesis": PaperType("phdthesis", "PhD Thesis", "school"),
    "report": PaperType("techreport", "Technical Report", "institution"),
    "misc": PaperType("misc", "Other", "howpublished"),
}

# The standard BibTeX entry types, accepted in ``type:`` as they are.
_BIBTEX_TYPES = {
    "article": PaperType("article", "Journal Article", "journal"),
    "inproceedings": PaperType("inproceedings", "Conference Paper", "booktitle"),
    "incollection": PaperType("incollection", "Book Chapter", "booktitle"),
    "inbook": PaperType("inbook", "Book Chapter", "booktitle"),
    "booklet": PaperType("booklet", "Booklet", "howpublished"),
    "manual": PaperType("manual", "Manual", "organization"),
    "mastersthesis": PaperType("mastersthesis", "Master's Thesis", "school"),
    "phdthesis": PaperType("phdthesis", "PhD Thesis", "school"),
    "proceedings": PaperType("proceedings", "Proceedings", "publisher"),
    "techreport": PaperType("techreport", "Technical Report", "institution"),
    "unpublished": PaperType("unpublished", "Unpublished", "note"),
}

PAPER_TYPES: dict[str, PaperType] = {**_BIBTEX_TYPES, **_RECORD_TYPES}
"""Every accepted ``type:`` value, in lower case."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

# Characters BibTeX and biblatex accept in citation keys without trouble.
_KEY = re.compile(r"[A-Za-z0-9_.:/+-]+")
_NOT_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_.:/+-]+")

# Export fields set from their own record keys, which ``bibtex:`` may not set again.
_RESERVED_BIBTEX_FIELDS = frozenset({"author", "title", "year", "month", "abstract", "doi", "url", "keywords"})
_BIBTEX_FIELD_NAME = re.compile(r"[a-z][a-z0-9_-]*")

# BibTeX's marker for "et al." as the last author, and the common alternative.
_ET_AL = re.compile(r"others|et\.?\s*al\.?", re.IGNORECASE)
_TOP_LEVEL_AND = re.compile(r"\sand\s", re.IGNORECASE)
_BRACED_GROUP = re.compile(r"\{[^{}]*\}")

_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)
_ARXIV_URL = re.compile(r"https?://arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?", re.IGNORECASE)
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?", re.IGNORECASE)


# Characters that plain text may contain but LaTeX reads as commands. Math
# ($...$ and \(...\)) is kept as written, since YAML text may contain it on purpose.
_LATEX_ACTIVE = re.compile(r"(\$[^$]*\$|\\\(.*?\\\))|(?<!\\)([%&#])", re.S)


def bibtex_text(text: str) -> str:
    """Return plain YAML text as a BibTeX value: ``%``, ``&`` and ``#`` escaped outside math."""
    return _LATEX_ACTIVE.sub(lambda match: match.group(1) or "\\" + match.group(2), text)


def load_paper_record(text: str, path: str, report: Report, limits: Limits = Limits()) -> Paper:
    """Read one paper record from the YAML ``text`` of the file at ``path``.

    Raises ContentError for a record that cannot be shown: invalid YAML,
    an unknown key, a missing title or author list, or a value of the wrong
    kind. Unsafe links are left out with a warning in ``report``, and text
    or author lists longer than ``limits`` allow are cut with a warning.
    """
    record = require_mapping(load_yaml(text, path, max_bytes=limits.max_yaml_bytes), path, "a paper file")
    check_keys(record, ALLOWED_KEYS, path)

    title = decode_markup(_limited(required_text(record, "title", path), record, "title", path, limits, report))
    authors, et_al = _authors_of(record, path, report, limits)
    paper_type = _type_of(record, path)
    year = _year_of(record, path, report)
    month = _month_of(record, path)
    venue_source = _limited(optional_text(record, "venue", path), record, "venue", path, limits, report)
    venue = decode_markup(venue_source) if venue_source else None
    abstract_source = _limited(optional_text(record, "abstract", path), record, "abstract", path, limits, report)
    abstract = decode_markup(abstract_source) if abstract_source else None
    tags = [tag for tag, _ in optional_text_list(record, "tags", path)]

    fields: dict[str, str] = {}
    export_names = [_export_name(name) for name in authors]
    if et_al:
        export_names.append("others")
    fields["author"] = " and ".join(export_names)
    fields["title"] = bibtex_text(title.source)
    if venue is not None:
        fields[paper_type.venue_field] = bibtex_text(venue.source)
    if year is not None:
        fields["year"] = str(year)
    if month is not None:
        fields["month"] = str(month)
    for name in ("doi", "url", "pdf", "code"):
        raw = optional_text(record, name, path)
        if raw is not None:
            fields[name] = raw
    if "doi" in fields:
        # Export the bare DOI even when the record gives a doi.org URL.
        fields["doi"] = normalize_doi(fields["doi"]) or fields["doi"]
    if tags:
        fields["keywords"] = ", ".join(tags)
    if abstract is not None:
        fields["abstract"] = bibtex_text(abstract.source)
    fields.update(_extra_fields(record, path))
    arxiv_id = _arxiv_id(fields)
    if arxiv_id is not None and paper_type is _RECORD_TYPES["preprint"] and "eprint" not in fields:
        fields["eprint"] = arxiv_id
        fields["archiveprefix"] = "arXiv"

    return Paper(
        key=_key_of(record, path),
        entry_type=paper_type.entry_type,
        kind=paper_type.kind,
        title=title,
        authors=authors,
        et_al=et_al,
        year=year,
        month=month,
        venue=venue,
        abstract=abstract,
        links=_links_of(record, fields, arxiv_id, path, report),
        fields=fields,
        location=Location(path, record.line),
    )


def _limited(value: str | None, record: YamlMap, key: str, path: str, limits: Limits, report: Report) -> str | None:
    """Return ``value`` cut to ``limits.max_field_chars`` characters, warning when it was longer."""
    if value is None or len(value) <= limits.max_field_chars:
        return value
    report.warn(
        Location(path, record.line_of(key)),
        f"'{key}' has {len(value)} characters; it is cut to {limits.max_field_chars} (raise limits.max_field_chars in site.yaml if it is genuine)",
    )
    return value[: limits.max_field_chars]


def _authors_of(record: YamlMap, path: str, report: Report, limits: Limits) -> tuple[list[PersonName], bool]:
    """Return the parsed authors in order and whether the list ended in ``others``.

    A name that the BibTeX name grammar cannot split is kept whole, with a
    warning. Authors after the first ``limits.max_authors`` are dropped with a
    warning, and the list then counts as ending in ``others``.
    """
    if "authors" not in record:
        raise ContentError(Location(path, record.line), "missing required key 'authors'")
    items = optional_text_list(record, "authors", path)
    if not items:
        raise ContentError(
            Location(path, record.line_of("authors")),
            "'authors' is empty; list at least one author",
        )

    et_al = _ET_AL.fullmatch(items[-1][0]) is not None
    if et_al:
        items = items[:-1]
        if not items:
            raise ContentError(
                Location(path, record.line_of("authors")),
                "'authors' contains only 'others'; list at least one author by name",
            )

    if len(items) > limits.max_authors:
        report.warn(
            Location(path, record.line_of("authors")),
            f"'authors' lists {len(items)} authors; only the first {limits.max_authors} are shown "
            "(raise limits.max_authors in site.yaml if they are genuine)",
        )
        items = items[: limits.max_authors]
        et_al = True

    authors: list[PersonName] = []
    for index, (source, line) in enumerate(items, start=1):
        if _has_top_level_and(source):
            raise ContentError(
                Location(path, line),
                f"author {index} '{source}' contains 'and'; write each author as a separate '- ' item",
            )
        if _ET_AL.fullmatch(source):
            raise ContentError(
                Location(path, line),
                f"author {index} is '{source}'; it may only be the last item, meaning 'et al.'",
            )
        try:
            authors.append(parse_name(source))
        except MalformedNameError as error:
            report.warn(Location(path, line), f"author {index}: {error}")
            authors.extend(error.names)
    return authors, et_al


def _export_name(name: PersonName) -> str:
    """Return the name for the BibTeX author field, braced when it must not be split."""
    source = name.source or name.display
    if name.literal and not (source.startswith("{") and source.endswith("}")):
        return f"{{{source}}}"
    return source


def _has_top_level_and(source: str) -> bool:
    """Return True if ``source`` contains the word "and" outside braces, where BibTeX splits names."""
    unbraced = source
    while True:
        reduced = _BRACED_GROUP.sub("", unbraced)
        if reduced == unbraced:
            break
        unbraced = reduced
    return _TOP_LEVEL_AND.search(unbraced) is not None


def _type_of(record: YamlMap, path: str) -> PaperType:
    """Return the paper type; a record without ``type`` is ``misc``."""
    value = optional_text(record, "type", path)
    if value is None:
        return _RECORD_TYPES["misc"]
    paper_type = PAPER_TYPES.get(value.lower())
    if paper_type is None:
        choices = ", ".join(_RECORD_TYPES)
        raise ContentError(
            Location(path, record.line_of("type")),
            f"unknown type '{value}'; use one of {choices} or a BibTeX entry type such as inproceedings",
        )
    return paper_type


def _year_of(record: YamlMap, path: str, report: Report) -> int | None:
    value = optional_text(record, "year", path)
    if value is None:
        report.warn(
            Location(path, record.line),
            "no 'year' given; the paper is listed after the papers that have one",
        )
        return None
    if not value.isascii() or not value.isdigit() or not 1000 <= int(value) <= 2100:
        raise ContentError(
            Location(path, record.line_of("year")),
            f"'year' must be a whole number from 1000 to 2100, got '{value}'",
        )
    return int(value)


def _month_of(record: YamlMap, path: str) -> int | None:
    value = optional_text(record, "month", path)
    if value is None:
        return None
    if value.isascii() and value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    number = _MONTHS.get(value.lower().rstrip("."))
    if number is None:
        raise ContentError(
            Location(path, record.line_of("month")),
            f"'month' must be a number from 1 to 12 or an English month name such as 'March', got '{value}'",
        )
    return number


def _key_of(record: YamlMap, path: str) -> str:
    """Return the citation key: ``key`` if given, else one made from the file name."""
    value = optional_text(record, "key", path)
    if value is not None:
        if not _KEY.fullmatch(value):
            raise ContentError(
                Location(path, record.line_of("key")),
                f"'key' '{value}' contains characters a citation key cannot have; "
                "use letters, digits and - _ . : / +",
            )
        return value
    derived = citation_key_from_path(path)
    if not derived:
        raise ContentError(
            Location(path, record.line),
            "no citation key can be made from the file name; add 'key:' to the record",
        )
    return derived


def citation_key_from_path(path: str) -> str:
    """Return a citation key made from a file name: ``papers/Müller 2020.yaml`` gives ``Muller-2020``."""
    stem = PurePosixPath(path).stem
    return _NOT_KEY_CHARACTERS.sub("-", unidecode(stem)).strip("-")


def _extra_fields(record: YamlMap, path: str) -> dict[str, str]:
    """Return the ``bibtex:`` mapping as export fields with lower-case names."""
    extra = optional_mapping(record, "bibtex", path)
    fields: dict[str, str] = {}
    for name, value in extra.items():
        line = extra.line_of(name)
        field_name = name.strip().lower()
        if not _BIBTEX_FIELD_NAME.fullmatch(field_name):
            raise ContentError(
                Location(path, line),
                f"'bibtex' field name '{name}' is invalid; use a letter followed by letters, digits, - or _",
            )
        if field_name in _RESERVED_BIBTEX_FIELDS:
            own_key = {"author": "authors", "keywords": "tags"}.get(field_name, field_name)
            raise ContentError(
                Location(path, line),
                f"'bibtex' field '{field_name}' is set by the record's '{own_key}' key; set it there",
            )
        if field_name in fields:
            raise ContentError(Location(path, line), f"'bibtex' field '{field_name}' is given twice; keep one of them")
        if not isinstance(value, str):
            kind = "a list" if isinstance(value, list) else "a mapping"
            raise ContentError(Location(path, line), f"'bibtex' field '{field_name}' must be text, got {kind}")
        fields[field_name] = value.strip()
    return fields


def _links_of(
    record: YamlMap, fields: dict[str, str], arxiv_id: str | None, path: str, report: Report
) -> list[Link]:
    """Build the paper's links from the export fields, and warn about values that cannot be linked."""
    links: list[Link] = []

    doi = fields.get("doi")
    if doi is not None:
        url = doi_url(doi)
        if url is None:
            report.warn(
                Location(path, record.line_of("doi")),
                f"'doi': invalid DOI '{doi}'; it is not linked",
            )
        else:
            links.append(Link("doi", url))

    if arxiv_id is not None:
        links.append(Link("arxiv", f"https://arxiv.org/abs/{arxiv_id}"))

    # TODO: accept a site path for ``pdf`` once the writer copies local files;
    # until then only http(s) and mailto URLs are linked.
    for name in ("url", "pdf", "code"):
        raw = fields.get(name)
        if raw is None:
            continue
        url = safe_url(raw)
        if url is None:
            report.warn(
                Location(path, record.line_of(name)),
                f"'{name}': '{raw}' is not an http, https or mailto URL; it is not linked",
            )
        elif all(link.url != url for link in links):
            links.append(Link(name, url))
    return links


def _arxiv_id(fields: dict[str, str]) -> str | None:
    """Return the arXiv identifier from ``eprint`` with an arXiv archive, an arXiv DOI or an arXiv URL."""
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    eprint = fields.get("eprint", "")
    if archive == "arxiv" and _ARXIV_ID.fullmatch(eprint):
        return eprint
    doi = normalize_doi(fields.get("doi", ""))
    doi_match = _ARXIV_DOI.fullmatch(doi or "")
    if doi_match and _ARXIV_ID.fullmatch(doi_match.group(1)):
        return doi_match.group(1)
    url_match = _ARXIV_URL.fullmatch(fields.get("url", ""))
    if url_match and _ARXIV_ID.fullmatch(url_match.group(1)):
        return url_match.group(1)
    return None


def make_record(relative: str, text: str, limits: Limits) -> LoadedPaper:
    """Return the paper of one YAML record's text, with the problems found in it; None when it cannot be shown."""
    report = Report()
    try:
        paper: Paper | None = load_paper_record(text, relative, report, limits)
    except ContentError as exc:
        report.error(exc.location, exc.message)
        paper = None
    return paper, report.items


def load_paper_file(config: SiteConfig, relative: str) -> LoadedPaper:
    """Read one YAML paper file; the paper is None when the file cannot be shown."""
    report = Report()
    text = read_text(config, relative, config.limits.max_yaml_bytes, report)
    if text is None:
        return None, report.items
    paper, diagnostics = make_record(relative, text, config.limits)
    return paper, [*report.items, *diagnostics]

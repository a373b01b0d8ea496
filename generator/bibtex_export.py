"""Export stage: BibTeX text for a list of papers.

Writes each paper's fields in their source (LaTeX) form, in a stable order,
without the fields the site keeps private. Knows nothing about pages.
"""

from __future__ import annotations

import re

from .config import SiteConfig
from .loading.bibtex_values import MONTH_MACROS, brace_balance
from .model import Paper

# Fields first in this order; all others follow alphabetically.
FIELD_ORDER = (
    "author", "editor", "title", "subtitle", "booktitle", "journal", "journaltitle", "series",
    "volume", "number", "issue", "pages", "publisher", "institution", "school", "organization",
    "address", "location", "year", "month", "date", "doi", "eprint", "eprinttype", "archiveprefix",
    "primaryclass", "url", "urldate", "pdf", "code", "isbn", "issn", "note", "keywords", "abstract",
)
_RANK = {name: index for index, name in enumerate(FIELD_ORDER)}
_SAFE_KEY = re.compile(r"[^\s,{}()=\"#%'~\\]+")


def export_key(paper: Paper) -> str:
    """Return the citation key as written, or a cleaned form if it cannot stand in BibTeX."""
    if _SAFE_KEY.fullmatch(paper.key):
        return paper.key
    cleaned = re.sub(r"[\s,{}()=\"#%'~\\]+", "_", paper.key).strip("_")
    return cleaned or "paper"


def _value(text: str) -> str:
    # A value with unbalanced braces cannot be written between braces; such
    # braces were reported at load time, and are dropped here so the file parses.
    if brace_balance(text) != 0:
        text = text.replace("\\{", "\0").replace("\\}", "\1").replace("{", "").replace("}", "")
        text = text.replace("\0", "\\{").replace("\1", "\\}")
    return "{" + text + "}"


def format_entry(paper: Paper, private: frozenset[str]) -> str:
    """Return one BibTeX entry for a paper."""
    names = [name for name in paper.fields if name not in private and paper.fields[name].strip() != ""]
    names.sort(key=lambda name: (_RANK.get(name, len(_RANK)), name))
    width = max((len(name) for name in names), default=0)
    lines = [f"@{paper.entry_type}{{{export_key(paper)},"]
    for name in names:
        value = paper.fields[name]
        if name == "month" and value.strip().lower() in MONTH_MACROS:
            rendered = value.strip().lower()
        else:
            rendered = _value(value)
        lines.append(f"  {name.ljust(width)} = {rendered},")
    lines.append("}")
    return "\n".join(lines) + "\n"


# Entries kept per process, so that a worker's memory stays flat on a large site.
_CACHED_ENTRIES = 20_000


class BibExporter:
    """Formats papers for one site's export settings."""

    def __init__(self, config: SiteConfig) -> None:
        private = set(config.private_fields)
        if not config.export_abstracts:
            private.add("abstract")
        self.private = frozenset(private)
        # Each paper is exported on its own page and in several lists; format it once per build.
        self._entries: dict[str, str] = {}

    def entry(self, paper: Paper) -> str:
        """Return one paper's entry, formatted once per build."""
        text = self._entries.get(paper.key)
        if text is None:
            text = format_entry(paper, self.private)
            if len(self._entries) >= _CACHED_ENTRIES:
                self._entries.clear()
            self._entries[paper.key] = text
        return text

    def __call__(self, papers: list[Paper]) -> str:
        """Return the BibTeX for ``papers``, one entry after another."""
        return "\n".join(self.entry(paper) for paper in papers)

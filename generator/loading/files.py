"""Loading stage: read one content file as text, within the site's size limit.

Problems are reported at the file (and line, for bad UTF-8). Knows nothing
about what the text holds.
"""

from __future__ import annotations

from pathlib import Path

from ..config import SiteConfig
from ..diagnostics import Location, Report


def leads_outside(path: Path, root: Path) -> bool:
    """Tell whether ``path`` is a symbolic link to something outside the folder ``root`` (given resolved)."""
    return path.is_symlink() and not path.resolve().is_relative_to(root)


def read_text(config: SiteConfig, relative: str, limit: int, report: Report) -> str | None:
    """Return the text of a content file, or None (with an error in ``report``) when it is too large or not text."""
    path = config.site_dir / relative
    size = path.stat().st_size
    if size > limit:
        report.error(Location(relative), f"file has {size} bytes, more than the limit of {limit}; it is not read (raise limits in site.yaml if it is genuine)")
        return None
    data = path.read_bytes()
    if relative.endswith(".bib"):
        # Imported here: a build that reads no .bib file does not need the BibTeX parser.
        from .bibtex import decode_bytes

        return decode_bytes(data, relative, report)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.error(Location(relative, line), "file is not valid UTF-8; save it as UTF-8")
        return None

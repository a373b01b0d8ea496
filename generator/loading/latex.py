"""Text decoding for field values: LaTeX to Unicode text and safe HTML.

Placeholder interface; the real decoder replaces these bodies.
"""

from __future__ import annotations

from markupsafe import escape

from ..model import Text


def decode_latex(source: str) -> Text:
    """Decode a BibTeX field value written in LaTeX."""
    return Text(source, source, str(escape(source)))


def decode_markup(source: str) -> Text:
    """Decode a YAML text value: plain Unicode with TeX math and \\url{} allowed."""
    return Text(source, source, str(escape(source)))


def decode_plain(source: str) -> str:
    """Decode LaTeX to plain Unicode text (no markup), for names and keys."""
    return source

"""URL checks shared by the loaders: which outgoing links a page may contain.

Pure string functions with no I/O. They decide only whether a URL is safe to
put in an ``href``, and they do not depend on papers or templates.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes an outgoing link may use. Anything else (javascript:, data:, file: ...) is rejected."""

# Browsers strip leading and trailing C0 controls and spaces and delete every
# tab and newline before they read the scheme (WHATWG URL standard, "basic URL
# parser"), so ` java\tscript:` runs as javascript:. The same clean-up is
# applied here before the scheme is checked.
_EDGE_CHARACTERS = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")

# A DOI is "10.", a registrant code of digits (possibly with subdivisions), a
# slash and a non-empty suffix. The suffix may contain almost any printable
# character, so only white space and controls are excluded.
_DOI = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/\S+")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
# Characters of RFC 3986 path segments that DOIs use often and that need no
# escaping. Everything else (#, ?, %, < ...) is percent-encoded.
_DOI_SAFE = "/:;()@!$*+,="


def clean_url(raw: str) -> str:
    """Return ``raw`` as a browser reads it: edge controls and spaces stripped, tabs and newlines removed."""
    return _TAB_OR_NEWLINE.sub("", raw.strip(_EDGE_CHARACTERS))


def url_scheme(url: str) -> str | None:
    """Return the lower-case scheme of a cleaned URL, or None for a relative reference."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def _has_invisible_characters(text: str) -> bool:
    """Return True for controls, format characters (bidi overrides, zero-width) and white space."""
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"} for ch in text)


def safe_url(raw: str) -> str | None:
    """Return ``raw`` normalised as an absolute http, https or mailto URL, or None if it is not one.

    The scheme is lower-cased. Relative and protocol-relative references
    (``//host``), other schemes, URLs with user names (``https://a@b``) and
    URLs that still contain controls or white space after clean-up return None.
    """
    url = clean_url(raw)
    scheme = url_scheme(url)
    if scheme not in SAFE_SCHEMES or _has_invisible_characters(url):
        return None
    rest = url[len(scheme) + 1 :]

    if scheme == "mailto":
        return f"mailto:{rest}" if rest else None

    # Browsers treat a backslash like a slash in http(s) URLs.
    if not rest.replace("\\", "/").startswith("//"):
        return None
    try:
        parts = urlsplit(f"{scheme}:{rest.replace(chr(92), '/')}")
        hostname = parts.hostname
    except ValueError:
        return None
    if not hostname or "@" in parts.netloc:
        return None
    return f"{scheme}:{rest}"


def normalize_doi(raw: str) -> str | None:
    """Return the bare DOI (``10.1000/xyz``) from a DOI, ``doi:`` form or doi.org URL, or None if it is not a DOI."""
    doi = raw.strip()
    lowered = doi.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            doi = doi[len(prefix) :].strip()
            break
    if not _DOI.fullmatch(doi) or _has_invisible_characters(doi):
        return None
    return doi


def doi_url(doi: str) -> str | None:
    """Return the ``https://doi.org/`` URL for a DOI, percent-encoded, or None if it is not a DOI."""
    bare = normalize_doi(doi)
    if bare is None:
        return None
    return "https://doi.org/" + quote(bare, safe=_DOI_SAFE)


def safe_site_path(raw: str) -> str | None:
    """Return ``raw`` if it is a path inside the site (``images/me.jpg``, ``/files/cv.pdf``), else None.

    Paths with a scheme, a leading ``//`` or backslash, a ``..`` segment,
    controls or white space return None.
    """
    path = raw.strip()
    if not path or clean_url(path) != path or _has_invisible_characters(path):
        return None
    if url_scheme(path) is not None or "\\" in path or path.startswith("//"):
        return None
    before_query = re.split(r"[?#]", path, maxsplit=1)[0]
    if ".." in before_query.split("/"):
        return None
    return path

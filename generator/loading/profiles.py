"""Loading stage for ``content/authors/*.yaml``: details of the site's own people.

Checks the profile schema and renders the Markdown bio to safe HTML. It does not
depend on papers or on which author page a profile will join.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from ..config import Limits
from ..diagnostics import ContentError, Location, Report
from ..links import clean_url, safe_site_path, safe_url, url_scheme
from ..model import Link, Profile
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

ALLOWED_KEYS = frozenset({"name", "aliases", "affiliation", "photo", "links", "bio"})
"""Keys a profile may contain. Any other key is an error."""


def is_safe_bio_link(url: str) -> bool:
    """Return True for a bio link or image that is http(s), mailto, or a reference inside the site.

    Protocol-relative references (``//host``) are rejected like every other
    scheme that is not http, https or mailto.
    """
    cleaned = clean_url(url)
    if url_scheme(cleaned) is None:
        # A colon before the first '/', '?' or '#' makes a scheme in all but
        # name: markdown-it percent-encodes `JaVa&#9;ScRiPt:` into
        # `JaVa%09ScRiPt:`, which is no link a bio means to make.
        first_segment = re.split(r"[/?#]", cleaned, maxsplit=1)[0]
        if ":" in first_segment:
            return False
        # Browsers read a backslash as a slash, so /\host is protocol-relative too.
        return not cleaned.replace("\\", "/").startswith("//")
    return safe_url(cleaned) is not None


class BioMarkdown(MarkdownIt):
    """A CommonMark renderer with raw HTML disabled whose links must pass is_safe_bio_link.

    markdown-it-py's own check (version 4) rejects only javascript:,
    vbscript:, file: and most data: URLs. This one allows only the schemes the
    site links to anyway. Rejected links stay as text and are listed in
    ``rejected``.
    """

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": False})
        self.rejected: list[str] = []

    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it-py's method name
        """Return True when ``url`` may appear in an href or src, and record it in ``rejected`` otherwise."""
        if is_safe_bio_link(url):
            return True
        self.rejected.append(url)
        return False


def render_bio(markdown: str) -> tuple[str, list[str]]:
    """Render a Markdown bio to an HTML fragment and return it with the links that were left out.

    Raw HTML is escaped, and a rejected link or image stays as its Markdown text.
    """
    renderer = BioMarkdown()
    html: str = renderer.render(markdown)
    # The inline parser may check one destination more than once.
    return html, list(dict.fromkeys(renderer.rejected))


def load_profile(text: str, path: str, report: Report, limits: Limits = Limits()) -> Profile:
    """Read one profile from the YAML ``text`` of the file at ``path``.

    Raises ContentError for a profile that cannot be used: invalid YAML, an
    unknown key, a missing name or a value of the wrong kind. Unsafe links
    and photos are left out with a warning in ``report``, and a bio longer
    than ``limits.max_field_chars`` is cut with a warning.
    """
    record = require_mapping(load_yaml(text, path, max_bytes=limits.max_yaml_bytes), path, "a profile file")
    check_keys(record, ALLOWED_KEYS, path)

    name = required_text(record, "name", path)
    aliases = [alias for alias, _ in optional_text_list(record, "aliases", path)]
    bio_html = ""
    bio = optional_text(record, "bio", path)
    if bio is not None and len(bio) > limits.max_field_chars:
        # Markdown parsing time grows with the bio's length: 400,000 characters
        # of "![" took about 6 s with markdown-it-py on a 2-core machine.
        report.warn(
            Location(path, record.line_of("bio")),
            f"'bio' has {len(bio)} characters; it is cut to {limits.max_field_chars} "
            "(raise limits.max_field_chars in site.yaml if it is genuine)",
        )
        bio = bio[: limits.max_field_chars]
    if bio is not None:
        bio_html, rejected = render_bio(bio)
        for url in rejected:
            report.warn(
                Location(path, record.line_of("bio")),
                f"'bio': link '{url}' is not an http, https or mailto URL or a path inside the site; "
                "it is shown as text",
            )

    return Profile(
        name=name,
        bio_html=bio_html,
        affiliation=optional_text(record, "affiliation", path) or "",
        photo=_photo_of(record, path, report),
        links=_links_of(record, path, report),
        aliases=aliases,
        location=Location(path, record.line),
    )


def _photo_of(record: YamlMap, path: str, report: Report) -> str:
    """Return the photo as a site path or https URL, or "" with a warning when it is neither."""
    raw = optional_text(record, "photo", path)
    if raw is None:
        return ""
    site_path = safe_site_path(raw)
    if site_path is not None:
        # TODO: check that the file exists in the site; a missing one is now a broken image.
        return site_path
    url = safe_url(raw)
    if url is not None and url.startswith("https:"):
        return url
    report.warn(
        Location(path, record.line_of("photo")),
        f"'photo': '{raw}' is neither a path inside the site nor an https URL; no photo is shown",
    )
    return ""


def _links_of(record: YamlMap, path: str, report: Report) -> list[Link]:
    """Return the ``links`` mapping as Link(label, url) in file order, skipping unsafe URLs."""
    mapping = optional_mapping(record, "links", path)
    links: list[Link] = []
    for label, value in mapping.items():
        line = mapping.line_of(label)
        if not isinstance(value, str):
            kind = "a list" if isinstance(value, list) else "a mapping"
            raise ContentError(Location(path, line), f"link '{label}' must be a URL, got {kind}")
        url = safe_url(value)
        if url is None:
            report.warn(
                Location(path, line),
                f"link '{label}': '{value.strip()}' is not an http, https or mailto URL; it is not linked",
            )
            continue
        links.append(Link(label.strip(), url))
    return links

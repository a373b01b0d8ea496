"""Site configuration: the typed schema of ``site.yaml`` and its validation.

Produces a ``SiteConfig`` and does not depend on content or output.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .diagnostics import ConfigError, ContentError, Diagnostic, Location, Severity

DEFAULT_PRIVATE_FIELDS = (
    "file",
    "annote",
    "annotation",
    "owner",
    "timestamp",
    "date-added",
    "date-modified",
    "bdsk-file-1",
    "bdsk-url-1",
    "mendeley-groups",
    "mendeley-tags",
    "read",
)


@dataclass(frozen=True)
class Limits:
    """Size limits that keep hostile or broken input from exhausting time or memory."""

    max_file_bytes: int = 64 * 1024 * 1024
    """Largest content file read, in bytes; larger files are skipped with an error."""
    max_yaml_bytes: int = 1024 * 1024
    """Largest YAML record or profile, in bytes."""
    max_field_chars: int = 100_000
    """Maximum length of a field value, in characters; longer values are truncated with a warning."""
    max_authors: int = 200
    """Maximum number of authors kept for one paper; the rest are dropped with a warning.

    Every author gets a page that lists the paper with its authors, so page
    output grows with the square of this number.
    """


@dataclass(frozen=True)
class SiteConfig:
    """Validated ``site.yaml``. Paths are absolute; every other field has a default."""

    title: str
    """Site title, shown in the header and in `<title>`."""
    site_dir: Path
    """The folder that contains ``site.yaml``; ``content/`` and ``templates/`` are found here."""
    base_url: str = "/"
    """Publication address of the site: a path prefix (``/profile/``) or a full URL."""
    description: str = ""
    """One sentence about the site, for the home page and meta tags."""
    owners: tuple[str, ...] = ()
    """Names of the site's own people; their papers make the home page."""
    output_dir: Path = Path("_site")
    """Folder for the built site."""
    language: str = "en"
    """Language of the site's own words; selects ``templates/i18n/<language>.yaml``."""
    private_fields: tuple[str, ...] = DEFAULT_PRIVATE_FIELDS
    """BibTeX fields left out of every export."""
    export_abstracts: bool = True
    """Whether exported BibTeX keeps the ``abstract`` field."""
    home_papers: int = 50
    """Number of newest papers on the home page of a site without owners; 0 lists every paper."""
    limits: Limits = field(default_factory=Limits)
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Free-form data for templates, available as ``config.extra``."""

    @property
    def content_dir(self) -> Path:
        """The folder with papers, .bib files and profiles."""
        return self.site_dir / "content"

    @property
    def templates_dir(self) -> Path:
        """The site's own templates; missing templates fall back to the defaults."""
        return self.site_dir / "templates"

    @property
    def base_path(self) -> str:
        """The URL path prefix of the site, always with a leading and a trailing slash."""
        path = urllib.parse.urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def absolute_base(self) -> str:
        """The full base URL with a trailing slash, or "" when only a path prefix is known."""
        parts = urllib.parse.urlsplit(self.base_url)
        if not parts.scheme:
            return ""
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, self.base_path, "", ""))


_STRING_KEYS = {"title", "base_url", "description", "output", "language"}
_KNOWN_KEYS = _STRING_KEYS | {"owners", "owner", "private_fields", "export_abstracts", "home_papers", "limits", "extra"}


def parse_config(data: object, site_dir: Path, path: str = "site.yaml") -> SiteConfig:
    """Validate the mapping read from ``site.yaml`` and return the configuration.

    Every bad key is reported in one ``ConfigError``, each with its key path
    and line.
    """
    problems: list[Diagnostic] = []

    def bad(key_path: str, message: str, line: int | None = None) -> None:
        problems.append(Diagnostic(Location(path, line), Severity.ERROR, f"{key_path}: {message}"))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([Diagnostic(Location(path, 1), Severity.ERROR, "site.yaml must be a mapping of keys to values")])

    def line_of(key: str) -> int | None:
        finder = getattr(data, "line_of", None)
        return finder(key) if finder else None

    values: dict[str, Any] = {}
    for key, value in data.items():
        line = line_of(key)
        if key not in _KNOWN_KEYS:
            allowed = ", ".join(sorted(_KNOWN_KEYS))
            bad(key, f"unknown key (allowed: {allowed}); put theme data under 'extra'", line)
        elif key in _STRING_KEYS:
            if not isinstance(value, str) or (key == "title" and not value.strip()):
                bad(key, "must be a non-empty string" if key == "title" else "must be a string", line)
            else:
                values[key] = value
        elif key in ("owners", "owner"):
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
                bad(key, "must be a name or a list of names", line)
            else:
                values["owners"] = tuple(values.get("owners", ())) + tuple(n.strip() for n in names)
        elif key == "private_fields":
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                bad(key, "must be a list of BibTeX field names", line)
            else:
                values[key] = tuple(dict.fromkeys(n.strip().lower() for n in value))
        elif key == "export_abstracts":
            flag = _parse_bool(value)
            if flag is None:
                bad(key, "must be true or false", line)
            else:
                values[key] = flag
        elif key == "home_papers":
            text = str(value).strip()
            if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
                bad(key, f"must be a whole number, 0 or more (got {value!r})", line)
            else:
                values[key] = int(text)
        elif key == "limits":
            values[key] = _parse_limits(value, bad, getattr(value, "line_of", None))
        elif key == "extra":
            if not isinstance(value, dict):
                bad(key, "must be a mapping", line)
            else:
                values[key] = value

    if "title" not in data:
        bad("title", "missing; every site needs a title", getattr(data, "line", 1))
    base_url = values.get("base_url", "/")
    try:
        parts = urllib.parse.urlsplit(base_url)
    except ValueError:
        # urlsplit rejects a malformed IPv6 host ("http://[x/"); the check below reports it.
        parts = urllib.parse.SplitResult("invalid", "", "", "", "")
    if (
        parts.scheme not in ("", "http", "https")
        or (parts.scheme and not parts.netloc)
        or (not parts.scheme and not base_url.startswith("/"))
        or base_url.startswith("//")
        or any(ch.isspace() or not ch.isprintable() or ch in "\"'<>\\" for ch in base_url)
    ):
        bad("base_url", f"invalid URL {base_url!r}; use a path such as /profile/ or an http(s) URL", line_of("base_url"))
    output = values.pop("output", "_site")
    output_dir = (site_dir / output).resolve()
    if output_dir == site_dir.resolve() or site_dir.resolve().is_relative_to(output_dir):
        bad("output", f"{output!r} would replace the site folder itself; choose a subfolder such as _site", line_of("output"))
    elif (site_dir / "content").resolve().is_relative_to(output_dir) or output_dir.is_relative_to((site_dir / "content").resolve()):
        bad("output", f"{output!r} overlaps content/; choose a folder outside content/", line_of("output"))

    if problems:
        raise ConfigError(problems)
    return SiteConfig(site_dir=site_dir.resolve(), output_dir=output_dir, **values)


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "false", "no", "off"):
        return value.lower() in ("true", "yes", "on")
    return None


def _parse_limits(value: object, bad: Any, line_of: Any) -> Limits:
    if not isinstance(value, dict):
        bad("limits", "must be a mapping")
        return Limits()
    known = {f.name for f in dataclasses.fields(Limits)}
    parsed: dict[str, int] = {}
    for key, raw in value.items():
        line = line_of(key) if line_of else None
        if key not in known:
            bad(f"limits.{key}", f"unknown key (allowed: {', '.join(sorted(known))})", line)
            continue
        try:
            number = int(str(raw))
        except ValueError:
            bad(f"limits.{key}", f"must be a whole number, got {raw!r}", line)
            continue
        if number <= 0:
            bad(f"limits.{key}", f"must be positive, got {number}", line)
            continue
        parsed[key] = number
    return Limits(**parsed)


def load_config(config_path: Path, overrides: Mapping[str, object] | None = None) -> SiteConfig:
    """Read and validate ``site.yaml``; raise ``ConfigError`` listing every problem.

    ``overrides`` (from the command line) replace keys of the file before
    validation, so they are checked like the file's own values.
    """
    from .loading.safe_yaml import load_yaml

    display = config_path.name
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Diagnostic(Location(str(config_path)), Severity.ERROR, "configuration file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Diagnostic(Location(display), Severity.ERROR, f"not valid UTF-8 ({exc.reason})")]) from None
    try:
        data = load_yaml(text, display)
    except ContentError as exc:
        raise ConfigError([Diagnostic(exc.location, Severity.ERROR, exc.message)]) from None
    if overrides and isinstance(data, dict):
        data.update(overrides)
    return parse_config(data, config_path.parent, display)

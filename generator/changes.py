"""Change detection: decides whether any input of a site changed since its last build.

The inputs are every file under ``content/``, the site's ``templates/``,
the default templates, bibfolio's own code, and the configuration. A file counts as unchanged
when its size, modification time and inode are, as with make.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .config import SiteConfig
from .rendering import DEFAULT_TEMPLATES

Signature = tuple[int, int, int]
"""A file's size, modification time in nanoseconds and inode."""


@dataclass(frozen=True)
class Inputs:
    """The signatures of every input of one build, which change when a file does."""

    fingerprint: str
    """Digest of every input: equal fingerprints mean nothing changed."""
    settings: str
    """Digest of every input but the content files: configuration, templates and code."""
    content: dict[str, Signature]
    """Signature of each file under ``content/``, by path relative to the site folder."""


def _walk(root: Path, hasher: "hashlib.blake2b") -> None:
    if not root.is_dir():
        hasher.update(f"missing:{root}\n".encode())
        return
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            hasher.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\n".encode("utf-8", "surrogateescape"))


def _content_signatures(config: SiteConfig) -> dict[str, Signature]:
    root = config.content_dir
    signatures: dict[str, Signature] = {}
    if not root.is_dir():
        return signatures
    prefix = os.path.relpath(root, config.site_dir)
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        relative_folder = os.path.normpath(os.path.join(prefix, os.path.relpath(folder, root)))
        for name in sorted(filenames):
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            relative = os.path.join(relative_folder, name).replace(os.sep, "/")
            signatures[relative] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return signatures


def scan_inputs(config: SiteConfig) -> Inputs:
    """Return the signatures of every input of ``config``'s site.

    NOTE: an edit that keeps a file's size, modification time and inode goes
    unnoticed. Only a deliberately reset time does that; ``bibfolio build
    --clean`` forces a full build.
    """
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"{__version__}\0{config!r}\n".encode("utf-8", "surrogateescape"))
    # bibfolio's own code counts too, so a changed generator never reuses old output.
    roots = [config.templates_dir, Path(__file__).resolve().parent]
    if DEFAULT_TEMPLATES != config.templates_dir.resolve():
        roots.append(DEFAULT_TEMPLATES)
    for root in roots:
        _walk(root, hasher)
    settings = hasher.hexdigest()
    content = _content_signatures(config)
    hasher.update(f"content:{config.content_dir.is_dir()}\n".encode())
    for path, (size, modified, inode) in content.items():
        hasher.update(f"{path}\0{size}\0{modified}\0{inode}\n".encode("utf-8", "surrogateescape"))
    return Inputs(hasher.hexdigest(), settings, content)

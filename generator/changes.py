"""Change detection: decides whether any input of a site changed since its last build.

The inputs are every file under ``content/``, the site's ``templates/``,
the default templates, bibfolio's own code, and the configuration. A file counts as unchanged
when its size, modification time and inode are, as with make.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import __version__
from .config import SiteConfig
from .rendering import DEFAULT_TEMPLATES


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


def input_fingerprint(config: SiteConfig) -> str:
    """Return a digest that changes whenever an input file or setting changes.

    NOTE: an edit that keeps a file's size, modification time and inode goes
    unnoticed. Only a deliberately reset time does that; ``bibfolio build
    --clean`` forces a full build.
    """
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"{__version__}\0{config!r}\n".encode("utf-8", "surrogateescape"))
    # bibfolio's own code counts too, so a changed generator never reuses old output.
    roots = [config.content_dir, config.templates_dir, Path(__file__).resolve().parent]
    if DEFAULT_TEMPLATES != config.templates_dir.resolve():
        roots.append(DEFAULT_TEMPLATES)
    for root in roots:
        _walk(root, hasher)
    return hasher.hexdigest()

"""URL slugs: lower-case ASCII words joined by hyphens, stable and distinct.

A slug depends only on the item it names. When two items would get the
same slug, each item that is not the plain ASCII spelling gets a short
suffix derived from its own identity. So adding unrelated content never
changes an existing URL.
"""

from __future__ import annotations

import hashlib
import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Names that Windows refuses as file or folder names, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(text: str, max_length: int = 80) -> str:
    """Return ``text`` as a slug, cut at a word boundary to ``max_length`` characters.

    The result may be empty when the text has no letters or digits at all.
    """
    ascii_text = (text if text.isascii() else unidecode(text)).lower().replace("'", "")
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:max_length]
    if slug in _RESERVED:
        slug += "-x"
    return slug


def short_hash(identity: str, length: int = 6) -> str:
    """Return a short stable hex digest of ``identity``."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:length]


def base_slug(identity: str, text: str, fallback: str) -> str:
    """Return the slug that ``text`` claims, before clashes are settled."""
    return slugify(text) or f"{fallback}-{short_hash(identity)}"


def assign_slugs(items: dict[str, tuple[str, str]], fallback: str) -> dict[str, str]:
    """Give each item a distinct slug.

    ``items`` maps an identity (unique, stable) to ``(text, plain_form)``:
    ``text`` is slugified, and ``plain_form`` decides who keeps the bare slug
    on a clash: only an item whose ``plain_form`` is already pure ASCII does.
    Slugs are compared case-insensitively, so no two differ only by case.
    """
    claims: dict[str, list[str]] = {}
    for identity, (text, _plain) in items.items():
        base = base_slug(identity, text, fallback)
        claims.setdefault(base, []).append(identity)

    slugs: dict[str, str] = {}
    for base, identities in claims.items():
        if len(identities) == 1:
            slugs[identities[0]] = base
            continue
        ascii_owners = sorted(i for i in identities if items[i][1].isascii())
        keeper = ascii_owners[0] if ascii_owners else None
        for identity in identities:
            slugs[identity] = base if identity == keeper else f"{base}-{short_hash(identity)}"
    return slugs

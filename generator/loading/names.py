"""Loading stage: split BibTeX author and editor lists into `PersonName`s.

Splitting and the First/von/Last/Jr grammar come from bibtexparser, and this
module decodes each part to Unicode. It does not read entries, files or pages.
"""

from __future__ import annotations

import functools
import re

from bibtexparser.middlewares.names import (
    InvalidNameError,
    NameParts,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from ..model import PersonName
from .latex import decode_plain

# A final "and others" (BibTeX's own marker) or "and et al." ends the list.
_ET_AL = re.compile(r"(?:others|et\.?[\s~]*al\.?)", re.IGNORECASE)

# Han ideographs (with extensions and compatibility forms), kana and Hangul.
_CJK_CHAR = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)

# Generational suffixes. "I", "V" and "VI" are left out because they are also
# initials or given names.
_SUFFIX = re.compile(r"(?i:jr|sr|jnr|snr)\.?|II|III|IV")

_CACHE_SIZE = 1 << 15


class MalformedNameError(ValueError):
    """A name that BibTeX's name grammar cannot split, such as one with three commas.

    The error carries the result with each such name kept whole as a literal
    name, so a caller can report the message and still build the page.
    """

    def __init__(self, message: str, names: list[PersonName], et_al: bool) -> None:
        super().__init__(message)
        self.names = names
        """The complete author list, with each malformed name as a literal name."""
        self.et_al = et_al
        """Whether the list ended in ``and others``."""


def parse_names(source: str) -> tuple[list[PersonName], bool]:
    """Split a BibTeX author list on ``and`` and return the names and whether it ended in ``and others``.

    Raises `MalformedNameError` if a name cannot be split into parts. The
    error's ``names`` and ``et_al`` hold the whole list, with each malformed
    name kept as a literal name, and its message names every such name.
    """
    parts = split_multiple_persons_names(source)
    et_al = len(parts) > 1 and _ET_AL.fullmatch(parts[-1].strip()) is not None
    if et_al:
        parts = parts[:-1]

    names: list[PersonName] = []
    problems: list[str] = []
    for part in parts:
        try:
            names.append(parse_name(part))
        except MalformedNameError as error:
            names.extend(error.names)
            problems.append(str(error))

    if problems:
        raise MalformedNameError("; ".join(problems), names, et_al)
    return names, et_al


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_name(source: str) -> PersonName:
    """Parse one name (``First von Last``, ``von Last, First`` or ``von Last, Jr, First``).

    A name that is one braced group, such as ``{Open Science Collaboration}``,
    becomes a literal name. Raises `MalformedNameError` for a name that the
    grammar rejects (an unbalanced brace, more than two commas, or a trailing
    comma), and the error's ``names`` contains the name kept whole as a literal.
    """
    written = " ".join(source.split())
    try:
        parts = parse_single_name_into_parts(written, strict=True)
    except InvalidNameError as error:
        fallback = PersonName(literal=_decode_words([written]), source=written)
        message = (
            f"invalid name '{_shorten(written)}' ({error.reason.lower()}), "
            f"so it is shown unsplit as '{_shorten(fallback.literal)}'"
        )
        raise MalformedNameError(message, [fallback], et_al=False) from error

    if _is_single_group(written):
        return PersonName(literal=_decode_words([written]), source=written)
    return _person_name(_move_suffix_to_jr(parts, written), written)


def _shorten(text: str, limit: int = 80) -> str:
    """Return ``text`` cut to ``limit`` characters with an ellipsis, so a huge value keeps messages short."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _move_suffix_to_jr(parts: NameParts, written: str) -> NameParts:
    """Read ``Martin Luther King, Jr.`` as First Last, Jr rather than BibTeX's Last, First.

    BibTeX would make ``Jr.`` the first name. The reading applies only when
    the text after the one comma is a generational suffix and the text before
    it has several words.
    """
    head, comma, tail = written.partition(",")
    if not comma or "," in tail or "{" in head or not _SUFFIX.fullmatch(tail.strip()):
        return parts
    if len(head.split()) < 2:
        return parts
    moved = parse_single_name_into_parts(head, strict=True)
    moved.jr = [tail.strip()]
    return moved


def _person_name(parts: NameParts, source: str) -> PersonName:
    first = _decode_words(parts.first)
    last = _decode_words(parts.last)
    return PersonName(
        first=first,
        von=_decode_words(parts.von),
        last=last,
        jr=_decode_words(parts.jr),
        cjk=_is_cjk(first + last),
        source=source,
    )


def _decode_words(words: list[str]) -> str:
    # A tie inside braces decodes to a no-break space. It is an ordinary
    # space in a name, or equal names would get different keys.
    return " ".join(decode_plain(" ".join(words)).split())


def _is_single_group(name: str) -> bool:
    """Tell whether `name` is one brace group from its first to its last character."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for index, char in enumerate(name):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index == len(name) - 1
    return False


def _is_cjk(text: str) -> bool:
    """Tell whether every letter of `text` is Chinese, Japanese or Korean (and there is one)."""
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(_CJK_CHAR.match(char) for char in letters)


def initials(name: PersonName) -> str:
    """Return the short form with given names as initials: ``Jean-François Dupont`` gives ``J.-F. Dupont``.

    Literal and CJK names are returned as displayed.
    """
    if name.literal or name.cjk:
        return name.display
    given = " ".join(_initial(word) for word in name.first.split())
    main = " ".join(part for part in (given, name.von, name.last) if part)
    return f"{main}, {name.jr}" if name.jr else main


def _initial(word: str) -> str:
    """Abbreviate one given name, keeping hyphens (``Jean-François`` gives ``J.-F.``)."""
    pieces = []
    for piece in word.split("-"):
        letters = [char for char in piece if char.isalpha()]
        if piece.endswith(".") or not letters:
            pieces.append(piece)
        else:
            pieces.append(letters[0] + ".")
    return "-".join(pieces)

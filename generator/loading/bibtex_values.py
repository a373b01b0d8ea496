"""BibTeX value expressions: macros, ``#`` concatenation and enclosing delimiters.

bibtexparser 2.1 substitutes a macro only when it is the whole value, so
``"ACISP 25: " # acispname`` stays unresolved. This module evaluates such
expressions against the macros of every .bib file of a site. It does not
depend on papers or output.
"""

from __future__ import annotations

import re

MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}


def split_expression(raw: str) -> list[str]:
    """Split a raw value on top-level ``#`` into its parts, keeping each part's delimiters."""
    if "#" not in raw:
        return [raw.strip()]
    parts: list[str] = []
    depth = 0
    in_quotes = False
    start = 0
    for index, char in enumerate(raw):
        if char == "\\":
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0 and (index == 0 or raw[index - 1] != "\\"):
            in_quotes = not in_quotes
        elif char == "#" and depth == 0 and not in_quotes:
            parts.append(raw[start:index].strip())
            start = index + 1
    parts.append(raw[start:].strip())
    return parts


def evaluate(raw: str, macros: dict[str, str]) -> tuple[str, list[str]]:
    """Evaluate a raw field value; return its text and the names of undefined macros.

    An undefined macro is kept as its own name, as BibTeX does after warning.
    """
    text: list[str] = []
    missing: list[str] = []
    for part in split_expression(raw):
        if not part:
            continue
        if (part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"' and len(part) >= 2):
            text.append(part[1:-1])
        elif part.isdigit():
            text.append(part)
        else:
            name = part.lower()
            if name in macros:
                text.append(macros[name])
            elif name in MONTH_MACROS:
                text.append(MONTH_MACROS[name])
            else:
                missing.append(part)
                text.append(part)
    return "".join(text), missing


# A backslash escapes the character after it, whatever it is.
_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.DOTALL)


def is_month_macro(raw: str) -> bool:
    """Tell whether a raw value is one bare month macro such as ``jan``."""
    return raw.strip().lower() in MONTH_MACROS


def brace_balance(text: str) -> int:
    """Return the number of unclosed ``{`` (negative for extra ``}``), ignoring escaped braces."""
    if "{" not in text and "}" not in text:
        return 0
    depth = 0
    lowest = 0
    # Only escapes and braces matter, so the scan skips every other character.
    for match in _BRACE_OR_ESCAPE.finditer(text):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            lowest = min(lowest, depth)
    return lowest if lowest < 0 else depth

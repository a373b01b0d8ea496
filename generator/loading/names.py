"""Person-name parsing for author lists. Placeholder interface."""

from __future__ import annotations

from ..model import PersonName


def parse_names(source: str) -> tuple[list[PersonName], bool]:
    """Split a BibTeX author list on ``and``; return the names and whether it ended in ``and others``."""
    names = [PersonName(last=part.strip(), source=part.strip()) for part in source.split(" and ")]
    return names, False

"""The generated site's own words (headings, buttons), read from one file per language.

Used by rendering only, and independent of content.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class Words:
    """Site words by key, read as attributes in templates (``words.abstract``).

    A missing key is a template bug and raises an error naming it.
    """

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        # Words stored as attributes are found without calling __getattr__,
        # which templates would otherwise do dozens of times a page.
        for key, value in values.items():
            if key.isidentifier() and not key.startswith("_") and not hasattr(type(self), key):
                self.__dict__[key] = value

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"no site word '{key}' in templates/i18n/en.yaml") from None

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def items(self) -> list[tuple[str, str]]:
        """Return every word as (key, text) pairs."""
        return list(self._values.items())

    def count(self, number: int) -> str:
        """Return "1 paper" or "N papers" in the site's language."""
        if number == 1:
            return self._values["paper_count_one"]
        return self._values["paper_count_many"].format(count=number)


def load_words(language: str, site_templates: Path, default_templates: Path) -> Words:
    """Read the words of ``language``, falling back to English key by key."""
    values: dict[str, str] = {}
    for folder in (default_templates, site_templates):
        for name in ("en", language):
            path = folder / "i18n" / f"{name}.yaml"
            if path.is_file():
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                values.update({str(k): str(v) for k, v in data.items()})
    return Words(values)

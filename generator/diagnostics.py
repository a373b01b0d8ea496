"""Problems found in content, collected across all build stages.

Content problems are the author's to fix and carry a location; bugs in
bibfolio are ordinary exceptions and keep their traceback.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator


class Severity(enum.IntEnum):
    """Severity of a diagnostic. Errors fail the build; warnings fail it only with --strict."""

    WARNING = 1
    ERROR = 2


@dataclass(frozen=True, order=True)
class Location:
    """A place in the content: a path relative to the site folder, and a 1-based line if known."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Diagnostic:
    """One problem: its location, its severity, and a message stating what is wrong and what happens now."""

    location: Location
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.name.lower()}: {self.message}"


class ContentError(Exception):
    """A content problem that stops the current file or record from being read."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class ConfigError(Exception):
    """An invalid site configuration. It stops the build at once, after listing every bad key."""

    def __init__(self, problems: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class BuildFailed(Exception):
    """The build found errors (or warnings under --strict) and wrote nothing."""

    def __init__(self, report: "Report", reason: str) -> None:
        super().__init__(reason)
        self.report = report
        self.reason = reason


@dataclass
class Report:
    """Diagnostics collected during one build, in the order they were found."""

    items: list[Diagnostic] = field(default_factory=list)

    def warn(self, location: Location, message: str) -> None:
        """Record a problem that still allows the page to be built."""
        self.items.append(Diagnostic(location, Severity.WARNING, message))

    def error(self, location: Location, message: str) -> None:
        """Record a problem that fails the build."""
        self.items.append(Diagnostic(location, Severity.ERROR, message))

    def extend(self, other: "Report") -> None:
        """Append the diagnostics of another report."""
        self.items.extend(other.items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Diagnostic]:
        """Return the diagnostics ordered by file and line, so output does not depend on worker order."""
        return sorted(
            set(self.items),
            key=lambda d: (d.location.path, d.location.line or 0, -d.severity, d.message),
        )

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics that fail the build."""
        return [d for d in self.sorted() if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Diagnostics that fail the build only with --strict."""
        return [d for d in self.sorted() if d.severity is Severity.WARNING]

"""The build: runs the stages in order and writes the site only when all went well.

Phases: load content, merge, link, plan, then render, index, export and write
into a staging folder that replaces the output at the end.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .bibtex_export import BibExporter
from .config import SiteConfig
from .diagnostics import BuildFailed, Location, Report
from .linking import link_site
from .loading.content import load_content
from .loading.names import MalformedNameError, parse_name
from .merging import merge_papers, order_for_merging
from .model import PersonName, Site
from .rendering import DEFAULT_TEMPLATES, PagePlan, Renderer, plan_pages
from .search_index import build_search_index
from .writing import OutputWriter

logger = logging.getLogger(__name__)

# Below this many pages, worker processes cost more than they save.
_PARALLEL_PAGES = 400


@dataclass
class BuildResult:
    """What a build produced, for the summary line and for tests."""

    site: Site
    report: Report
    files: int = 0
    written: int = 0
    linked: int = 0
    bytes_written: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    output_dir: Path | None = None


class _Timer:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def phase(self, name: str) -> "_Phase":
        return _Phase(self, name)


class _Phase:
    def __init__(self, timer: _Timer, name: str) -> None:
        self.timer = timer
        self.name = name

    def __enter__(self) -> None:
        self.start = time.perf_counter()
        logger.debug("phase %s started", self.name)

    def __exit__(self, *exc: object) -> None:
        self.timer.phases[self.name] = self.timer.phases.get(self.name, 0.0) + time.perf_counter() - self.start


def _parse_name_leniently(source: str) -> PersonName:
    """Parse a profile or owner name; a malformed one is kept whole, as its loader already reported."""
    try:
        return parse_name(source)
    except MalformedNameError as error:
        return error.names[0] if error.names else PersonName(literal=source.strip(), source=source)


def make_site(config: SiteConfig, report: Report, timer: _Timer | None = None, jobs: int = 1) -> Site:
    """Load and link the content into a complete site model; problems go into ``report``."""
    timer = timer or _Timer()
    with timer.phase("load"):
        content = load_content(config, report, jobs=jobs)
    with timer.phase("model"):
        papers = merge_papers(order_for_merging(content.papers), report)
        site = link_site(papers, content.profiles, config.owners, content.aliases, report, _parse_name_leniently)
    return site


def check_site(config: SiteConfig, strict: bool = False) -> tuple[Site, Report]:
    """Run every check of a build without writing anything."""
    report = Report()
    site = make_site(config, report)
    files = plan_files(site, config, report)
    del files
    return site, report


def plan_files(site: Site, config: SiteConfig, report: Report) -> list[PagePlan]:
    """Plan every output file and report two sources that claim one path."""
    plans = plan_pages(site)
    seen: dict[str, PagePlan] = {}
    unique: list[PagePlan] = []
    for plan in plans:
        folded = plan.output_path.casefold()
        other = seen.get(folded)
        if other is not None:
            report.error(
                Location(plan.source or other.source or "content"),
                f"{plan.source or plan.kind} and {other.source or other.kind} would both write {plan.output_path}; rename one of them",
            )
            continue
        seen[folded] = plan
        unique.append(plan)
    return unique


def static_files(config: SiteConfig) -> dict[str, Path]:
    """Return theme files to copy, the site's own overriding the defaults of the same name."""
    files: dict[str, Path] = {}
    for folder in (DEFAULT_TEMPLATES / "static", config.templates_dir / "static"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                files["static/" + path.relative_to(folder).as_posix()] = path
    return files


def build_site(config: SiteConfig, *, strict: bool = False, jobs: int | None = None) -> BuildResult:
    """Build the site into ``config.output_dir``.

    Raises ``BuildFailed`` (leaving the previous output untouched) when the
    content has errors, or warnings under ``strict``.
    """
    jobs = jobs or os.cpu_count() or 1
    timer = _Timer()
    report = Report()
    site = make_site(config, report, timer, jobs=jobs)
    plans = plan_files(site, config, report)
    _fail_on_problems(report, strict)

    writer = OutputWriter(config.output_dir)
    writer.start()
    try:
        renderer = Renderer(site, config, BibExporter(config))
        with timer.phase("render"):
            counts = _render_all(renderer, writer, plans, jobs)
        with timer.phase("index"):
            for path, data in build_search_index(site, config).items():
                writer.write(path, data)
            for path, source in static_files(config).items():
                writer.copy(path, source)
        with timer.phase("write"):
            writer.publish()
    except BaseException:
        writer.abort()
        raise
    written = writer.written + counts[0]
    linked = writer.linked + counts[1]
    return BuildResult(
        site=site,
        report=report,
        files=written + linked,
        written=written,
        linked=linked,
        bytes_written=writer.bytes_written + counts[2],
        phases=timer.phases,
        output_dir=config.output_dir,
    )


def _fail_on_problems(report: Report, strict: bool) -> None:
    if report.errors:
        raise BuildFailed(report, f"{len(report.errors)} error(s); nothing was written")
    if strict and report.warnings:
        raise BuildFailed(report, f"{len(report.warnings)} warning(s) with --strict; nothing was written")


# Worker state, set before forking so workers share the model without pickling it.
_WORKER: tuple[Renderer, OutputWriter] | None = None


def _render_chunk(bounds: tuple[int, int], plans: list[PagePlan] | None = None) -> tuple[int, int, int]:
    assert _WORKER is not None
    renderer, writer = _WORKER
    todo = plans if plans is not None else _WORKER_PLANS
    start, end = bounds
    before = (writer.written, writer.linked, writer.bytes_written)
    for plan in todo[start:end]:
        writer.write(plan.output_path, renderer.render(plan))
    return (writer.written - before[0], writer.linked - before[1], writer.bytes_written - before[2])


_WORKER_PLANS: list[PagePlan] = []


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield (start, min(total, start + size))


def _render_all(renderer: Renderer, writer: OutputWriter, plans: list[PagePlan], jobs: int) -> tuple[int, int, int]:
    global _WORKER, _WORKER_PLANS
    _WORKER = (renderer, writer)
    _WORKER_PLANS = plans
    try:
        if jobs <= 1 or len(plans) < _PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
            before = (writer.written, writer.linked, writer.bytes_written)
            _render_chunk((0, len(plans)), plans)
            counts = (writer.written - before[0], writer.linked - before[1], writer.bytes_written - before[2])
            writer.written, writer.linked, writer.bytes_written = before
            return counts
        context = multiprocessing.get_context("fork")
        size = max(50, len(plans) // (jobs * 8))
        totals = [0, 0, 0]
        with context.Pool(jobs) as pool:
            for counts in pool.imap_unordered(_render_chunk, _chunks(len(plans), size)):
                for index in range(3):
                    totals[index] += counts[index]
        return (totals[0], totals[1], totals[2])
    finally:
        _WORKER = None
        _WORKER_PLANS = []

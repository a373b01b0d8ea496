"""Loading stage entry point: find content files and read them into unlinked objects.

Returns papers (one per YAML record or BibTeX entry, not yet merged),
profiles and the venue alias table. Never writes anything and never reads
outside ``content/``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..config import SiteConfig
from ..diagnostics import ContentError, Location, Report
from ..model import Paper, Profile
from ..venues import VenueAliases, VenueTableError, load_aliases
from .bibtex import BibFile, RawEntry, SegmentCache, entry_to_paper, parse_bib_cached, resolve_entries
from .paper_cache import LoadedPaper, PaperCache
from .workers import make_papers
from .profiles import load_profile
from .safe_yaml import load_yaml
from .files import leads_outside, read_text
from .yaml_records import make_record

logger = logging.getLogger(__name__)

# Below this many uncached .bib segments (about one entry each), worker processes cost more than they save.
_PARALLEL_SEGMENTS = 4000


@dataclass
class Content:
    """Everything read from ``content/``, before merging and linking."""

    papers: list[Paper] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    aliases: VenueAliases = field(default_factory=lambda: load_aliases(None))


@dataclass(frozen=True)
class ContentFiles:
    """The content files of a site, by role, as paths relative to the site folder."""

    bib: tuple[str, ...]
    papers: tuple[str, ...]
    profiles: tuple[str, ...]
    venues: str | None


def find_content_files(config: SiteConfig, report: Report) -> ContentFiles:
    """List content files in a stable order; skip links that lead outside ``content/``."""
    root = config.content_dir
    site = config.site_dir
    bib: list[str] = []
    papers: list[str] = []
    profiles: list[str] = []
    venues: str | None = None
    if not root.is_dir():
        report.warn(Location("content"), "no content/ folder; the site has no papers")
        return ContentFiles((), (), (), None)
    resolved_root = root.resolve()
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            relative = path.relative_to(site).as_posix()
            if leads_outside(path, resolved_root):
                report.error(Location(relative), "symbolic link points outside content/; it is not read")
                continue
            parts = path.relative_to(root).parts
            suffix = path.suffix.lower()
            if suffix == ".bib":
                bib.append(relative)
            elif suffix in (".yaml", ".yml"):
                if parts == ("venues.yaml",) or parts == ("venues.yml",):
                    venues = relative
                elif parts[0] == "authors":
                    profiles.append(relative)
                elif parts[0] == "papers":
                    papers.append(relative)
                else:
                    report.warn(Location(relative), "YAML file outside content/papers/ and content/authors/ is not read")
    return ContentFiles(tuple(bib), tuple(papers), tuple(profiles), venues)


def _read_paper_records(config: SiteConfig, paths: tuple[str, ...], report: Report) -> list[tuple[str, str]]:
    """Return the path and text of each readable YAML paper record, in file order."""
    texts: list[tuple[str, str]] = []
    for relative in paths:
        text = read_text(config, relative, config.limits.max_yaml_bytes, report)
        if text is not None:
            texts.append((relative, text))
    return texts


def _parse_segments(segments: list[str]) -> list[tuple[str, object]]:
    cache = SegmentCache()
    for segment in segments:
        cache.parse(segment)
    return list(cache.to_json().items())


def _parse_bib_files(config: SiteConfig, paths: tuple[str, ...], cache: SegmentCache, jobs: int, report: Report) -> list[BibFile]:
    """Parse .bib files through the segment cache; uncached segments are parsed in parallel when there are many."""
    texts: dict[str, str] = {}
    for relative in paths:
        text = read_text(config, relative, config.limits.max_file_bytes, report)
        if text is not None:
            texts[relative] = text
    missing = [segment for text in texts.values() for segment in cache.missing_segments(text)]
    if jobs > 1 and len(missing) >= _PARALLEL_SEGMENTS and "fork" in multiprocessing.get_all_start_methods():
        size = -(-len(missing) // jobs)
        batches = [missing[start : start + size] for start in range(0, len(missing), size)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for parsed in pool.map(_parse_segments, batches):
                cache.add(parsed)
    return [parse_bib_cached(text, relative, cache) for relative, text in texts.items()]


def load_content(
    config: SiteConfig,
    report: Report,
    jobs: int = 1,
    cache: SegmentCache | None = None,
    store_cache: Callable[[SegmentCache], None] | None = None,
    papers_cache: PaperCache | None = None,
) -> Content:
    """Read every content file of the site; problems go into ``report``.

    ``cache`` contains .bib segments parsed by earlier builds and receives the
    ones parsed now. When it changed, ``store_cache`` is called with it before
    it is emptied to save memory. ``papers_cache`` contains papers made by
    earlier builds and receives the ones made now.
    """
    papers_cache = papers_cache or PaperCache(None, "")
    files = find_content_files(config, report)
    content = Content()

    if files.venues:
        text = read_text(config, files.venues, config.limits.max_yaml_bytes, report)
        if text is not None:
            table: object = None
            try:
                table = load_yaml(text, files.venues)
                content.aliases = load_aliases(table)  # type: ignore[arg-type]
            except ContentError as exc:
                report.error(exc.location, exc.message)
            except VenueTableError as exc:
                # Each problem is reported at the line of the series it is about.
                line_of = getattr(table, "line_of", None)
                names = [str(name) for name in table] if isinstance(table, dict) else []
                for key_path, message in exc.problems:
                    # Series names may contain dots ("Proc. ICML"), so the longest matching name wins.
                    series = max((n for n in names if key_path == n or key_path.startswith(n + ".")), key=len, default="")
                    line = line_of(series) if line_of and series else None
                    report.error(Location(files.venues, line), f"{key_path}: {message}" if key_path else message)

    records = _read_paper_records(config, files.papers, report)

    for relative in files.profiles:
        text = read_text(config, relative, config.limits.max_yaml_bytes, report)
        if text is None:
            continue
        try:
            content.profiles.append(load_profile(text, relative, report, config.limits))
        except ContentError as exc:
            report.error(exc.location, exc.message)

    cache = cache if cache is not None else SegmentCache()
    bib_files = _parse_bib_files(config, files.bib, cache, jobs, report)
    if store_cache is not None and cache.changed:
        store_cache(cache)
    # The cached segments are no longer needed, and at 100,000 entries they are
    # a third of the memory used while papers are made.
    cache.release()
    for bib_file in bib_files:
        report.extend(bib_file.report)
        logger.debug("read %s: %d entries", bib_file.path, len(bib_file.entries))

    resolved = resolve_entries(bib_files, report)
    del bib_files
    # YAML records and BibTeX entries become papers in one pass through one
    # worker pool, which waits once for its slowest chunk instead of twice.
    first_entry = len(records)
    keys = [papers_cache.key("record", relative, text) for relative, text in records]
    keys += [_entry_key(entry, papers_cache) for entry in resolved]
    locations = [entry.location for entry in resolved]
    entries: list[RawEntry | None] = list(resolved)
    del resolved
    limits = config.limits

    def make(index: int) -> LoadedPaper:
        if index < first_entry:
            return make_record(*records[index], limits)
        entry = entries[index - first_entry]
        assert entry is not None
        entry_report = Report()
        return entry_to_paper(entry, limits, entry_report), entry_report.items

    def release(index: int) -> None:
        # Entries are dropped as they become papers, so both never exist in full at once.
        if index >= first_entry:
            entries[index - first_entry] = None

    def relocate(index: int, loaded: LoadedPaper) -> LoadedPaper:
        # An entry's key leaves out its line, so that adding an entry above others keeps them cached.
        if index < first_entry:
            return loaded
        location = locations[index - first_entry]
        paper, diagnostics = loaded
        if paper is not None:
            paper.location = location
        moved = [replace(d, location=location) if d.location.path == location.path else d for d in diagnostics]
        return paper, moved

    for paper, diagnostics in make_papers(keys, make, papers_cache, jobs, release, relocate):
        report.items.extend(diagnostics)
        if paper is not None:
            content.papers.append(paper)
    return content


def _entry_key(entry: RawEntry, cache: PaperCache) -> str:
    """Return the cache key of an entry: everything ``entry_to_paper`` reads from it but its line."""
    fields = [part for item in entry.resolved.items() for part in item]
    return cache.key("entry", entry.location.path, entry.key, entry.entry_type, entry.month_macro, *fields)

"""The build: runs the stages in order and writes the site only when all went well.

Phases: load content, then merge and link. Then plan, render and export into
a staging folder that replaces the output at the end. The search index is
computed beside these last steps.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import pickle
import sys
import time
import traceback
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import jinja2

from .bibtex_export import BibExporter
from .config import SiteConfig
from .changes import Inputs, scan_inputs
from .diagnostics import BuildFailed, Diagnostic, Location, Report, Severity
from .linking import link_site
from .loading.paper_cache import PaperCache, code_digest
from .loading.names import MalformedNameError, parse_name
from .merging import MergeNotes, merge_papers, order_for_merging
from .model import Paper, PersonName, Site
from .fingerprints import Fingerprinter
from .incremental import SnapshotWriter, update_model, worth_reading
from .patching import Subject
from .snapshot import EditBatch, History, ModelFiles, Snapshot, release
from .venues import VenueAliases
from .rendering import (
    DEFAULT_TEMPLATES, SITE_PLANS, TEMPLATE_FOR, PagePlan, RenderError, Renderer, paper_plans, plan_pages, plan_subjects, venue_year_plans,
)
from .search_index import IndexFiles, build_search_index, update_search_index
from .writing import ForeignOutput, Manifest, OutputBlocked, OutputBusy, OutputState, Publisher, content_digest

if TYPE_CHECKING:
    from .loading.bibtex import SegmentCache

logger = logging.getLogger(__name__)

# Below this many pages, worker processes cost more than they save.
_PARALLEL_PAGES = 400
# Pages and exports that list every paper of the site.
_WHOLE_SITE_KINDS = {"home", "paper_list", "bib_site"}
# Pages that list several papers, each through its list entry and its digest.
_LISTING_KINDS = {"home", "paper_list", "author", "venue", "venue_year"}
# Below this many papers, computing the search index in its own process costs more than it saves.
_PARALLEL_INDEX = 2000


@dataclass
class BuildResult:
    """Counts, timings and the model of one build, for the summary line and for tests."""

    site: Site | None
    """The model; None when no input changed and the previous output was kept as it was."""
    report: Report
    papers: int = 0
    authors: int = 0
    venues: int = 0
    files: int = 0
    written: int = 0
    unchanged: int = 0
    bytes_written: int = 0
    swapped: bool = False
    """True when the whole output was staged and swapped, False when changed files were updated in place."""
    model_kept: bool = False
    """True when the previous build's model was updated in place, False when every content file was loaded."""
    phases: dict[str, float] = field(default_factory=dict)
    peak_memory: dict[str, int] = field(default_factory=dict)
    """Largest resident size of the build process so far, in bytes, at the end of each phase."""
    output_dir: Path | None = None


# The order of the phase table. The search index is computed beside planning
# and rendering, and a build after edits updates it before planning.
_PHASES = ("load", "model", "index", "plan", "render", "write")


class _Timer:
    def __init__(self) -> None:
        self.phases: dict[str, float] = dict.fromkeys(_PHASES, 0.0)
        self.peak_memory: dict[str, int] = {}

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
        self.timer.peak_memory[self.name] = _peak_memory()


def _peak_memory() -> int:
    """Return the largest resident size of this process so far, in bytes (0 where unknown)."""
    try:
        import resource
    except ImportError:
        return 0
    # Linux reports kilobytes, macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _parse_name_leniently(source: str) -> PersonName:
    """Parse a profile or owner name; a malformed one is kept whole, as its loader already reported."""
    try:
        return parse_name(source)
    except MalformedNameError as error:
        return error.names[0] if error.names else PersonName(literal=source.strip(), source=source)


def make_site(
    config: SiteConfig,
    report: Report,
    timer: _Timer | None = None,
    jobs: int = 1,
    cache: SegmentCache | None = None,
    store_cache: Callable[[SegmentCache], None] | None = None,
    papers_cache: PaperCache | None = None,
) -> Site:
    """Load and link the content into a complete site model; problems go into ``report``."""
    return _make_model(config, report, timer or _Timer(), jobs, cache, store_cache, papers_cache)[0]


def _make_model(
    config: SiteConfig,
    report: Report,
    timer: _Timer,
    jobs: int = 1,
    cache: SegmentCache | None = None,
    store_cache: Callable[[SegmentCache], None] | None = None,
    papers_cache: PaperCache | None = None,
) -> tuple[Site, MergeNotes, VenueAliases]:
    """Load and link the content; also return what merging found and the venue aliases, for a snapshot."""
    # Imported here: a build that updates a kept model needs neither the loaders nor the BibTeX parser.
    from .loading.content import load_content

    _check_language(config, report)
    with timer.phase("load"):
        content = load_content(config, report, jobs=jobs, cache=cache, store_cache=store_cache, papers_cache=papers_cache)
    with timer.phase("model"):
        notes = MergeNotes()
        papers = merge_papers(order_for_merging(content.papers), report, notes)
        site = link_site(papers, content.profiles, config.owners, content.aliases, report, _parse_name_leniently)
    return site, notes, content.aliases


def _check_language(config: SiteConfig, report: Report) -> None:
    if config.language == "en":
        return
    name = f"i18n/{config.language}.yaml"
    if not (config.templates_dir / name).is_file() and not (DEFAULT_TEMPLATES / name).is_file():
        report.warn(
            Location("site.yaml"),
            f"language: no templates/{name} with the site's words in that language; English words are used",
        )


def check_site(config: SiteConfig) -> tuple[Site, Report]:
    """Run every check of a build without writing anything."""
    report = Report()
    site = make_site(config, report)
    plan_files(site, config, report)
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


ProgressCallback = Callable[[int, int], None]
"""Called with (files rendered so far, files to render) while pages are rendered."""


def build_site(
    config: SiteConfig,
    *,
    strict: bool = False,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    clean: bool = False,
) -> BuildResult:
    """Build the site into ``config.output_dir``.

    Raises ``BuildFailed`` (leaving the previous output untouched) when the
    content has errors, or warnings under ``strict``. Files whose inputs did
    not change since the previous build are neither rendered nor rewritten,
    unless ``clean`` is set, which renders and writes everything again.
    """
    jobs = jobs or os.cpu_count() or 1
    timer = _Timer()
    report = Report()
    state = OutputState(config.output_dir)
    try:
        state.check_owned()
        state.lock()
    except (ForeignOutput, OutputBusy) as exc:
        report.error(Location(str(config.output_dir)), str(exc))
        raise BuildFailed(report, "the output folder was not replaced") from exc
    except OSError as exc:
        # The state folder is created beside the output folder, whose parent may not be writable.
        report.error(
            Location(str(exc.filename or config.output_dir)),
            f"could not create the build's state beside the output folder ({exc.strerror or exc}); choose an output folder in a writable place",
        )
        raise BuildFailed(report, "the output folder was not replaced") from exc
    try:
        state.recover()
        inputs = scan_inputs(config)
        last = state.load_summary()
        # The manifest is only checked for presence: parsing it takes seconds at 500,000 files.
        if not clean and last is not None and last.get("inputs") == inputs.fingerprint and state.has_output():
            return _unchanged_build(last, report, strict, config)

        # Every object of the model lives until the end of the build, so the cyclic
        # garbage collector would only rescan them. At 100,000 papers that cost a
        # quarter of the loading time (44 s against 31 s, bench/synth.py content).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return _build(_Run(config, strict, jobs, progress, timer, report, state, inputs, clean))
        except OutputBlocked as exc:
            report.error(Location(str(config.output_dir)), str(exc))
            raise BuildFailed(report, "the output folder was not changed") from exc
        finally:
            if collecting:
                gc.enable()
    finally:
        state.unlock()


@dataclass
class _Run:
    """The settings and shared state of one build, passed between its steps."""

    config: SiteConfig
    strict: bool
    jobs: int
    progress: ProgressCallback | None
    timer: _Timer
    report: Report
    state: OutputState
    inputs: Inputs
    """Signatures of every input; their digest is recorded so that the next build can tell nothing changed."""
    clean: bool


def _model_settings(inputs: Inputs) -> str:
    """Return a digest of everything a linked model depends on besides the content files."""
    return hashlib.blake2b(f"{inputs.settings}\0{code_digest()}".encode(), digest_size=16).hexdigest()


def _build(run: _Run) -> BuildResult:
    config, report, state, timer, jobs = run.config, run.report, run.state, run.timer, run.jobs
    previous = None if run.clean else state.load_manifest()
    settings = _model_settings(run.inputs)
    files = ModelFiles(state.state_dir)
    model = None if previous is None else _update_kept_model(run, files, previous, settings)
    if model is None:
        model = _ModelUpdate(_load_everything(run), None, None, [], None, files, settings)
    site = model.snapshot.site
    updated = edits = None
    if model.before is not None and previous is not None:
        with timer.phase("index"):
            updated = update_search_index(site, config, model.before, _PublishedFiles(config.output_dir, previous))
    with timer.phase("plan"):
        if updated is not None and previous is not None:
            edits = _plan_edits(site, model, previous)
        plans = edits.plans if edits is not None else plan_files(site, config, report)
    _fail_on_problems(report, run.strict)

    # The search index is computed in a forked process while files are planned
    # and rendered. It is forked now, while the process is smallest, and before
    # the render pool starts its threads, because a child forked while a thread
    # runs may inherit locks that the thread holds.
    with timer.phase("index"):
        index = _SearchIndexJob(site, config, parallel=jobs > 1 and len(site.papers) >= _PARALLEL_INDEX, files=updated)
    try:
        return _plan_and_render(run, model, plans, edits, index, previous)
    except BaseException:
        index.cancel()
        raise


@dataclass
class _EditPlan:
    """The files that edits applied in place may change, planned without planning the whole site."""

    plans: list[PagePlan]
    """The files of the whole site, and those that show a subject the edits changed."""
    removed: set[str]
    """Files of the previous build that the edited subjects no longer have."""


def _plan_edits(site: Site, model: "_ModelUpdate", previous: Manifest) -> _EditPlan | None:
    """Plan the files that edits applied in place may change; None when one of their new paths clashes with another file."""
    assert model.dirty is not None and model.before is not None
    dirty = model.dirty
    plans = [*SITE_PLANS, *plan_subjects(site, dirty)]
    paths = {plan.output_path for plan in plans}

    # An edit may rename a paper's page, and empty or start a venue year.
    earlier = {plan.output_path for paper in model.before if ("paper", paper.key) in dirty for plan in paper_plans(paper)}
    venues = {venue.key: venue for venue in site.venues}
    for family, key in dirty:
        venue_key, _, year = key.rpartition("/")
        if family == "venue_year" and venue_key in venues and year.isdigit():
            earlier.update(plan.output_path for plan in venue_year_plans(venues[venue_key], int(year)))
    removed = {path for path in earlier - paths if path in previous.files}

    # A paper whose slug changed must not take the page of another paper. Every
    # path under papers/ is a lower-case slug, so no two differ only in case.
    renamed = (plan.output_path for plan in plans if plan.kind == "paper" and plan.output_path not in earlier)
    if any(path in previous.files for path in renamed):
        return None
    return _EditPlan(plans, removed)


def _update_kept_model(run: _Run, files: ModelFiles, previous: Manifest, settings: str) -> "_ModelUpdate | None":
    """Apply this build's edits to the model that the previous build kept, if it kept one and they allow it."""
    with run.timer.phase("load"):
        history = files.read_history(previous.digest, settings)
        snapshot = files.read_base(history) if history is not None and worth_reading(run.inputs, history) else None
    if history is None or snapshot is None:
        return None
    with run.timer.phase("model"):
        update = update_model(run.config, run.inputs, snapshot, history, run.report)
        if update is None:
            release(snapshot.site)
            return None
    return _ModelUpdate(snapshot, history, update.dirty, update.batch, update.before, files, settings)


def _load_everything(run: _Run) -> Snapshot:
    """Load, merge and link every content file; return the model with what a snapshot of it needs."""
    from .loading.bibtex import SegmentCache

    config, report, state, timer = run.config, run.report, run.state, run.timer
    cache = SegmentCache({} if run.clean else state.load_segments())
    papers_cache = PaperCache(state.papers_cache_path(run.clean), repr(config.limits))
    # Both caches are keyed by input text, so storing them before the build succeeds is safe.
    try:
        site, notes, aliases = _make_model(
            config, report, timer, jobs=run.jobs, cache=cache,
            store_cache=lambda c: state.save_segments(c.to_json()), papers_cache=papers_cache,
        )
        papers_cache.save()
    finally:
        papers_cache.close()
    return Snapshot(
        sources=dict(run.inputs.content), diagnostics=list(report.items), merge=notes, slug_bases={}, aliases=aliases, site=site,
    )


@dataclass
class _ModelUpdate:
    """The model of this build, and how it came about."""

    snapshot: Snapshot
    history: History | None
    """The edits applied to the kept model before this build; None after loading everything."""
    dirty: set[Subject] | None
    """The subjects that edits applied in place changed; None after loading everything."""
    batch: EditBatch
    """The edits this build applied in place."""
    before: list[Paper] | None
    """The papers of the previous build in site order; None after loading everything."""
    files: ModelFiles
    settings: str


def _plan_and_render(
    run: _Run, model: _ModelUpdate, plans: list[PagePlan], edits: _EditPlan | None, index: "_SearchIndexJob", previous: Manifest | None
) -> BuildResult:
    """Plan, render and publish the files of a linked site; the caller stops ``index`` on failure.

    ``plans`` lists every file of the site, or with ``edits`` only those that the edits may change.
    """
    config, report, state, timer, jobs = run.config, run.report, run.state, run.timer, run.jobs
    snapshot, dirty = model.snapshot, model.dirty
    site = snapshot.site
    with timer.phase("plan"):
        try:
            renderer = Renderer(site, config, BibExporter(config))
            # Templates are part of the settings that a kept model was built with.
            if dirty is None or not snapshot.template_digests:
                snapshot.template_digests = renderer.template_digests()
        except jinja2.TemplateError as exc:
            raise _template_failure(exc, config, report) from exc
        fingerprinter = Fingerprinter(site, repr(config), snapshot.template_digests, TEMPLATE_FOR)
        # A build killed after publishing but before recording its summary must not look up to date.
        state.forget_summary()
        fingerprints: dict[str, str] = {}
        if previous is None:
            # Every file is rendered, so the workers fingerprint them as they go.
            todo = plans
        else:
            if dirty is not None:
                fingerprinter.seed(snapshot.paper_digests, snapshot.list_digests)
            todo = _files_to_render(plans, previous, fingerprinter, fingerprints, dirty)
    # After edits, ``plans`` lists only the files they may change, so the previous output's file count is used.
    total = len(previous.files) if edits is not None and previous is not None else len(plans)
    publisher = Publisher(state, previous, total, len(todo))
    writer = SnapshotWriter(model.files, snapshot, model.history, model.batch, fingerprinter, model.settings)
    manifest = Manifest()
    staged: list[str] = []
    try:
        publisher.prepare()
        with timer.phase("render"):
            rendered, worker_bytes = _render_all(
                renderer, _Fingerprints(fingerprinter, fingerprints), publisher, previous, todo, jobs, run.progress, writer.start,
            )
        with timer.phase("index"):
            index_files = index.result()
            extra = dict(index_files.files)
            for path, source in static_files(config).items():
                extra[path] = source.read_bytes()
            extra_digests = {path: content_digest(data) for path, data in extra.items()}
            extra_todo = {path for path in extra if not _unchanged(previous, path, extra_digests[path])}
    except (jinja2.TemplateError, RenderError) as exc:
        publisher.abort()
        writer.discard()
        raise _template_failure(exc, config, report) from exc
    except BaseException:
        publisher.abort()
        writer.discard()
        raise
    try:
        with timer.phase("write"):
            for path, fingerprint, digest, wrote in rendered:
                manifest.files[path] = (fingerprint, digest)
                if wrote:
                    staged.append(path)
            # Files neither rendered nor computed in this build are kept as the previous build left them.
            if edits is None:
                paths = chain((plan.output_path for plan in plans), index_files.paths)
                missing = [path for path in paths if path not in manifest.files and path not in extra]
                carried = {}
                if missing:
                    assert previous is not None
                    carried = {path: previous.files[path] for path in missing}
            else:
                assert previous is not None
                # Every file of the previous build but the few this one changes, copied without a Python loop over them.
                carried = dict(previous.files)
                for path in chain(edits.removed, index_files.removed, manifest.files, extra):
                    carried.pop(path, None)
            manifest.files.update(carried)
            publisher.carry_over_all(carried.keys())
            for path, data in extra.items():
                manifest.files[path] = (extra_digests[path], extra_digests[path])
                if path in extra_todo:
                    publisher.write(path, data)
                    staged.append(path)
                else:
                    publisher.carry_over(path)
            publisher.publish(manifest, staged)
            writer.commit(manifest.digest)
            state.save_summary(_summary(run.inputs.fingerprint, site, report, len(manifest.files)))
    except BaseException:
        publisher.abort()
        writer.discard()
        raise
    written = len(staged)
    return BuildResult(
        site=site,
        report=report,
        papers=len(site.papers),
        authors=len(site.authors),
        venues=len(site.venues),
        files=len(manifest.files),
        written=written,
        unchanged=len(manifest.files) - written,
        bytes_written=publisher.bytes_written + worker_bytes,
        phases=timer.phases,
        peak_memory=timer.peak_memory,
        output_dir=config.output_dir,
        swapped=publisher.swap,
        model_kept=model.history is not None,
    )


def _template_failure(exc: Exception, config: SiteConfig, report: Report) -> BuildFailed:
    """Turn a template problem into a located error; the output is left as it was."""
    filename = getattr(exc, "filename", None) or getattr(exc, "name", None) or "templates"
    path = Path(str(filename))
    for root, shown in ((config.site_dir, ""), (DEFAULT_TEMPLATES.parent, "(default theme) ")):
        if path.is_absolute() and path.is_relative_to(root):
            filename = shown + path.relative_to(root).as_posix()
            break
    else:
        if not path.is_absolute() and not str(filename).startswith("templates"):
            filename = f"templates/{filename}"
    message = getattr(exc, "message", None) or str(exc)
    report.error(Location(str(filename), getattr(exc, "lineno", None)), f"template error: {message}")
    return BuildFailed(report, "a template failed; nothing was written")


def _summary(fingerprint: str, site: Site, report: Report, files: int) -> dict[str, object]:
    diagnostics = [[d.location.path, d.location.line, d.severity.name, d.message] for d in report.sorted()]
    counts = {"papers": len(site.papers), "authors": len(site.authors), "venues": len(site.venues), "files": files}
    return {"inputs": fingerprint, "counts": counts, "diagnostics": diagnostics}


def _unchanged_build(last: dict[str, Any], report: Report, strict: bool, config: SiteConfig) -> BuildResult:
    """Report the previous build's diagnostics again and keep its output, which is up to date."""
    for path, line, severity, message in last["diagnostics"]:
        report.items.append(Diagnostic(Location(path, line), Severity[severity], message))
    _fail_on_problems(report, strict)
    counts = last["counts"]
    return BuildResult(
        site=None,
        report=report,
        papers=counts["papers"],
        authors=counts["authors"],
        venues=counts["venues"],
        files=counts["files"],
        unchanged=counts["files"],
        output_dir=config.output_dir,
    )


def _files_to_render(
    plans: list[PagePlan], previous: Manifest, fingerprinter: Fingerprinter, fingerprints: dict[str, str], dirty: set[Subject] | None
) -> list[PagePlan]:
    """Return the planned files whose fingerprints differ from the previous build's, and put those fingerprints in ``fingerprints``.

    With ``dirty`` given, only files that show one of its subjects (or every
    paper) are fingerprinted; the others keep the previous fingerprint.
    """
    lists_changed = bool(dirty)
    files = previous.files
    todo: list[PagePlan] = []
    for plan in plans:
        path = plan.output_path
        entry = files.get(path)
        if entry is not None and dirty is not None:
            kind = plan.kind
            if not (lists_changed if kind in _WHOLE_SITE_KINDS else (kind.removeprefix("bib_"), plan.subject) in dirty):
                continue
        fingerprint = fingerprinter.fingerprint(plan)
        if entry is None or entry[0] != fingerprint:
            fingerprints[path] = fingerprint
            todo.append(plan)
    return todo


def _unchanged(previous: Manifest | None, path: str, fingerprint: str) -> bool:
    if previous is None:
        return False
    entry = previous.files.get(path)
    return entry is not None and entry[0] == fingerprint


def _fail_on_problems(report: Report, strict: bool) -> None:
    if report.errors:
        raise BuildFailed(report, f"{len(report.errors)} error(s); nothing was written")
    if strict and report.warnings:
        raise BuildFailed(report, f"{len(report.warnings)} warning(s) with --strict; nothing was written")


class _PublishedFiles:
    """The files of the previous build, as its manifest records them."""

    def __init__(self, output_dir: Path, manifest: Manifest) -> None:
        self.output_dir = output_dir
        self.manifest = manifest

    def __contains__(self, path: object) -> bool:
        return path in self.manifest.files

    def read(self, path: str) -> bytes | None:
        entry = self.manifest.files.get(path)
        if entry is None:
            return None
        try:
            data = (self.output_dir / path).read_bytes()
        except OSError:
            return None
        return data if content_digest(data) == entry[1] else None


class _SearchIndexJob:
    """The search index files of a site, computed here or in a forked process.

    A plain forked process with a pipe, not a pool: a pool starts helper
    threads, and the render workers forked later must not inherit their locks.
    """

    def __init__(self, site: Site, config: SiteConfig, parallel: bool, files: IndexFiles | None = None) -> None:
        """``files`` gives the index when it is already computed."""
        self._files: IndexFiles | None = files
        self._process: Any = None
        if files is not None:
            return
        if not parallel or "fork" not in multiprocessing.get_all_start_methods():
            computed = build_search_index(site, config)
            self._files = IndexFiles(computed, list(computed))
            return
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_index_in_child, args=(site, config, sender), daemon=True)
        # Forking passes the model to the child without pickling it.
        self._process.start()
        sender.close()

    def result(self) -> IndexFiles:
        """Return the index files, waiting for the child process if it has not finished."""
        if self._files is None:
            files: dict[str, bytes] = {}
            problem = ""
            try:
                # One message per file, so that no process keeps the whole index twice.
                while True:
                    path, payload = pickle.loads(self._receiver.recv_bytes())
                    if path is None:
                        problem = payload
                        break
                    files[path] = payload
            except EOFError:
                problem = "the process ended without a result"
            self._receiver.close()
            self._process.join()
            self._process = None
            if problem:
                raise RuntimeError(f"computing the search index failed: {problem}")
            self._files = IndexFiles(files, list(files))
        return self._files

    def cancel(self) -> None:
        """Stop the child process, if any; the build is failing."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._receiver.close()
            self._process = None


def _index_in_child(site: Site, config: SiteConfig, sender: Any) -> None:
    """Send each index file as (path, bytes), then (None, "") when done or (None, traceback) on failure."""
    try:
        files = build_search_index(site, config)
        while files:
            message: tuple[str | None, object] = files.popitem()
            sender.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        end: tuple[str | None, object] = (None, "")
    except BaseException:
        end = (None, traceback.format_exc())
    sender.send_bytes(pickle.dumps(end, protocol=pickle.HIGHEST_PROTOCOL))
    sender.close()


@dataclass
class _Fingerprints:
    """The fingerprints computed before rendering, and the means to compute the others."""

    fingerprinter: Fingerprinter
    known: dict[str, str]

    def for_plan(self, plan: PagePlan) -> str:
        """Return the fingerprint of a planned file."""
        known = self.known.get(plan.output_path)
        return known if known is not None else self.fingerprinter.fingerprint(plan)


# Worker state, set before forking so workers share the model without pickling it.
_WORKER: tuple[Renderer, _Fingerprints, Publisher, Manifest | None, list[PagePlan]] | None = None

RenderedFile = tuple[str, str, str, bool]
"""Output path, fingerprint, digest of its bytes, and whether it was written (False: bytes equal the previous build's)."""


# Rendered files are written this many at a time, or sooner once they hold this many bytes.
# Writing copies every byte through the processor's caches, and rendering between
# two such copies took about 12% more CPU than rendering a batch before writing it.
_WRITE_BATCH_FILES = 64
_WRITE_BATCH_BYTES = 4 << 20


def _render_chunk(bounds: tuple[int, int]) -> tuple[list[RenderedFile], int]:
    assert _WORKER is not None
    renderer, fingerprints, publisher, previous, plans = _WORKER
    results: list[RenderedFile] = []
    before = publisher.bytes_written
    pending: list[tuple[str, list[bytes]]] = []
    pending_bytes = 0
    for plan in plans[bounds[0] : bounds[1]]:
        path = plan.output_path
        data = renderer.render_chunks(plan)
        digest = content_digest(data)
        old = previous.files.get(path) if previous is not None else None
        if old is not None and old[1] == digest:
            publisher.carry_over(path)
            results.append((path, fingerprints.for_plan(plan), digest, False))
            continue
        results.append((path, fingerprints.for_plan(plan), digest, True))
        pending.append((path, data))
        pending_bytes += sum(map(len, data))
        if len(pending) >= _WRITE_BATCH_FILES or pending_bytes >= _WRITE_BATCH_BYTES:
            _write_all(publisher, pending)
            pending_bytes = 0
    _write_all(publisher, pending)
    return results, publisher.bytes_written - before


def _write_all(publisher: Publisher, pending: list[tuple[str, list[bytes]]]) -> None:
    """Stage the given rendered files and empty the list."""
    for path, data in pending:
        publisher.write(path, data)
    pending.clear()


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield (start, min(total, start + size))


def _render_all(
    renderer: Renderer,
    fingerprints: _Fingerprints,
    publisher: Publisher,
    previous: Manifest | None,
    plans: list[PagePlan],
    jobs: int,
    progress: ProgressCallback | None = None,
    started: Callable[[], None] | None = None,
) -> tuple[list[RenderedFile], int]:
    """Render and stage ``plans``; return the files and the bytes that worker processes wrote.

    ``started`` is called once the worker processes exist (at once when
    rendering here): a thread started before them would be forked with them.
    """
    global _WORKER
    # A page that lists every paper costs about as much as one page per paper.
    papers = len(renderer.site.papers)
    weights = [papers if plan.kind in _WHOLE_SITE_KINDS else 1 for plan in plans]
    if len(plans) < _PARALLEL_PAGES:
        # A few heavy pages (after a one-paper edit) go to the workers one by one, heaviest first.
        plans = [plan for _weight, _index, plan in sorted(zip(weights, range(len(plans)), plans), key=lambda item: (-item[0], item[1]))]
    _WORKER = (renderer, fingerprints, publisher, previous, plans)
    results: list[RenderedFile] = []
    try:
        if jobs <= 1 or sum(weights) < _PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
            if started:
                started()
            for bounds in _chunks(len(plans), 500):
                chunk, _bytes_counted_in_publisher = _render_chunk(bounds)
                results.extend(chunk)
                if progress:
                    progress(len(results), len(plans))
            return results, 0
        if sum(1 for plan in plans if plan.kind in _LISTING_KINDS) >= papers:
            # Without this, every worker would render the list entries and digests
            # of nearly every paper. This process does it once, while the search
            # index is computed in its own process.
            renderer.render_items()
            fingerprints.fingerprinter.digest_papers()
        context = multiprocessing.get_context("fork")
        # Small chunks keep both workers busy to the end and the progress bar moving.
        size = max(50, min(1000, len(plans) // (jobs * 8))) if len(plans) >= _PARALLEL_PAGES else 1
        worker_bytes = 0
        with context.Pool(jobs) as pool:
            if started:
                started()
            for chunk, written in pool.imap_unordered(_render_chunk, _chunks(len(plans), size)):
                results.extend(chunk)
                worker_bytes += written
                if progress:
                    progress(len(results), len(plans))
        return results, worker_bytes
    finally:
        _WORKER = None

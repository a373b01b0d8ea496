"""Incremental builds: update the previous build's model in place when only paper records changed.

``update_model`` reads the edited YAML paper files and applies them to the
snapshot of the last published build. ``SnapshotWriter`` keeps the model
of the running build for the next one: it writes it in a thread while
pages are rendered and binds it to the manifest once the output is published.
"""

from __future__ import annotations

import logging
import pickle
import threading
from typing import NamedTuple

from .changes import Inputs
from .config import SiteConfig
from .diagnostics import Report, Severity
from .fingerprints import Fingerprinter
from .loading.files import leads_outside
from .loading.yaml_records import load_paper_file
from .model import Paper
from .patching import Subject, paper_index, patch_site
from .slugs import base_slug
from .snapshot import EditBatch, History, ModelFiles, Snapshot

logger = logging.getLogger(__name__)

# Above this many edited files the build loads everything instead (a guess at where applying them one by one stops paying).
_MAX_EDITS = 100
# Once the history has this many edited records, the next build writes a new base.
_MAX_HISTORY = 200


def worth_reading(inputs: Inputs, history: History) -> bool:
    """Tell whether the content changed since ``history`` only in files that may be YAML paper records.

    This needs only the history, so a build with other changes never reads the kept model.
    """
    if inputs.content.keys() != history.sources.keys():
        return False
    changed = [path for path, signature in inputs.content.items() if history.sources[path] != signature]
    return len(changed) <= _MAX_EDITS and all(path.startswith("content/papers/") and path.endswith((".yaml", ".yml")) for path in changed)


class ModelEdit(NamedTuple):
    """The changes that applying one build's edits made to a kept model."""

    dirty: set[Subject]
    """The subjects whose pages show something that changed; none when no content file did."""
    batch: EditBatch
    """The records this build applied, to be added to the history."""
    before: list[Paper]
    """The papers of the previous build, in site order."""


def update_model(config: SiteConfig, inputs: Inputs, snapshot: Snapshot, history: History, report: Report) -> ModelEdit | None:
    """Apply the history, then the content files changed since, to ``snapshot``; add their problems to ``report``.

    Returns what the edits changed. Returns None when the changes cannot be
    applied in place. That is the case when files were added or removed,
    files other than YAML paper records changed, an edited record has
    errors, or other papers depend on an edit.
    """
    papers = paper_index(snapshot)
    for applied in history.batches:
        # Each batch was applied before, to the same model, so it applies again.
        if patch_site(snapshot, {path: pickle.loads(record) for path, record in applied}, papers) is None:
            return None
    if inputs.content.keys() != snapshot.sources.keys():
        return None
    changed = sorted(path for path, signature in inputs.content.items() if snapshot.sources[path] != signature)
    if len(changed) > _MAX_EDITS or any(path not in snapshot.merge.yaml_records for path in changed):
        return None
    edits: dict[str, Paper] = {}
    batch: EditBatch = []
    found = []
    content = config.content_dir.resolve()
    for path in changed:
        if leads_outside(config.site_dir / path, content):
            # Loading everything reports it, as for any link that leads out of content/.
            return None
        paper, diagnostics = load_paper_file(config, path)
        if paper is None or any(d.severity is Severity.ERROR for d in diagnostics):
            return None
        edits[path] = paper
        # Kept as read: applying the edit changes the record.
        batch.append((path, pickle.dumps(paper, protocol=pickle.HIGHEST_PROTOCOL)))
        found.extend(diagnostics)
    # A copy: patching updates the list in place.
    before = list(snapshot.site.papers)
    dirty = patch_site(snapshot, edits, papers)
    if dirty is None:
        return None
    snapshot.diagnostics = [d for d in snapshot.diagnostics if d.location.path not in edits] + found
    snapshot.sources = dict(inputs.content)
    report.items.extend(snapshot.diagnostics)
    return ModelEdit(dirty, batch, before)


def slug_bases(papers: list[Paper]) -> dict[str, int]:
    """Count the papers that claim each slug, before linking settles clashes."""
    bases: dict[str, int] = {}
    for paper in papers:
        base = base_slug(paper.key, paper.title.plain, "paper")
        bases[base] = bases.get(base, 0) + 1
    return bases


class SnapshotWriter:
    """Keeps the model of the running build for the next one, beside the output.

    After a build that loaded everything, or once the history is long, the
    whole model is written as a new base, in a thread that should run while
    pages are rendered (``start``). Otherwise only the history grows by this
    build's edits. ``commit`` binds the result to the manifest just
    published; until then the files of the previous build stay in place.

    A site without YAML paper records keeps no model: only edits of such
    records are applied in place, and adding one loads everything.
    """

    def __init__(self, files: ModelFiles, snapshot: Snapshot, history: History | None, batch: EditBatch, fingerprinter: Fingerprinter, settings: str) -> None:
        """``history`` is None after loading everything; ``batch`` lists the edits this build applied in place."""
        self.files = files
        self.snapshot = snapshot
        self.settings = settings
        self.fingerprinter = fingerprinter
        self.useful = bool(snapshot.merge.yaml_records)
        if history is not None and history.edits + len(batch) <= _MAX_HISTORY:
            self.history: History | None = History(history.base, {}, [], [*history.batches, batch] if batch else history.batches)
        else:
            self.history = None
        self._thread: threading.Thread | None = None
        self._started = False
        self._base = ""
        self._problem: BaseException | None = None

    def start(self) -> None:
        """Start writing a new base if there is one to write; the model must not change from now on."""
        if self.history is not None or not self.useful:
            return
        self._started = True
        # A copy, because the main thread may still fingerprint files with the original.
        fingerprinter = self.fingerprinter.copy()
        self._thread = threading.Thread(target=self._write, args=(fingerprinter,), name="bibfolio-model", daemon=True)
        self._thread.start()

    def _write(self, fingerprinter: Fingerprinter) -> None:
        try:
            snapshot = self.snapshot
            snapshot.paper_digests, snapshot.list_digests = fingerprinter.digests()
            if not snapshot.slug_bases:
                snapshot.slug_bases = slug_bases(snapshot.site.papers)
            self._base = self.files.write_base_draft(snapshot)
        except BaseException as exc:  # reported by commit, in the main thread
            self._problem = exc

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def commit(self, manifest: str) -> None:
        """Bind the model to the published ``manifest`` and put it in place."""
        if not self.useful:
            # A model kept by an earlier build no longer matches the published output.
            self.files.remove()
            return
        if self.history is None and not self._started:
            # Rendering ended before it called start: write the base now.
            self._write(self.fingerprinter)
        self._wait()
        history = self.history or History(self._base, {}, [])
        history.sources = self.snapshot.sources
        history.diagnostics = self.snapshot.diagnostics
        try:
            if self._problem is not None:
                raise self._problem
            if self.files.commit(history, manifest, self.settings, new_base=self.history is None):
                return
        except Exception as exc:
            # The next build loads everything again.
            logger.warning("the model was not kept for the next build: %s", exc)
        self.files.discard_draft()

    def discard(self) -> None:
        """Wait for the thread and remove what it wrote; the build failed."""
        self._wait()
        self.files.discard_draft()

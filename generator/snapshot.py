"""The linked model of the last published build, kept for the next build.

When the next build finds that only a few paper records changed, it applies
them to this model instead of loading, merging and linking every record
again, and it takes the fingerprints of the files those records do not
touch from the manifest.

The model is kept in two files in the output's state folder. The base
holds a whole model, written by a build that loaded everything. The
history lists the edits that later builds applied to it, and the content
signatures and problems of the last build. So a build that applies an edit
writes a few kilobytes instead of the whole model again.

The history belongs to exactly one published output and one set of
settings: its header holds the digest of that output's manifest, of the
configuration, templates and code, and of the base it extends. When any of
these differs, neither file is used. Both files are pickles, which can run
code when loaded, so both are signed with the same per-user key as the
paper cache, which lives in the user's cache folder.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import pickle
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO, Callable

from .changes import Signature
from .diagnostics import Diagnostic
from .loading.paper_cache import signing_key
from .merging import MergeNotes
from .model import Paper, Site
from .venues import VenueAliases

logger = logging.getLogger(__name__)

_BASE_MAGIC = b"bibfolio-model-2 "
_HISTORY_MAGIC = b"bibfolio-model-edits-1 "
_SIGNATURE_BYTES = 32
_DIGEST_BYTES = 16
# Papers or authors pickled at a time.
_CHUNK = 10_000
# A base header has a fixed length, so its body can be written before its digest is known.
_BASE_HEADER_BYTES = len(_BASE_MAGIC) + 4 * _DIGEST_BYTES + 2

EditBatch = list[tuple[str, bytes]]
"""The records that one build applied in place: YAML file path and pickled record as read, in order."""


@dataclass
class Snapshot:
    """A linked model and everything the next build needs to update it in place."""

    sources: dict[str, Signature]
    """Signature of every content file the model was built from."""
    diagnostics: list[Diagnostic]
    """Every problem reported while loading, merging and linking."""
    merge: MergeNotes
    slug_bases: dict[str, int]
    """How many papers claim each slug before clashes are settled."""
    aliases: VenueAliases
    site: Site
    paper_digests: dict[str, str] = field(default_factory=dict)
    """Digest of each paper, by key, as the fingerprints use it."""
    list_digests: dict[str, str] = field(default_factory=dict)
    """Digests of the author and venue lists, by page kind."""
    template_digests: dict[str, str] = field(default_factory=dict)
    """Digest of each template with everything it includes, by name."""


@dataclass
class History:
    """The edits that builds since the base applied, and the state of the content after them."""

    base: str
    """Digest of the base these edits apply to."""
    sources: dict[str, Signature]
    diagnostics: list[Diagnostic]
    batches: list[EditBatch] = field(default_factory=list)

    @property
    def edits(self) -> int:
        """Return how many records all the batches hold."""
        return sum(len(batch) for batch in self.batches)


class ModelFiles:
    """The base and history files of one output's state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.base = state_dir / "model.pickle"
        self.history = state_dir / "model-edits.pickle"
        self.base_draft = state_dir / "model.pickle.tmp"

    def read_history(self, manifest: str, settings: str) -> History | None:
        """Return the history kept with this manifest and these settings.

        Returns None when it is missing, belongs to other output or
        settings, is damaged, or was not signed by this user.
        """
        key = signing_key()
        return None if key is None else _read_history(self.history, key, manifest, settings)

    def read_base(self, history: History) -> Snapshot | None:
        """Return the base model that ``history`` extends, with the content signatures and problems of the last build."""
        key = signing_key()
        snapshot = None if key is None else _read_base(self.base, key, history.base)
        if snapshot is not None:
            snapshot.sources = history.sources
            snapshot.diagnostics = history.diagnostics
        return snapshot

    def write_base_draft(self, snapshot: Snapshot) -> str:
        """Write a base model beside the current one; return its digest, for ``commit``."""
        with open(self.base_draft, "wb") as file:
            file.write(bytes(_BASE_HEADER_BYTES + _SIGNATURE_BYTES))
            body = _HashingFile(file)
            _dump_model(snapshot, body)
        return body.hasher.hexdigest()

    def commit(self, history: History, manifest: str, settings: str, new_base: bool) -> bool:
        """Write ``history`` for the output just published, after putting the drafted base in place if ``new_base``.

        Returns False when no signing key can be kept, and nothing is written.
        """
        key = signing_key()
        if key is None:
            return False
        if new_base:
            header = _BASE_MAGIC + f"{history.base}\n".encode("ascii")
            header = header.ljust(_BASE_HEADER_BYTES, b" ")
            with open(self.base_draft, "r+b") as file:
                file.write(header + _sign(key, header, bytes.fromhex(history.base)))
        header = _HISTORY_MAGIC + f"{manifest} {settings} {history.base}\n".encode("ascii")
        data = pickle.dumps(history, protocol=pickle.HIGHEST_PROTOCOL)
        draft = self.history.with_name(self.history.name + ".tmp")
        with open(draft, "wb") as file:
            file.write(header + _sign(key, header, data) + data)
        # The history names the base it extends, so the base goes first.
        if new_base:
            os.replace(self.base_draft, self.base)
        os.replace(draft, self.history)
        return True

    def remove(self) -> None:
        """Remove the base, the history and any draft, so that the next build loads everything."""
        for path in (self.base, self.history, self.base_draft):
            path.unlink(missing_ok=True)

    def discard_draft(self) -> None:
        """Remove a drafted base that will not be committed."""
        try:
            os.unlink(self.base_draft)
        except FileNotFoundError:
            pass


def _sign(key: bytes, header: bytes, data: bytes) -> bytes:
    hasher = hashlib.blake2b(header, key=key, digest_size=_SIGNATURE_BYTES)
    hasher.update(data)
    return hasher.digest()


def _read_after(path: Path, header: bytes) -> tuple[bytes, bytes] | None:
    """Return the signature and the data of a file that starts with ``header``; None when it is missing or starts otherwise."""
    try:
        with open(path, "rb") as file:
            # A header that differs makes the rest of the file useless, so it is compared before the rest is read.
            if file.read(len(header)) != header:
                return None
            return file.read(_SIGNATURE_BYTES), file.read()
    except OSError:
        return None


def _read_history(path: Path, key: bytes, manifest: str, settings: str) -> History | None:
    try:
        with open(path, "rb") as file:
            line = file.readline(len(_HISTORY_MAGIC) + 6 * _DIGEST_BYTES + 3)
    except OSError:
        return None
    prefix = _HISTORY_MAGIC + f"{manifest} {settings} ".encode("ascii")
    if not line.startswith(prefix) or not line.endswith(b"\n"):
        return None
    found = _read_after(path, line)
    if found is None:
        return None
    signature, data = found
    if not hmac.compare_digest(signature, _sign(key, line, data)):
        logger.warning("ignoring %s: its signature does not match; the build reads every content file", path)
        return None
    history = _unpickle(path, data)
    return history if isinstance(history, History) and line == prefix + f"{history.base}\n".encode("ascii") else None


def _read_base(path: Path, key: bytes, digest: str) -> Snapshot | None:
    header = (_BASE_MAGIC + f"{digest}\n".encode("ascii")).ljust(_BASE_HEADER_BYTES, b" ")
    found = _read_after(path, header)
    if found is None:
        return None
    signature, data = found
    # The signature covers the digest of the data, which the header names.
    if hashlib.blake2b(data, digest_size=_DIGEST_BYTES).hexdigest() != digest or not hmac.compare_digest(
        signature, _sign(key, header, bytes.fromhex(digest))
    ):
        logger.warning("ignoring %s: its signature does not match; the build reads every content file", path)
        return None
    snapshot = _unpickle(path, data, _load_model)
    return snapshot if isinstance(snapshot, Snapshot) else None


def _unpickle(path: Path, data: bytes, load: Any = pickle.loads) -> Any:
    try:
        return load(data)
    except Exception as exc:  # a signed file of another bibfolio release: any unpickling error is possible
        logger.warning("ignoring %s: %s", path, exc)
        return None


class _HashingFile:
    """A file that also digests everything written to it."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.hasher = hashlib.blake2b(digest_size=_DIGEST_BYTES)

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return self.file.write(data)


class _Pickler(pickle.Pickler):
    """Pickles objects of the model, writing the ones in ``links`` as their positions in their lists."""

    def __init__(self, file: _HashingFile, links: dict[int, int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._links = links

    # Called for instances of classes only, not for strings, lists and such, which are most objects.
    def reducer_override(self, obj: object) -> Any:
        position = self._links.get(id(obj))
        # Unpickled by calling int(position): a call into C, where a Python function would cost a frame each.
        return NotImplemented if position is None else (int, (position,))


def _dump_model(snapshot: Snapshot, file: _HashingFile) -> None:
    """Pickle a snapshot.

    Papers, authors and venues refer to each other, and pickling such a
    graph as it is would recurse through all of it. So each list is
    pickled on its own, with references to the others by position. Each
    field refers to one kind of object (``Paper.people`` to authors,
    ``Paper.venue_series`` to a venue, ``papers`` to papers), so a
    position alone identifies the object it stands for.
    """
    site = snapshot.site
    papers = {id(paper): index for index, paper in enumerate(site.papers)}
    people = {id(author): index for index, author in enumerate(site.authors)}
    people.update((id(venue), index) for index, venue in enumerate(site.venues))
    rest = {item.name: getattr(snapshot, item.name) for item in fields(snapshot) if item.name != "site"}
    _Pickler(file, {}).dump(rest)
    _dump_in_chunks(file, people, site.papers)
    _dump_in_chunks(file, papers, site.authors)
    _Pickler(file, papers).dump(site.venues)
    _Pickler(file, people).dump(site.owners)


def _dump_in_chunks(file: _HashingFile, links: dict[int, int], items: list[Any]) -> None:
    # A pickler remembers every object it wrote: one per chunk bounds that memory.
    starts = range(0, len(items), _CHUNK)
    pickle.dump(len(starts), file)
    for start in starts:
        _Pickler(file, links).dump(items[start : start + _CHUNK])


def _load_in_chunks(stream: io.BytesIO) -> list[Any]:
    items: list[Any] = []
    for _chunk in range(pickle.load(stream)):
        items.extend(pickle.load(stream))
    return items


def _load_model(data: bytes) -> Snapshot:
    stream = io.BytesIO(data)
    rest = pickle.load(stream)
    papers: list[Paper] = _load_in_chunks(stream)
    authors = _load_in_chunks(stream)
    venues = pickle.load(stream)
    owners = pickle.load(stream)
    # Positions stand in for the linked objects until here: 12 in Paper.people is the thirteenth author.
    author_at: Callable[[Any], Any] = authors.__getitem__
    venue_at: Callable[[Any], Any] = venues.__getitem__
    paper_at: Callable[[Any], Any] = papers.__getitem__
    for paper in papers:
        paper.people = list(map(author_at, paper.people))
        if paper.venue_series is not None:
            paper.venue_series = venue_at(paper.venue_series)
    for group in (*authors, *venues):
        group.papers = list(map(paper_at, group.papers))
    site = Site(papers=papers, authors=authors, venues=venues, owners=list(map(author_at, owners)))
    return Snapshot(site=site, **rest)


def release(site: Site) -> None:
    """Break the links between the papers, authors and venues of a model that is no longer needed.

    Builds run with the cycle collector off, so a linked model is freed only once nothing links it.
    """
    for paper in site.papers:
        paper.people = []
        paper.venue_series = None
    for author in site.authors:
        author.papers = []
    for venue in site.venues:
        venue.papers = []
    site.owners = []

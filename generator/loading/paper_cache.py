"""Papers made by earlier builds, so that unchanged records and entries are not made again.

Each paper is stored under a digest of everything it was made from: the
text of its YAML file, or its BibTeX entry with macros and crossrefs
resolved, together with bibfolio's own code and the site's limits. Changed
input gets a new key, so a stored paper is never stale, and keys that a
build did not use are deleted when the cache is saved.

The cache is an SQLite file in the output's state folder, and each paper
is a pickle. Loading a pickle can run code, and the state folder may come
from elsewhere (committed to a repository, say), so every stored paper is
signed with a key kept in the user's own cache folder, outside the project.
A paper whose signature does not match is made again, never loaded.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.metadata
import logging
import os
import pickle
import secrets
import sqlite3
import sys
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

from .. import __version__
from ..diagnostics import Diagnostic
from ..model import Paper

logger = logging.getLogger(__name__)

LoadedPaper = tuple[Paper | None, list[Diagnostic]]
"""A paper loaded from one input (None when it cannot be shown), with the problems found in that input."""

# SQLite before 3.32 allows at most 999 parameters in one statement.
_BATCH = 900
# Length of an HMAC-SHA256 signature.
_SIGNATURE_BYTES = 32


# Libraries whose output ends up in a loaded paper: a new release may decode differently.
_DECODING_LIBRARIES = ("bibtexparser", "pylatexenc", "latex2mathml", "PyYAML", "markdown-it-py", "MarkupSafe")
# The only schema objects a cache file may have; anything else (a view, a trigger) means it was not written by bibfolio.
_SCHEMA = {("table", "papers"), ("index", "sqlite_autoindex_papers_1")}


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Return a digest of bibfolio's Python source and of the decoding libraries' versions.

    Changed code, or an upgraded library, never reuses old papers.
    """
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"{__version__}\0{sys.version}\0{unicodedata.unidata_version}\0".encode())
    for library in _DECODING_LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "missing"
        hasher.update(f"{library}={version}\0".encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


_KEY_BYTES = 32


@functools.lru_cache(maxsize=1)
def signing_key() -> bytes | None:
    """Return this user's key for signing stored papers, made on first use; None when it cannot be kept."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bibfolio"
    path = folder / "signing-key"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) != _KEY_BYTES:
                logger.warning("no paper cache: signing key %s has %d bytes, not %d; delete it to make a new one", path, len(key), _KEY_BYTES)
                return None
            return key
        with os.fdopen(descriptor, "wb") as file:
            key = secrets.token_bytes(_KEY_BYTES)
            file.write(key)
        return key
    except OSError as exc:
        logger.warning("no paper cache: signing key %s could not be kept (%s)", path, exc)
        return None


def pack(loaded: LoadedPaper) -> bytes:
    """Return the pickled form of a loaded paper and its diagnostics."""
    return pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> LoadedPaper:
    """Return a loaded paper and its diagnostics from their pickled form."""
    loaded: LoadedPaper = pickle.loads(data)
    return loaded


class PaperCache:
    """Stored papers of one output folder, looked up by input digest.

    With ``path`` None nothing is stored and every lookup misses, which is
    how a clean build runs. A cache file that cannot be used (damaged, not
    written by bibfolio, locked by another build) is never an error: the
    build goes on without it.
    """

    def __init__(self, path: Path | None, salt: str) -> None:
        """Open (or create) the cache file at ``path``; ``salt`` covers every setting that changes how papers are made."""
        self._salt = f"{salt}\0"
        self._used: set[str] = set()
        self._path = path
        self._db: sqlite3.Connection | None = None
        self._key = b""
        self._mismatches = 0
        if path is None:
            return
        self._salt = f"{code_digest()}\0{salt}\0"
        key = signing_key()
        if key is None:
            return
        self._key = key
        try:
            self._db = _connect(path)
        except (sqlite3.DatabaseError, _NotACache, OSError) as exc:
            if not self._give_up(exc):
                return
            try:
                self._db = _connect(path)
            except (sqlite3.DatabaseError, _NotACache, OSError) as again:
                logger.warning("no paper cache: %s could not be made (%s)", path, again)

    def _give_up(self, exc: Exception) -> bool:
        """Stop using the cache file after ``exc``; delete it if it is damaged. Return whether it was deleted."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            logger.warning("paper cache %s is in use by another build; this build goes on without it", self._path)
            return False
        path = self._path
        if path is None or (path.exists() and not path.is_symlink() and not path.is_file()):
            logger.warning("no paper cache: %s is not a file; remove it to have the cache made again", path)
            return False
        logger.warning("paper cache %s cannot be used (%s); it is made again", path, exc)
        for suffix in ("", "-journal"):
            # A symbolic link is removed, never the file it points to.
            try:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            except OSError as error:
                logger.warning("no paper cache: %s%s could not be removed (%s); remove it by hand", path, suffix, error)
                return False
        return True

    def key(self, *parts: str) -> str:
        """Return the cache key of an input described by ``parts``."""
        hasher = hashlib.blake2b(self._salt.encode(), digest_size=16)
        for part in parts:
            # Length-prefixed, so that no two lists of parts give the same bytes.
            data = part.encode("utf-8", "surrogatepass")
            hasher.update(b"%d:" % len(data))
            hasher.update(data)
        return hasher.hexdigest()

    def _sign(self, key: str, data: bytes) -> bytes:
        # The key is signed too, so that a signed paper cannot be moved to another key.
        return hmac.digest(self._key, key.encode("ascii") + b"\0" + data, "sha256")

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Return the pickled paper of each key that the cache has, and mark all of ``keys`` as in use.

        A paper whose signature does not match is left out, as if missing.
        """
        requested = list(keys)
        self._used.update(requested)
        found: dict[str, bytes] = {}
        if self._db is None:
            return found
        try:
            for start in range(0, len(requested), _BATCH):
                batch = requested[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT key, data FROM papers WHERE key IN ({marks}) AND typeof(data) = 'blob'"
                for key, data in self._db.execute(query, batch):
                    signature, pickled = data[:_SIGNATURE_BYTES], data[_SIGNATURE_BYTES:]
                    if isinstance(key, str) and hmac.compare_digest(signature, self._sign(key, pickled)):
                        found[key] = pickled
                    else:
                        self._mismatches += 1
        except (sqlite3.DatabaseError, OSError) as exc:
            self._give_up(exc)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Store pickled papers, each signed and under its key."""
        for batch in _batches(items, _BATCH):
            self._used.update(key for key, _data in batch)
            if self._db is None:
                continue
            try:
                signed = [(key, self._sign(key, data) + data) for key, data in batch]
                self._db.executemany("INSERT OR REPLACE INTO papers (key, data) VALUES (?, ?)", signed)
            except (sqlite3.DatabaseError, OSError) as exc:
                self._give_up(exc)

    def save(self) -> None:
        """Delete the papers this build did not use, commit, and close the file."""
        if self._mismatches:
            logger.warning(
                "paper cache %s: %d stored papers have no valid signature (written by another user or "
                "edited); they were loaded again", self._path, self._mismatches,
            )
            self._mismatches = 0
        db = self._db
        if db is None:
            return
        try:
            (stored,) = db.execute("SELECT count(*) FROM papers").fetchone()
            if stored > len(self._used):
                db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY) WITHOUT ROWID")
                db.executemany("INSERT OR IGNORE INTO used (key) VALUES (?)", ((key,) for key in self._used))
                db.execute("DELETE FROM papers WHERE key NOT IN (SELECT key FROM used)")
            db.commit()
        except (sqlite3.DatabaseError, OSError) as exc:
            self._give_up(exc)
            return
        self._db = None
        db.close()

    def close(self) -> None:
        """Close the file without saving what this build added."""
        if self._db is not None:
            self._db.close()
            self._db = None


class _NotACache(Exception):
    """A file at the cache path that bibfolio did not write."""


def _connect(path: Path) -> sqlite3.Connection:
    if path.is_symlink():
        raise _NotACache("it is a symbolic link")
    db = sqlite3.connect(path, isolation_level="DEFERRED", timeout=2.0)
    try:
        # The default rollback journal survives a killed build and, unlike a
        # write-ahead log, does not write a new cache twice. Without syncing, a
        # power cut may damage the file, which costs only the time to make it again.
        db.execute("PRAGMA synchronous = OFF")
        # Papers take a few kilobytes each, so large pages waste less space on partly filled
        # overflow pages: a third of the file at 10,000 papers. Takes effect when the file is new.
        db.execute("PRAGMA page_size = 16384")
        # Checked before any query reads the table: a view or trigger could make reading it run forever.
        schema = {(kind, name) for kind, name in db.execute("SELECT type, name FROM sqlite_master")}
        if not schema:
            db.execute("CREATE TABLE papers (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        elif schema != _SCHEMA:
            raise _NotACache(f"unexpected schema {sorted(schema)}")
    except BaseException:
        db.close()
        raise
    return db


def _batches(items: Iterable[tuple[str, bytes]], size: int) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

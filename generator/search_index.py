"""Search index stage: a split JSON index that the browser queries with no server.

Produces ``search/manifest.json``, document chunks ``search/docs/<n>.json``
(title, authors, venue, year, URL; no abstracts) and term shards
``search/terms/<hex of a two-character prefix>.json`` mapping each word to
the ids of the papers that contain it. A query downloads the manifest, one
shard per word and the chunks of the papers it shows. After a few edits,
``update_search_index`` rewrites only the files they change. Knows nothing
about templates or the disk.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from typing import Any, NamedTuple, Protocol

from .config import SiteConfig
from .model import Paper, Site
from .rendering import paper_path, url_for

INDEX_VERSION = 1
DOCS_PER_CHUNK = 500
PREFIX_LENGTH = 2
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
# Words so common in abstracts that their shards would be large and useless.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were which with we our".split()
)


def normalise(text: str) -> str:
    """Lower-case ``text`` and strip accents, exactly as ``static/search.js`` does in the browser."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if char.isascii() or not unicodedata.category(char).startswith("M"))
    return stripped.lower()


def tokens(text: str) -> list[str]:
    """Split normalised text into index words."""
    text = normalise(text)
    # For ASCII text both patterns find the same words, and this one is faster.
    return (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text)


def shard_name(term: str) -> str:
    """Return the shard file stem for a word: the hex UTF-8 bytes of its first characters."""
    return term[:PREFIX_LENGTH].encode("utf-8").hex()


def _paper_terms(paper: Paper, names: dict[str, list[str]] | None = None) -> set[str]:
    """Return the index words of a paper. ``names`` keeps the words of names and venues, which papers share."""
    if names is None:
        names = {}
    words: set[str] = set()
    words.update(tokens(paper.title.plain))
    shared = [person.display for person in paper.people]
    if paper.venue is not None:
        shared.append(paper.venue.plain)
    if paper.venue_series is not None:
        shared.append(paper.venue_series.name)
    for text in shared:
        found = names.get(text)
        if found is None:
            found = names[text] = tokens(text)
        words.update(found)
    if paper.year:
        words.add(str(paper.year))
    if paper.abstract is not None:
        # Stop words are dropped from abstracts only; a title keeps every word.
        words.update(set(tokens(paper.abstract.plain)).difference(STOP_WORDS))
    words.update(tokens(paper.key))
    return words


def _document(paper: Paper, config: SiteConfig) -> list[object]:
    venue = ""
    if paper.venue_series is not None:
        venue = paper.venue_series.name
    elif paper.venue is not None:
        venue = paper.venue.plain
    authors = [person.display for person in paper.people]
    if paper.et_al:
        authors.append("et al.")
    return [paper.title.plain, url_for(config, paper_path(paper)), authors, venue, paper.year or 0, paper.kind]


MANIFEST_PATH = "search/manifest.json"


class IndexFiles(NamedTuple):
    """The files of a search index."""

    files: dict[str, bytes]
    """Output path and bytes of each file computed, which is every file after a full computation."""
    paths: list[str]
    """Output path of every file of the index, including those kept from the previous build."""
    removed: tuple[str, ...] = ()
    """Output paths of files of the previous build's index that this index does not have."""


class PreviousFiles(Protocol):
    """The published files of the previous build."""

    def __contains__(self, path: object) -> bool:
        """Tell whether the previous build published ``path``."""

    def read(self, path: str) -> bytes | None:
        """Return the bytes the previous build published at ``path``; None when they are missing or differ."""


def index_order(papers: list[Paper]) -> list[Paper]:
    """Return papers in document id order: newest first, then by citation key.

    The browser shows the matches with the lowest ids, so the newest. Unlike
    site order, this order ignores titles, so that editing a title does not
    renumber the documents between the paper's old and new place.
    """
    return sorted(papers, key=lambda paper: (-(paper.year or 0), -(paper.month or 0), paper.key))


def build_search_index(site: Site, config: SiteConfig) -> dict[str, bytes]:
    """Return every search index file as output path to bytes."""
    files: dict[str, bytes] = {}
    postings: dict[str, list[int]] = defaultdict(list)
    papers = index_order(site.papers)
    names: dict[str, list[str]] = {}
    for doc_id, paper in enumerate(papers):
        for term in _paper_terms(paper, names):
            postings[term].append(doc_id)

    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for term in sorted(postings):
        shards[shard_name(term)][term] = postings[term]
    for name, terms in shards.items():
        files[_shard_path(name)] = _dump(terms)

    for chunk in range(_chunk_count(len(papers))):
        files[_chunk_path(chunk)] = _dump_chunk(papers, chunk, config)
    files[MANIFEST_PATH] = _dump(_manifest(len(papers), shards))
    return files


def update_search_index(site: Site, config: SiteConfig, before: list[Paper], previous: PreviousFiles) -> IndexFiles | None:
    """Recompute only the index files that differ from the previous build's.

    ``before`` lists the papers of the previous build. A paper that was
    not edited is the same object in both builds, so the documents whose
    id or content changed are the ids where the two builds hold different
    objects. Returns None when computing the whole index is the better
    choice: too many documents changed, the number of papers differs, or a
    file that the update reads is missing or differs from what the
    previous build published. Files it keeps are only checked against the
    previous build's manifest, so a file deleted by hand stays missing.
    """
    if len(before) != len(site.papers):
        return None
    papers = index_order(site.papers)
    before = index_order(before)
    changed = [doc_id for doc_id, (old, new) in enumerate(zip(before, papers)) if old is not new]
    if len(changed) * 2 > len(papers):
        return None
    manifest = _read_json(previous, MANIFEST_PATH)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
        return None
    if manifest != _manifest(len(papers), manifest["shards"]):
        return None

    # A document's id is in a term's list when the paper at that id has the
    # term, so only the terms that the old and the new paper do not share change.
    touched: dict[str, set[str]] = defaultdict(set)
    added: dict[str, list[int]] = defaultdict(list)
    dropped: dict[str, set[int]] = defaultdict(set)
    for doc_id in changed:
        old_terms, new_terms = _paper_terms(before[doc_id]), _paper_terms(papers[doc_id])
        for term in new_terms - old_terms:
            added[term].append(doc_id)
            touched[shard_name(term)].add(term)
        for term in old_terms - new_terms:
            dropped[term].add(doc_id)
            touched[shard_name(term)].add(term)

    files: dict[str, bytes] = {}
    shards = set(manifest["shards"])
    for name, terms in sorted(touched.items()):
        path = _shard_path(name)
        shard = _read_json(previous, path) if name in shards else {}
        if not isinstance(shard, dict):
            return None
        for term in terms:
            removed_ids = dropped.get(term, set())
            ids = [doc_id for doc_id in shard.pop(term, ()) if doc_id not in removed_ids]
            ids.extend(added.get(term, ()))
            if ids:
                shard[term] = sorted(ids)
        if shard:
            shards.add(name)
            files[path] = _dump(shard)
        else:
            shards.discard(name)
    for chunk in sorted({doc_id // DOCS_PER_CHUNK for doc_id in changed}):
        files[_chunk_path(chunk)] = _dump_chunk(papers, chunk, config)
    files[MANIFEST_PATH] = _dump(_manifest(len(papers), shards))

    paths = [MANIFEST_PATH, *map(_chunk_path, range(_chunk_count(len(papers)))), *map(_shard_path, sorted(shards))]
    if any(path not in files and path not in previous for path in paths):
        return None
    removed = tuple(_shard_path(name) for name in sorted(set(manifest["shards"]) - shards))
    return IndexFiles(files, paths, removed)


def _shard_path(name: str) -> str:
    return f"search/terms/{name}.json"


def _chunk_path(chunk: int) -> str:
    return f"search/docs/{chunk}.json"


def _chunk_count(papers: int) -> int:
    return -(-papers // DOCS_PER_CHUNK)


def _dump_chunk(papers: list[Paper], chunk: int, config: SiteConfig) -> bytes:
    start = chunk * DOCS_PER_CHUNK
    return _dump([_document(paper, config) for paper in papers[start : start + DOCS_PER_CHUNK]])


def _manifest(papers: int, shards: Any) -> dict[str, object]:
    return {
        "version": INDEX_VERSION,
        "documents": papers,
        "docs_per_chunk": DOCS_PER_CHUNK,
        "chunks": _chunk_count(papers),
        "prefix_length": PREFIX_LENGTH,
        "shards": sorted(shards),
        "stop_words": sorted(STOP_WORDS),
        "fields": ["title", "url", "authors", "venue", "year", "kind"],
    }


def _read_json(previous: PreviousFiles, path: str) -> Any:
    data = previous.read(path)
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return None


def _dump(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

"""Search index stage: a split JSON index that the browser queries with no server.

Produces ``search/manifest.json``, document chunks ``search/docs/<n>.json``
(title, authors, venue, year, URL; no abstracts) and term shards
``search/terms/<hex of a two-character prefix>.json`` mapping each word to
the ids of the papers that contain it. A query downloads the manifest, one
shard per word and the chunks of the papers it shows. Knows nothing about
templates or the disk.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict

from .config import SiteConfig
from .model import Paper, Site
from .rendering import paper_path, url_for

INDEX_VERSION = 1
DOCS_PER_CHUNK = 500
PREFIX_LENGTH = 2
_TOKEN = re.compile(r"[^\W_]+")
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
    return _TOKEN.findall(normalise(text))


def shard_name(term: str) -> str:
    """Return the shard file stem for a word: the hex UTF-8 bytes of its first characters."""
    return term[:PREFIX_LENGTH].encode("utf-8").hex()


def _paper_terms(paper: Paper) -> set[str]:
    words: set[str] = set()
    words.update(tokens(paper.title.plain))
    for person in paper.people:
        words.update(tokens(person.display))
    if paper.venue is not None:
        words.update(tokens(paper.venue.plain))
    if paper.venue_series is not None:
        words.update(tokens(paper.venue_series.name))
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


def build_search_index(site: Site, config: SiteConfig) -> dict[str, bytes]:
    """Return every search index file as output path to bytes.

    Document ids are positions in site order (newest first), so lower ids
    rank first when the browser sorts matches.
    """
    files: dict[str, bytes] = {}
    postings: dict[str, list[int]] = defaultdict(list)
    for doc_id, paper in enumerate(site.papers):
        for term in _paper_terms(paper):
            postings[term].append(doc_id)

    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for term in sorted(postings):
        shards[shard_name(term)][term] = postings[term]
    for name, terms in shards.items():
        files[f"search/terms/{name}.json"] = _dump(terms)

    papers = site.papers
    chunk_count = 0
    for start in range(0, len(papers), DOCS_PER_CHUNK):
        chunk = [_document(paper, config) for paper in papers[start : start + DOCS_PER_CHUNK]]
        files[f"search/docs/{chunk_count}.json"] = _dump(chunk)
        chunk_count += 1

    manifest = {
        "version": INDEX_VERSION,
        "documents": len(papers),
        "docs_per_chunk": DOCS_PER_CHUNK,
        "chunks": chunk_count,
        "prefix_length": PREFIX_LENGTH,
        "shards": sorted(shards),
        "stop_words": sorted(STOP_WORDS),
        "fields": ["title", "url", "authors", "venue", "year", "kind"],
    }
    files["search/manifest.json"] = _dump(manifest)
    return files


def _dump(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

"""Rendering stage: plan every output page and turn each into bytes with Jinja2.

Rendering never touches the disk apart from reading templates; the writing
stage stores what it returns. Templates always autoescape, and content is
only ever passed to templates as data, never compiled as a template.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping, MutableMapping, NamedTuple

import jinja2
import jinja2.meta
from markupsafe import Markup

from .bibtex_export import BibExporter
from .config import SiteConfig
from .model import Author, Paper, Site, Venue
from .words import load_words

def _default_templates() -> Path:
    """Return the default theme: the repository's templates/ in a checkout, the packaged copy otherwise."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if (checkout / "base.html").is_file():
        return checkout
    return Path(__file__).resolve().parent / "templates"


DEFAULT_TEMPLATES = _default_templates()

# Rendered list entries kept per process: about 700 characters each, so at most
# about 80 MB. Larger sites render some entries more than once.
CACHED_ITEMS = 100_000


class PagePlan(NamedTuple):
    """One file to produce: where it goes, how it is made, and what it is about.

    A named tuple, because a site of 100,000 papers plans half a million files.
    """

    output_path: str
    """Path inside the output folder, with forward slashes (``papers/x/index.html``)."""
    kind: str
    """Page kind: home, paper, author, venue, venue_year, list, search, bib, json, not_found."""
    subject: str = ""
    """Identity of the subject (paper key, author key, venue key, ``venue key/year``)."""
    source: str = ""
    """Content location that caused the page, for clash messages."""


# Pieces of rendered text encoded together; small pages are one batch.
_BATCH_PIECES = 8192


def _encode_batches(pieces: Iterator[str], separator: str = "") -> list[bytes]:
    """Return ``pieces`` joined by ``separator`` and encoded as UTF-8, a batch at a time."""
    chunks: list[bytes] = []
    while True:
        batch = list(itertools.islice(pieces, _BATCH_PIECES))
        if not batch:
            return chunks
        text = separator.join(batch)
        chunks.append((separator + text if chunks and separator else text).encode("utf-8"))


def url_for(config: SiteConfig, output_path: str) -> str:
    """Return the site URL of an output file; ``index.html`` is dropped from folder pages."""
    if output_path.endswith("index.html"):
        output_path = output_path[: -len("index.html")]
    return config.base_path + output_path


def paper_path(paper: Paper) -> str:
    """Return the folder of a paper page."""
    return f"papers/{paper.slug}/"


def author_path(author: Author) -> str:
    """Return the folder of an author page."""
    return f"authors/{author.slug}/"


def venue_path(venue: Venue, year: int | None = None) -> str:
    """Return the folder of a venue page, or of one year of a venue."""
    return f"venues/{venue.slug}/{year}/" if year else f"venues/{venue.slug}/"


def bib_path(folder: str, slug: str) -> str:
    """Return the path of the .bib export that belongs to a page folder."""
    return f"{folder}{slug}.bib"


SITE_PLANS = (
    PagePlan("index.html", "home"),
    PagePlan("404.html", "not_found"),
    PagePlan("search/index.html", "search"),
    PagePlan("authors/index.html", "author_list"),
    PagePlan("venues/index.html", "venue_list"),
    PagePlan("papers/index.html", "paper_list"),
    PagePlan("bibliography.bib", "bib_site"),
)
"""The pages and exports of the whole site, one of each."""


def plan_pages(site: Site) -> list[PagePlan]:
    """List every page and export of the site, in a stable order."""
    plans = list(SITE_PLANS)
    for paper in site.papers:
        plans.extend(paper_plans(paper))
    for author in site.authors:
        plans.extend(_author_plans(author))
    for venue in site.venues:
        plans.extend(_venue_plans(venue))
        for year in venue.years():
            plans.extend(venue_year_plans(venue, year))
    return plans


def plan_subjects(site: Site, subjects: Collection[tuple[str, str]]) -> list[PagePlan]:
    """List the pages and exports that show the given subjects, as ``plan_pages`` plans them.

    A subject is a page family (``paper``, ``author``, ``venue`` or
    ``venue_year``) and the key of what it shows. A subject that the site
    does not have, such as a venue year without papers, has no pages.
    """
    keys_by_family: dict[str, set[str]] = {}
    for family, key in subjects:
        keys_by_family.setdefault(family, set()).add(key)
    plans: list[PagePlan] = []
    if "paper" in keys_by_family:
        for paper in site.papers:
            if paper.key in keys_by_family["paper"]:
                plans.extend(paper_plans(paper))
    if "author" in keys_by_family:
        for author in site.authors:
            if author.key in keys_by_family["author"]:
                plans.extend(_author_plans(author))
    venue_years = keys_by_family.get("venue_year", set())
    for venue in site.venues:
        if venue.key in keys_by_family.get("venue", ()):
            plans.extend(_venue_plans(venue))
        if not any(key.startswith(f"{venue.key}/") for key in venue_years):
            continue
        for year in venue.years():
            if f"{venue.key}/{year}" in venue_years:
                plans.extend(venue_year_plans(venue, year))
    return plans


def paper_plans(paper: Paper) -> tuple[PagePlan, PagePlan]:
    """Return the page and the .bib export of one paper."""
    folder = paper_path(paper)
    source = str(paper.location)
    return PagePlan(folder + "index.html", "paper", paper.key, source), PagePlan(bib_path(folder, paper.slug), "bib_paper", paper.key, source)


def _author_plans(author: Author) -> list[PagePlan]:
    folder = author_path(author)
    # A page and its .bib export share one source string: at 100,000 papers
    # there are half a million plans.
    source = f"author '{author.display}'"
    plans = [PagePlan(folder + "index.html", "author", author.key, source)]
    if author.papers:
        plans.append(PagePlan(bib_path(folder, author.slug), "bib_author", author.key, source))
    return plans


def _venue_plans(venue: Venue) -> tuple[PagePlan, PagePlan]:
    folder = venue_path(venue)
    source = f"venue '{venue.name}'"
    return PagePlan(folder + "index.html", "venue", venue.key, source), PagePlan(bib_path(folder, venue.slug), "bib_venue", venue.key, source)


def venue_year_plans(venue: Venue, year: int) -> tuple[PagePlan, PagePlan]:
    """Return the page and the .bib export of one year of a venue."""
    folder = venue_path(venue, year)
    subject = f"{venue.key}/{year}"
    source = f"venue '{venue.name}' {year}"
    return (
        PagePlan(folder + "index.html", "venue_year", subject, source),
        PagePlan(bib_path(folder, f"{venue.slug}-{year}"), "bib_venue_year", subject, source),
    )


class Renderer:
    """Renders planned pages of one site; safe to use from worker processes after fork."""

    def __init__(self, site: Site, config: SiteConfig, export: BibExporter) -> None:
        self.site = site
        self.config = config
        self.export = export
        self.words = load_words(config.language, config.templates_dir, DEFAULT_TEMPLATES)
        self._base = config.base_path
        self.papers = {paper.key: paper for paper in site.papers}
        self.authors = {author.key: author for author in site.authors}
        self.venues = {venue.key: venue for venue in site.venues}
        self._items: dict[str, Markup] = {}
        self._entry_macro: Any = None
        self.env = make_environment(config, self._globals())

    def _globals(self) -> dict[str, Any]:
        config = self.config
        return {
            "site": self.site,
            "config": config,
            "words": self.words,
            "base": config.base_path,
            "url_of": self.url_of,
            "bib_url_of": self.bib_url_of,
            "json_ld": json_ld,
            "paper_item": self.paper_item,
        }

    def paper_item(self, paper: Paper) -> Markup:
        """Return a paper's list entry (the ``paper_entry`` macro), rendered once per paper."""
        item = self._items.get(paper.key)
        if item is None:
            if self._entry_macro is None:
                self._entry_macro = self.env.get_template("_macros.html").module.paper_entry  # type: ignore[attr-defined]
            item = Markup(self._entry_macro(paper))
            if len(self._items) >= CACHED_ITEMS:
                # Forget the older half: dictionaries keep insertion order.
                for key in list(itertools.islice(self._items, len(self._items) // 2)):
                    del self._items[key]
            self._items[paper.key] = item
        return item

    def render_items(self) -> None:
        """Render the list entry of every paper now, up to the number kept, so that forked workers share them."""
        for paper in itertools.islice(self.site.papers, CACHED_ITEMS):
            try:
                self.paper_item(paper)
            except Exception as exc:
                raise render_error(exc, f"the list entry of paper '{paper.key}'", None) from exc

    def template_digests(self) -> dict[str, str]:
        """Return, for each page template, a digest of it, every template it uses, and the site words."""
        words = repr(sorted(self.words.items()))
        digests: dict[str, str] = {}
        for name in sorted(set(TEMPLATE_FOR.values())):
            hasher = hashlib.blake2b(words.encode("utf-8"), digest_size=16)
            for dependency in sorted(self._template_closure(f"{name}.html")):
                found = self._source(dependency)
                # A missing template (``{% include ... ignore missing %}``) counts too: adding it changes the pages.
                text = b"\1" if found is None else found[0].encode("utf-8")
                hasher.update(dependency.encode("utf-8") + b"\0" + text + b"\0")
            digests[name] = hasher.hexdigest()
        return digests

    def _template_closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            found = self._source(current)
            if found is None:
                continue
            source, filename = found
            for referenced in jinja2.meta.find_referenced_templates(self.env.parse(source, current, filename)):
                if referenced is not None:
                    pending.append(referenced)
        return seen

    def _source(self, name: str) -> tuple[str, str | None] | None:
        """Return the source and file name of a template, or None when no template has that name."""
        try:
            source, filename, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return None
        return source, filename

    def url_of(self, item: Paper | Author | Venue, year: int | None = None) -> str:
        """Return the URL of a paper, author or venue page (or a venue's year page)."""
        # Called for every link of every page, so it skips url_for, which parses the base URL each time.
        if type(item) is Author:
            return self._base + author_path(item)
        if type(item) is Paper:
            return self._base + paper_path(item)
        assert isinstance(item, Venue)
        return self._base + venue_path(item, year)

    def bib_url_of(self, item: Paper | Author | Venue, year: int | None = None) -> str:
        """Return the URL of the .bib export for a page."""
        if isinstance(item, Paper):
            return url_for(self.config, bib_path(paper_path(item), item.slug))
        if isinstance(item, Author):
            return url_for(self.config, bib_path(author_path(item), item.slug))
        if year:
            return url_for(self.config, bib_path(venue_path(item, year), f"{item.slug}-{year}"))
        return url_for(self.config, bib_path(venue_path(item), item.slug))

    def render(self, plan: PagePlan) -> bytes:
        """Render one planned file to bytes."""
        return b"".join(self.render_chunks(plan))

    def render_chunks(self, plan: PagePlan) -> list[bytes]:
        """Render one planned file as consecutive pieces of its bytes.

        A list of every paper of a large site is tens of megabytes. As pieces,
        it is never held as one string and one bytes object at once.
        """
        kind = plan.kind
        if kind.startswith("bib_"):
            entries = (self.export.entry(paper) for paper in self._bib_papers(plan))
            return _encode_batches(entries, separator="\n")
        context = self._context(plan)
        template = self.env.get_template(f"{TEMPLATE_FOR[kind]}.html")
        try:
            return _encode_batches(template.generate(context))
        except RenderError:
            raise
        except Exception as exc:
            # Any error inside a template, such as a division by zero, is the template's.
            raise render_error(exc, plan.output_path, template.filename) from exc

    def _bib_papers(self, plan: PagePlan) -> list[Paper]:
        if plan.kind == "bib_site":
            return self.site.papers
        if plan.kind == "bib_paper":
            return [self.papers[plan.subject]]
        if plan.kind == "bib_author":
            return self.authors[plan.subject].papers
        if plan.kind == "bib_venue":
            return self.venues[plan.subject].papers
        venue_key, year = plan.subject.rsplit("/", 1)
        return self.venues[venue_key].papers_in(int(year))

    def _context(self, plan: PagePlan) -> dict[str, Any]:
        context: dict[str, Any] = {"page_url": url_for(self.config, plan.output_path), "kind": plan.kind}
        if plan.kind == "paper":
            paper = self.papers[plan.subject]
            context.update(paper=paper, bibtex=self.export([paper]))
        elif plan.kind == "author":
            context["author"] = self.authors[plan.subject]
        elif plan.kind == "venue":
            context["venue"] = self.venues[plan.subject]
        elif plan.kind == "venue_year":
            venue_key, year = plan.subject.rsplit("/", 1)
            context.update(venue=self.venues[venue_key], year=int(year))
        return context


class RenderError(Exception):
    """A template failed to render; the message names the page, ``filename`` and ``lineno`` the template line."""

    filename: str | None = None
    lineno: int | None = None


def render_error(exc: Exception, target: str, filename: str | None) -> RenderError:
    """Describe an error raised while rendering ``target``, at the innermost template line in its traceback.

    ``filename`` is the template to name when the traceback has no template frame.
    """
    message = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
    error = RenderError(f"{message} (while rendering {target})")
    error.filename = getattr(exc, "filename", None)
    error.lineno = getattr(exc, "lineno", None)
    if error.filename is None:
        error.filename, error.lineno = _template_frame(exc)
    if error.filename is None:
        error.filename = filename
    return error


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """Return the file and line of the innermost template frame in the traceback of ``exc``.

    Jinja2 puts ``__jinja_template__`` in the globals of the code it compiles
    from a template, and ``__jinja_exception__`` in those of the frames it
    rewrites for a traceback. Its own traceback rewriting reads the same names.
    """
    found: tuple[str | None, int | None] = (None, None)
    frame = exc.__traceback__
    while frame is not None:
        names = frame.tb_frame.f_globals
        template = names.get("__jinja_template__")
        if template is not None:
            found = (template.filename, template.get_corresponding_lineno(frame.tb_lineno))
        elif "__jinja_exception__" in names:
            found = (frame.tb_frame.f_code.co_filename, frame.tb_lineno)
        frame = frame.tb_next
    return found


TEMPLATE_FOR = {
    "home": "home",
    "not_found": "404",
    "search": "search",
    "author_list": "author_list",
    "venue_list": "venue_list",
    "paper_list": "paper_list",
    "paper": "paper",
    "author": "author",
    "venue": "venue",
    "venue_year": "venue_year",
}


class _Environment(jinja2.Environment):
    """A Jinja2 environment whose templates take a copy of its globals when they load.

    Jinja2 chains a template's globals to the environment's, and copies them
    into a new context for every page. Copying a chain takes a Python call
    per name, which made each page 15 to 25 microseconds (12% to 20%) slower.
    Globals set after a template has loaded are not seen by that template,
    so ``make_environment`` sets them all before any template loads.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        merged = dict(self.globals)
        if d:
            merged.update(d)
        return merged


def make_environment(config: SiteConfig, globals_: Mapping[str, Any] | None = None) -> jinja2.Environment:
    """Create the Jinja2 environment: site templates first, then the defaults; autoescape always on.

    ``globals_`` are the names available to every template besides Jinja2's own.
    """
    loaders: list[jinja2.BaseLoader] = []
    if config.templates_dir.is_dir() and config.templates_dir.resolve() != DEFAULT_TEMPLATES:
        loaders.append(jinja2.FileSystemLoader(config.templates_dir))
    loaders.append(jinja2.FileSystemLoader(DEFAULT_TEMPLATES))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        # Templates do not change during a build, and checking their files costs three stats a page.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["html"] = _trusted_html
    env.globals.update(globals_ or {})
    return env


def _trusted_html(value: str) -> Markup:
    """Mark a fragment made by bibfolio's own decoders (``Text.html``) as safe HTML."""
    return Markup(value)


def json_ld(data: Mapping[str, Any]) -> Markup:
    """Serialise data for a ``<script type="application/ld+json">`` block, safe against ``</script>``."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)

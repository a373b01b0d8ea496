"""Property tests: escaping, slugs, error lines, deterministic and atomic output.

Examples are bounded so the module runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator import rendering, writing
from generator.bibtex_export import BibExporter
from generator.config import SiteConfig
from generator.diagnostics import BuildFailed, ContentError, Location, Report
from generator.linking import link_site
from generator.loading.bibtex import parse_bib_text
from generator.loading.names import MalformedNameError, parse_name
from generator.loading.yaml_records import load_paper_record
from generator.model import PersonName
from generator.slugs import assign_slugs, slugify
from generator.venues import load_aliases

from .conftest import REPO, build_into, make_site

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MARKUP = "<>\"'&={}/!"
# No backslash or '$': those are LaTeX and math markup, which add elements on purpose.
HOSTILE_TEXT = st.text(alphabet="xyz ." + MARKUP, min_size=1, max_size=40)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _lenient_name(source: str) -> PersonName:
    try:
        return parse_name(source)
    except MalformedNameError as error:
        return error.names[0]


def render_shapes(title: str, author: str, venue: str, abstract: str) -> dict[str, list[list[tuple[str, tuple[str, ...]]]]]:
    """Render every HTML page of a one-paper site in memory; return element shapes grouped by page kind."""
    record = (
        f"title: {json.dumps('T ' + title)}\nauthors: [Ada Example, {json.dumps('Ann ' + author)}]\n"
        f"venue: {json.dumps('V ' + venue)}\nabstract: {json.dumps('A ' + abstract)}\nyear: 2020\n"
    )
    report = Report()
    paper = load_paper_record(record, "content/papers/p.yaml", report)
    site = link_site([paper], [], (), load_aliases(None), report, _lenient_name)
    config = SiteConfig(title="Site", site_dir=REPO)
    renderer = rendering.Renderer(site, config, BibExporter(config))
    shapes: dict[str, list[list[tuple[str, tuple[str, ...]]]]] = defaultdict(list)
    for plan in rendering.plan_pages(site):
        if plan.kind.startswith("bib_"):
            continue
        tree = html5lib.parse(renderer.render(plan), namespaceHTMLElements=False)
        shapes[plan.kind].append([(e.tag, tuple(sorted(e.attrib))) for e in tree.iter() if isinstance(e.tag, str)])
    return {kind: sorted(pages) for kind, pages in shapes.items()}


def plain_twin(text: str) -> str:
    return "".join("-" if ch in MARKUP else ch for ch in text)


@FAST
@given(title=HOSTILE_TEXT, author=HOSTILE_TEXT, venue=HOSTILE_TEXT, abstract=HOSTILE_TEXT)
def test_hostile_text_adds_no_elements_or_attributes(title: str, author: str, venue: str, abstract: str) -> None:
    assume(" and " not in f" {author} ")
    try:
        hostile = render_shapes(title, author, venue, abstract)
    except ContentError:
        # A record the loader rejects renders nothing at all.
        return
    plain = render_shapes(plain_twin(title), plain_twin(author), plain_twin(venue), plain_twin(abstract))

    assert hostile == plain


@FAST
@given(st.text(max_size=120))
def test_slugify_output_is_safe(text: str) -> None:
    slug = slugify(text)

    assert slug == "" or SLUG.match(slug)
    assert len(slug) <= 80
    assert slugify(text) == slug


PATH_PARTS = st.lists(
    st.sampled_from(["papers", "a", "x.bib", "con", "Con.x", "lpt1", "com", ".", "..", "", "a.", "a ", "-", "_x", "é", "a\\b", "\0"]),
    min_size=1,
    max_size=4,
)


@FAST
@given(PATH_PARTS)
def test_quick_path_check_matches_segment_check(parts: list[str]) -> None:
    path = "/".join(parts)
    try:
        writing.check_path_segments(path)
        safe = True
    except writing.UnsafePath:
        safe = False

    try:
        writing.check_output_path(path)
        assert safe, f"{path!r} passed the quick check but not the segment check"
    except writing.UnsafePath:
        assert not safe, f"{path!r} was refused although every segment is allowed"


ITEMS = st.dictionaries(
    keys=st.text(alphabet="abcdefgh0123", min_size=1, max_size=6),
    values=st.text(alphabet="Deep Nets éü-!", max_size=12),
    max_size=8,
)


@FAST
@given(existing=ITEMS, extra=ITEMS)
def test_unrelated_items_never_change_existing_slugs(existing: dict[str, str], extra: dict[str, str]) -> None:
    items = {key: (title, title) for key, title in existing.items()}
    before = assign_slugs(items, fallback="paper")
    taken = {slugify(title) for title in existing.values()}
    unrelated = {
        f"new-{key}": (title, title)
        for key, title in extra.items()
        if slugify(title) and slugify(title) not in taken and f"new-{key}" not in items
    }
    after = assign_slugs({**items, **unrelated}, fallback="paper")

    assert {key: after[key] for key in items} == before
    assert all(SLUG.match(slug) for slug in after.values())
    assert len(set(after.values())) == len(after)


@FAST
@given(count=st.integers(min_value=2, max_value=30), data=st.data())
def test_duplicate_yaml_key_reports_its_line(count: int, data: st.DataObject) -> None:
    fields = [f"  field{i}: value {i}" for i in range(count)]
    position = data.draw(st.integers(min_value=1, max_value=count), label="position")
    repeated = data.draw(st.integers(min_value=0, max_value=position - 1), label="repeated")
    fields.insert(position, f"  field{repeated}: again")
    text = "title: T\nauthors: [Ada Example]\nyear: 2020\nbibtex:\n" + "\n".join(fields) + "\n"
    expected_line = 5 + position

    with pytest.raises(ContentError) as failure:
        load_paper_record(text, "content/papers/p.yaml", Report())
    assert failure.value.location == Location("content/papers/p.yaml", expected_line)
    assert failure.value.message == (
        f"duplicate key 'field{repeated}' on lines {5 + repeated} and {expected_line}; keep one of them"
    )


@FAST
@given(count=st.integers(min_value=1, max_value=40), data=st.data())
def test_broken_bib_entry_reports_its_line(count: int, data: st.DataObject) -> None:
    lines = [f"@misc{{k{i}, title={{Paper {i}}}, author={{Ada Example}}, year=2020}}" for i in range(count)]
    position = data.draw(st.integers(min_value=0, max_value=count), label="position")
    lines.insert(position, "@misc{broken, title={Never closed, year=2020,")
    parsed = parse_bib_text("\n".join(lines) + "\n", "content/refs.bib")

    locations = [d.location for d in parsed.report]
    assert Location("content/refs.bib", position + 1) in locations
    assert sorted(e.key for e in parsed.entries) == sorted(f"k{i}" for i in range(count))


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


SITE_FILES = {
    "site.yaml": "title: Property Site\nowners: [Ada Example]\n",
    "content/papers/one.yaml": "title: One Paper\nauthors: [Ada Example, Bo Zhang]\nyear: 2020\nvenue: NeurIPS\n",
    "content/papers/Two.yaml": "title: Two Paper\nauthors: [Ada Example, Zoë Über]\nyear: 2021\nvenue: ICML\n",
    "content/bib/a.bib": "@misc{three, title={Three Paper}, author={Ada Example and Bo Zhang}, year=2019}\n",
    "content/bib/B.bib": "@misc{four, title={Four Paper}, author={Zoë Über}, year=2019}\n",
    "content/authors/ada.yaml": "name: Ada Example\nbio: Hello.\n",
}


@SLOW
@given(order=st.permutations(sorted(SITE_FILES)), stamps=st.lists(st.integers(0, 10**9), min_size=len(SITE_FILES), max_size=len(SITE_FILES)))
def test_output_ignores_file_order_and_times(order: list[str], stamps: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_site(root / "first", dict(sorted(SITE_FILES.items())))
        make_site(root / "second", {name: SITE_FILES[name] for name in order})
        for name, stamp in zip(order, stamps):
            os.utime(root / "second" / name, (stamp, stamp))
        build_into(root / "first", root / "first/_site", jobs=1)
        build_into(root / "second", root / "second/_site", jobs=1)

        assert tree_bytes(root / "first/_site") == tree_bytes(root / "second/_site")


@SLOW
# Renaming one paper re-renders at least its page, the lists and its authors'
# and venue's pages, so the failure always happens within the first six renders.
@given(fail_at=st.integers(min_value=1, max_value=6))
def test_failed_render_keeps_previous_output(fail_at: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = make_site(Path(folder), SITE_FILES)
        build_into(root, root / "_site", jobs=1)
        before = tree_bytes(root / "_site")
        (root / "content/papers/one.yaml").write_text(SITE_FILES["content/papers/one.yaml"].replace("One", "Changed"), encoding="utf-8")

        original = rendering.Renderer.render_chunks
        calls = {"count": 0}

        def failing(self: rendering.Renderer, plan: rendering.PagePlan) -> list[bytes]:
            calls["count"] += 1
            if calls["count"] == fail_at:
                raise OSError("injected failure")
            return original(self, plan)

        rendering.Renderer.render_chunks = failing  # type: ignore[method-assign]
        try:
            with pytest.raises(OSError, match="injected failure"):
                build_into(root, root / "_site", jobs=1)
        finally:
            rendering.Renderer.render_chunks = original  # type: ignore[method-assign]

        assert tree_bytes(root / "_site") == before
        build_into(root, root / "_site", jobs=1)
        assert "Changed Paper" in (root / "_site/papers/changed-paper/index.html").read_text(encoding="utf-8")
        shutil.rmtree(root / "_site")


def test_build_failure_is_clean_for_invalid_record(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: T\n", "content/papers/p.yaml": "title: [unclosed\n"})

    with pytest.raises(BuildFailed) as failure:
        build_into(tmp_path, tmp_path / "_site", jobs=1)
    assert [str(d) for d in failure.value.report][0].startswith("content/papers/p.yaml:")

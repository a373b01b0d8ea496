"""Whole builds from hostile content: escaping, links, paths, YAML, limits, failures and determinism.

Every input here is made up for the tests. Each case asserts the exact
diagnostic or the exact escaped output a reader of the site would see.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import bibtexparser
import html5lib
import pytest
from click.testing import CliRunner

from generator import rendering
from generator.build import plan_files
from generator.cli import main as cli_main
from generator.config import load_config
from generator.diagnostics import BuildFailed, Location, Report
from generator.model import Paper, Site, Text

from .conftest import REPO, build_into, make_site

SITE_YAML = "title: Hostile Test Site\nowners: [Ada Example]\n"

# Markup, attribute break-outs, template syntax and a script end tag.
HOSTILE = "A <script>alert(1)</script><img src=x onerror=alert(2)> \"q' & {{ 7*7 }} </title>"
HOSTILE_URL_TAIL = "\"><script>alert(1)</script><img/src/onerror=alert(2)>"
# A BibTeX key ends at '=', ',', '"' or white space, so the key has none of them.
HOSTILE_KEY = "k<script>alert(1)</script><img/src/x>"


def plain_twin(value: str) -> str:
    """Return ``value`` with every markup character replaced by '-', so slugs and shape stay the same."""
    return "".join("-" if ch in "<>\"'&={}/()" else ch for ch in value)


def files_with(field: str, value: str) -> dict[str, str]:
    """Return a site whose ``field`` contains ``value`` in the YAML record, the .bib entry or the profile."""
    title = value if field == "title" else "Plain Title"
    author = value if field == "author" else "Bea Plain"
    venue = value if field == "venue" else "Plain Venue"
    abstract = value if field == "abstract" else "Plain abstract."
    key = value if field == "key" else "plainkey"
    doi = "10.1000/" + value if field == "doi" else "10.1000/plain"
    url = "https://www.example.org/" + value if field == "url" else "https://www.example.org/plain"
    bio = value if field == "bio" else "Plain bio."
    affiliation = value if field == "affiliation" else "Plain Institute"
    link_label = value if field == "links" else "home"
    link_url = "https://www.example.org/" + value if field == "links" else "https://www.example.org/home"

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    return {
        "site.yaml": SITE_YAML,
        "content/papers/record.yaml": (
            f"title: {quoted(title + ' Record')}\n"
            f"authors: ['Ada Example', {quoted(author)}]\n"
            f"venue: {quoted(venue)}\nyear: 2021\ntype: conference\n"
            f"abstract: {quoted(abstract)}\ndoi: {quoted(doi)}\nurl: {quoted(url)}\n"
        ),
        "content/bib/refs.bib": (
            f"@article{{{key.replace(',', ' ').replace('}', ')').replace('{', '(')},\n"
            f"  title = {{{title} Entry}},\n  author = {{Ada Example and {author}}},\n"
            f"  journal = {{{venue} Journal}},\n  year = 2022,\n  abstract = {{{abstract}}},\n"
            f"  doi = {{{doi}x}},\n  url = {{{url}x}},\n}}\n"
        ),
        "content/authors/ada.yaml": (
            f"name: Ada Example\naffiliation: {quoted(affiliation)}\n"
            f"links:\n  {quoted(link_label)}: {quoted(link_url)}\n"
            f"bio: {quoted(bio)}\n"
        ),
    }


def build_files(root: Path, files: dict[str, str], **options: object) -> Path:
    """Write ``files`` into ``root``, build the site and return the output folder."""
    make_site(root, files)
    out = root / "_site"
    build_into(root, out, jobs=1, **options)
    return out


def shape(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Return each element's tag and sorted attribute names, in document order."""
    tree = html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)
    return [(element.tag, tuple(sorted(element.attrib))) for element in tree.iter() if isinstance(element.tag, str)]


def tree_bytes(out: Path) -> dict[str, bytes]:
    """Return every file of an output folder by relative path."""
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


# Escaping


ESCAPED_FIELDS = ["title", "author", "venue", "abstract", "key", "doi", "url", "bio", "affiliation", "links"]


@pytest.mark.parametrize("field", ESCAPED_FIELDS)
def test_hostile_field_adds_no_elements_or_attributes(tmp_path: Path, field: str) -> None:
    # Keys, DOIs and URLs cannot contain spaces, so they get the compact string.
    value = {"key": HOSTILE_KEY, "doi": HOSTILE_URL_TAIL, "url": HOSTILE_URL_TAIL, "links": HOSTILE_URL_TAIL}.get(field, HOSTILE)
    hostile_out = build_files(tmp_path / "hostile", files_with(field, value))
    plain_out = build_files(tmp_path / "plain", files_with(field, plain_twin(value)))

    hostile_pages = sorted(p.relative_to(hostile_out).as_posix() for p in hostile_out.rglob("*.html"))
    plain_pages = sorted(p.relative_to(plain_out).as_posix() for p in plain_out.rglob("*.html"))
    assert hostile_pages == plain_pages
    assert len(hostile_pages) >= 12
    for relative in hostile_pages:
        assert shape(hostile_out / relative) == shape(plain_out / relative), relative


def test_hostile_title_is_escaped_in_every_place(tmp_path: Path) -> None:
    out = build_files(tmp_path, files_with("title", HOSTILE))
    page = next((out / "papers").glob("a-script-alert-1-script-img-src-x-onerror-alert-2-q-7-7-title-record/index.html"))
    html = page.read_text(encoding="utf-8")
    escaped = "A &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &#34;q&#39; &amp; {{ 7*7 }} &lt;/title&gt; Record"

    assert f"<title>{escaped} · Hostile Test Site</title>" in html
    assert f'<meta name="citation_title" content="{escaped}">' in html
    assert f"<h1>{escaped}</h1>" in html
    assert "49" not in html
    json_ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in json_ld
    assert json.loads(json_ld)["headline"] == HOSTILE + " Record"

    documents = json.loads((out / "search/docs/0.json").read_text(encoding="utf-8"))
    assert HOSTILE + " Record" in [document[0] for document in documents]


def test_hostile_fields_stay_inside_their_bib_entry(tmp_path: Path) -> None:
    files = files_with("title", HOSTILE)
    files["content/bib/refs.bib"] += "@misc{breakout,\n  title = {Close} early},\n  author = {Eve Example},\n  note = {a}, title = {injected},\n  year = 2020,\n}\n"
    out = build_files(tmp_path, files)
    library = bibtexparser.parse_string((out / "bibliography.bib").read_text(encoding="utf-8"))

    assert library.failed_blocks == []
    titles = {entry.key: entry["title"] for entry in library.entries}
    assert titles["plainkey"] == HOSTILE + " Entry"
    assert titles["breakout"] == "{Close} early"
    assert "injected" not in titles.values()


def test_template_syntax_in_content_shows_literally(tmp_path: Path) -> None:
    files = files_with("title", "Sum {{ 7*7 }} {% raw %}x")
    out = build_files(tmp_path, files)
    tree = html5lib.parse((out / "papers/sum-7-7-raw-x-record/index.html").read_bytes(), namespaceHTMLElements=False)
    heading = next(tree.iter("h1"))

    assert "".join(heading.itertext()) == "Sum {{ 7*7 }} {% raw %}x Record"


def test_markdown_bio_raw_html_is_text(tmp_path: Path) -> None:
    files = files_with("bio", "Hi <b onclick=x>bold</b> <script>y</script>")
    out = build_files(tmp_path, files)
    html = (out / "authors/ada-example/index.html").read_text(encoding="utf-8")

    assert '<div class="bio"><p>Hi &lt;b onclick=x&gt;bold&lt;/b&gt; &lt;script&gt;y&lt;/script&gt;</p>\n</div>' in html


def test_every_template_autoescapes() -> None:
    from generator.config import SiteConfig

    env = rendering.make_environment(SiteConfig(title="T", site_dir=REPO))
    for name in sorted(p.name for p in (REPO / "templates").glob("*.html")):
        template = env.get_template(name)
        assert env.autoescape is True or env.autoescape(name), name
        assert "autoescape false" not in (REPO / "templates" / name).read_text(encoding="utf-8"), template.name


# Links

LINK_CASES = [
    ("https://www.example.org/a", "https://www.example.org/a", None),
    ("HTTPS://www.example.org/b", "https://www.example.org/b", None),
    ("mailto:ada@example.org", "mailto:ada@example.org", None),
    ("javascript:alert(1)", None, "'url': 'javascript:alert(1)' is not an http, https or mailto URL; it is not linked"),
    ("JaVaScRiPt:alert(1)", None, "'url': 'JaVaScRiPt:alert(1)' is not an http, https or mailto URL; it is not linked"),
    ("java\\tscript:alert(1)", None, "'url': 'java\tscript:alert(1)' is not an http, https or mailto URL; it is not linked"),
    ("\\x01 javascript:alert(1)", None, "'url': '\x01 javascript:alert(1)' is not an http, https or mailto URL; it is not linked"),
    ("data:text/html,<b>x</b>", None, "'url': 'data:text/html,<b>x</b>' is not an http, https or mailto URL; it is not linked"),
    ("//evil.example.org/x", None, "'url': '//evil.example.org/x' is not an http, https or mailto URL; it is not linked"),
    ("vbscript:msgbox", None, "'url': 'vbscript:msgbox' is not an http, https or mailto URL; it is not linked"),
]


@pytest.mark.parametrize(("raw", "href", "warning"), LINK_CASES, ids=[case[0] for case in LINK_CASES])
def test_record_url_becomes_link_only_when_safe(tmp_path: Path, raw: str, href: str | None, warning: str | None) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/papers/p.yaml": f'title: Linked\nauthors: [Ada Example]\nyear: 2020\nurl: "{raw}"\n',
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)
    tree = html5lib.parse((tmp_path / "_site/papers/linked/index.html").read_bytes(), namespaceHTMLElements=False)
    link_hrefs = [a.get("href") for a in tree.iter("a") if a.get("class") == "button" and a.get("download") is None]

    assert link_hrefs == ([href] if href else [])
    messages = [str(d) for d in result.report]
    if warning:
        assert f"content/papers/p.yaml:4: warning: {warning}" in messages
    else:
        assert not any(":4: warning" in m for m in messages)


def test_doi_link_is_percent_encoded(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": "@article{d1, title={Doi Paper}, author={Ada Example}, year=2020, doi={\\url{10.1000/a?b#c\"<d>}}}\n",
    })
    build_into(tmp_path, tmp_path / "_site", jobs=1)
    html = (tmp_path / "_site/papers/doi-paper/index.html").read_text(encoding="utf-8")

    assert 'href="https://doi.org/10.1000/a%3Fb%23c%22%3Cd%3E"' in html


def test_bib_url_wrappers_are_unwrapped(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": (
            "@misc{u1, title={Url One}, author={Ada Example}, year=2020, url={\\url{https://www.example.org/one}}}\n"
            "@misc{u2, title={Url Two}, author={Ada Example}, year=2020, url={\\href{https://www.example.org/two}{the text}}}\n"
        ),
    })
    build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert 'href="https://www.example.org/one"' in (tmp_path / "_site/papers/url-one/index.html").read_text(encoding="utf-8")
    assert 'href="https://www.example.org/two"' in (tmp_path / "_site/papers/url-two/index.html").read_text(encoding="utf-8")


def test_bio_links_allow_site_paths_and_reject_scripts(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/authors/ada.yaml": "name: Ada Example\nbio: '[cv](/files/cv.pdf) and [x](JaVa&#9;ScRiPt:alert(1))'\n",
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)
    html = (tmp_path / "_site/authors/ada-example/index.html").read_text(encoding="utf-8")

    assert '<a href="/files/cv.pdf">cv</a>' in html
    assert "[x](JaVa\tScRiPt:alert(1))" in html
    assert [str(d) for d in result.report] == [
        "content/authors/ada.yaml:2: warning: 'bio': link 'JaVa%09ScRiPt:alert(1)' is not an http, https or mailto URL "
        "or a path inside the site; it is shown as text",
    ]


# Paths


def output_paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("title", "slug"),
    [("../../escape", "escape"), ("/etc/passwd", "etc-passwd"), ("CON", "con-x"), ("nul", "nul-x"), ("..", None), ("C:\\Windows", "c")],
)
def test_title_cannot_leave_output_folder(tmp_path: Path, title: str, slug: str | None) -> None:
    site = tmp_path / "site"
    make_site(site, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": f"@misc{{../../../k, title={{{title}}}, author={{Ada Example}}, year=2020}}\n",
    })
    build_into(site, site / "_site", jobs=1)

    assert output_paths(tmp_path) == {f"site/{p}" for p in output_paths(site)}
    papers = sorted(p.name for p in (site / "_site/papers").iterdir() if p.is_dir())
    if slug is None:
        assert len(papers) == 1
        assert papers[0].startswith("paper-")
    else:
        assert papers == [slug]


def test_titles_differing_by_case_get_distinct_slugs(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": (
            "@misc{one, title={Deep Nets}, author={Ada Example}, year=2020}\n"
            "@misc{two, title={DEEP NETS}, author={Ada Example}, year=2021}\n"
        ),
    })
    build_into(tmp_path, tmp_path / "_site", jobs=1)
    papers = sorted(p.name for p in (tmp_path / "_site/papers").iterdir() if p.is_dir())

    assert len(papers) == 2
    assert papers[0] == "deep-nets"
    assert papers[1].startswith("deep-nets-")


def test_keys_differing_by_case_are_merged_with_warning(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": (
            "@misc{Smith2020, title={First Title}, author={Ada Example}, year=2020}\n"
            "@misc{smith2020, title={Second Title}, author={Ada Example}, year=2021}\n"
        ),
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert [str(d) for d in result.report] == [
        "content/bib/refs.bib:2: warning: 'smith2020' describes the same paper as 'Smith2020' at content/bib/refs.bib:1 "
        "(the same citation key); they are merged and the fields at content/bib/refs.bib:1 win",
    ]


def test_symlink_out_of_content_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.bib"
    secret.write_text("@misc{s, title={Secret Paper}, author={Ada Example}, year=2020}\n", encoding="utf-8")
    site = tmp_path / "site"
    make_site(site, {"site.yaml": SITE_YAML, "content/bib/ok.bib": "@misc{o, title={Open}, author={Ada Example}, year=2020}\n"})
    (site / "content/bib/link.bib").symlink_to(secret)

    with pytest.raises(BuildFailed) as failure:
        build_into(site, site / "_site", jobs=1)
    assert [str(d) for d in failure.value.report] == [
        "content/bib/link.bib: error: symbolic link points outside content/; it is not read",
    ]
    assert not (site / "_site").exists()


def test_two_pages_on_one_path_name_both_sources() -> None:
    def paper(key: str, line: int) -> Paper:
        return Paper(key=key, entry_type="misc", kind="Other", title=Text("T", "T", "T"), authors=[], year=None,
                     venue=None, slug="same", location=Location("content/bib/refs.bib", line))

    site = Site(papers=[paper("a", 1), paper("b", 7)], authors=[], venues=[], owners=[])
    report = Report()
    plan_files(site, load_config(REPO / "site.yaml"), report)

    assert [str(d) for d in report] == [
        "content/bib/refs.bib:7: error: content/bib/refs.bib:7 and content/bib/refs.bib:1 would both write "
        "papers/same/index.html; rename one of them",
        "content/bib/refs.bib:7: error: content/bib/refs.bib:7 and content/bib/refs.bib:1 would both write "
        "papers/same/same.bib; rename one of them",
    ]


# YAML

YAML_CASES = [
    ("alias", "title: &t Anchored\nauthors: [Ada Example]\nyear: 2020\nvenue: *t\n",
     "content/papers/p.yaml:1: error: YAML aliases are not allowed (anchor &t); write the value out in full"),
    ("duplicate", "title: One\nauthors: [Ada Example]\ntitle: Two\nyear: 2020\n",
     "content/papers/p.yaml:3: error: duplicate key 'title' on lines 1 and 3; keep one of them"),
    ("deep", "title: Deep\nauthors: [Ada Example]\nyear: 2020\nbibtex: " + "[" * 40 + "]" * 40 + "\n",
     "content/papers/p.yaml:4: error: YAML nesting is deeper than the limit of 32 levels"),
    ("python tag", "title: !!python/object:os.system x\nauthors: [Ada Example]\n",
     "content/papers/p.yaml:1: error: YAML tag !!python/object:os.system is not allowed on a scalar; remove the tag"),
    ("bad year", "title: Dated\nauthors: [Ada Example]\nyear: 20x1\n",
     "content/papers/p.yaml:3: error: 'year' must be a whole number from 1000 to 2100, got '20x1'"),
    ("bad month", "title: Dated\nauthors: [Ada Example]\nyear: 2020\nmonth: Smarch\n",
     "content/papers/p.yaml:4: error: 'month' must be a number from 1 to 12 or an English month name such as 'March', got 'Smarch'"),
    ("timestamp year", "title: Dated\nauthors: [Ada Example]\nyear: 2020-13-45\n",
     "content/papers/p.yaml:3: error: 'year' must be a whole number from 1000 to 2100, got '2020-13-45'"),
]


@pytest.mark.parametrize(("name", "record", "message"), YAML_CASES, ids=[case[0] for case in YAML_CASES])
def test_unsafe_yaml_fails_build_with_line(tmp_path: Path, name: str, record: str, message: str) -> None:
    make_site(tmp_path, {"site.yaml": SITE_YAML, "content/papers/p.yaml": record})

    with pytest.raises(BuildFailed) as failure:
        build_into(tmp_path, tmp_path / "_site", jobs=1)
    assert [str(d) for d in failure.value.report.errors] == [message]


def test_yaml_scalars_stay_strings(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/papers/no.yaml": "title: NO\nauthors: [Ada Example]\nyear: 2020\nvenue: 10.1000\n",
    })
    build_into(tmp_path, tmp_path / "_site", jobs=1)
    tree = html5lib.parse((tmp_path / "_site/papers/no/index.html").read_bytes(), namespaceHTMLElements=False)

    assert "".join(next(tree.iter("h1")).itertext()) == "NO"
    venue_line = next(e for e in tree.iter("span") if e.get("class") == "venue-line")
    assert "".join(venue_line.itertext()).strip() == "10.1000 2020 · Other"


# Limits


def test_limits_in_site_yaml_cut_authors_and_fields(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML + "limits:\n  max_authors: 2\n  max_field_chars: 40\n",
        "content/bib/refs.bib": "@misc{m, title={Many}, author={Ada Example and B Two and C Three}, year=2020, abstract={" + "x" * 50 + "}}\n",
        "content/papers/p.yaml": "title: Record\nauthors: [Ada Example, B Two, C Three]\nyear: 2021\n",
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert [str(d) for d in result.report] == [
        "content/bib/refs.bib:1: warning: entry 'm' has 3 authors; only the first 2 are shown",
        "content/bib/refs.bib:1: warning: entry 'm', field 'abstract' has 50 characters; it is cut to 40",
        "content/papers/p.yaml:2: warning: 'authors' lists 3 authors; only the first 2 are shown "
        "(raise limits.max_authors in site.yaml if they are genuine)",
    ]


def test_limits_in_site_yaml_apply_to_yaml_records(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML + "limits:\n  max_authors: 2\n",
        "content/papers/p.yaml": "title: Record\nauthors: [Ada Example, B Two, C Three]\nyear: 2021\n",
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert [str(d) for d in result.report] == [
        "content/papers/p.yaml:2: warning: 'authors' lists 3 authors; only the first 2 are shown "
        "(raise limits.max_authors in site.yaml if they are genuine)",
    ]


def test_cut_author_list_is_cut_in_export(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML + "limits:\n  max_authors: 2\n",
        "content/bib/refs.bib": "@misc{m, title={Many}, author={Ada Example and B Two and C Three}, year=2020}\n",
    })
    build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert "author = {Ada Example and B Two and others}" in (tmp_path / "_site/papers/many/many.bib").read_text(encoding="utf-8")


def test_file_over_limit_is_refused(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML + "limits:\n  max_file_bytes: 100\n",
        "content/bib/refs.bib": "@misc{m, title={Big}, author={Ada Example}, year=2020, note={" + "y" * 200 + "}}\n",
    })

    with pytest.raises(BuildFailed) as failure:
        build_into(tmp_path, tmp_path / "_site", jobs=1)
    assert [str(d) for d in failure.value.report] == [
        "content/bib/refs.bib: error: file has 264 bytes, more than the limit of 100; it is not read "
        "(raise limits in site.yaml if it is genuine)",
        "site.yaml: warning: owner 'Ada Example' is not an author of any paper; the home page lists no papers for them",
    ]


HUGE_CASES = [
    ("nested braces in bib title", {"content/bib/refs.bib": "@misc{n, title={" + "{" * 100_000 + "x" + "}" * 100_000 + "}, author={Ada Example}, year=2020}\n"}, "field 'title' has 200001 characters; it is cut to 100000"),
    ("nested braces in YAML title", {"content/papers/p.yaml": "title: '" + "{" * 100_000 + "x" + "}" * 100_000 + "'\nauthors: [Ada Example]\nyear: 2020\n"}, "content/papers/p.yaml:1: warning: 'title' has 200001 characters; it is cut to 100000"),
    ("50000 authors in bib", {"content/bib/refs.bib": "@misc{a, title={Crowd}, year=2020, author={" + " and ".join(f"Ann{i} Crowd{i}" for i in range(50_000)) + "}}\n"}, "entry 'a' has 4646 authors; only the first 200 are shown"),
    ("50000 authors in YAML", {"content/papers/p.yaml": "title: Crowd\nyear: 2020\nauthors:\n" + "".join(f"- Ann{i} Crowd{i}\n" for i in range(50_000))}, "content/papers/p.yaml: error: file has 1077813 bytes, more than the limit of 1048576"),
    ("10 MB field in bib", {"content/bib/refs.bib": "@misc{b, title={Big}, author={Ada Example}, year=2020, abstract={" + "word " * 2_000_000 + "}}\n"}, "field 'abstract' has 10000000 characters; it is cut to 100000"),
    ("deep emphasis", {"content/bib/refs.bib": "@misc{e, title={" + "\\emph{" * 20_000 + "x" + "}" * 20_000 + "}, author={Ada Example}, year=2020}\n"}, "field 'title' has 140001 characters; it is cut to 100000"),
    ("deep math", {"content/papers/p.yaml": "title: '$" + "\\sqrt{" * 20_000 + "x" + "}" * 20_000 + "$'\nauthors: [Ada Example]\nyear: 2020\n"}, "'title' has 140003 characters; it is cut to 100000"),
    ("bracket bio", {"content/authors/ada.yaml": "name: Ada Example\nbio: '" + "![" * 400_000 + "'\n"}, "content/authors/ada.yaml:2: warning: 'bio' has 800000 characters; it is cut to 100000"),
    ("30000 authors in YAML", {"content/papers/p.yaml": "title: Crowd\nyear: 2020\nauthors:\n" + "".join(f"- A{i} B{i}\n" for i in range(30_000))}, "content/papers/p.yaml:3: warning: 'authors' lists 30000 authors; only the first 200 are shown"),
]


@pytest.mark.parametrize(("name", "files", "expected"), HUGE_CASES, ids=[case[0] for case in HUGE_CASES])
def test_huge_input_builds_in_seconds(tmp_path: Path, name: str, files: dict[str, str], expected: str) -> None:
    make_site(tmp_path, {"site.yaml": SITE_YAML, **files})
    started = time.perf_counter()
    try:
        report = build_into(tmp_path, tmp_path / "_site", jobs=1).report
    except BuildFailed as failure:
        report = failure.report
    elapsed = time.perf_counter() - started
    messages = [str(d) for d in report]
    assert any(expected in m for m in messages), messages

    # Measured at 0.1 to 4 s each on a 2-core machine; the bound leaves room for slower ones.
    assert elapsed < 15, f"{name} took {elapsed:.1f} s"


# Nothing lost, and failures leave the previous output


def test_all_errors_are_reported_before_failing(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/papers/a.yaml": "title: A\nauthors: [Ada Example]\nyear: 1\n",
        "content/papers/b.yaml": "title: B\nauthors: [Ada Example]\nyeer: 2020\n",
        "content/bib/refs.bib": "@misc{ok, title={Fine}, author={Ada Example}, year=2020}\n@misc{broken, title={Open\n",
    })
    result = CliRunner().invoke(cli_main, ["build", "--config", str(tmp_path / "site.yaml")])

    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if ": error: " in line or ": warning: " in line]
    assert problems[0].startswith("content/bib/refs.bib:2: warning: entry could not be parsed and is skipped: ")
    assert problems[1:] == [
        "content/papers/a.yaml:3: error: 'year' must be a whole number from 1000 to 2100, got '1'",
        "content/papers/b.yaml:3: error: unknown key 'yeer'; did you mean 'year'? allowed keys are: abstract, authors, bibtex, code, doi, key, month, pdf, tags, title, type, url, venue, year",
    ]
    assert not (tmp_path / "_site").exists()


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": SITE_YAML, "content/papers/a.yaml": "title: A\nauthors: [Ada Example]\n"})
    loose = CliRunner().invoke(cli_main, ["build", "--config", str(tmp_path / "site.yaml")])
    strict = CliRunner().invoke(cli_main, ["build", "--strict", "--config", str(tmp_path / "site.yaml")])

    assert loose.exit_code == 0
    assert strict.exit_code == 1
    assert "content/papers/a.yaml:1: warning: no 'year' given; the paper is listed after the papers that have one" in strict.stderr
    assert "Build failed: 1 warning(s) with --strict; nothing was written." in strict.stderr


def test_every_record_shown_or_reported(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "site.yaml": SITE_YAML,
        "content/bib/refs.bib": (
            "@misc{kept, title={Kept}, author={Ada Example}, year=2020}\n"
            "@misc{untitled, author={Ada Example}, year=2020}\n"
            "@misc{broken, title={Broken, author={Ada Example}\n"
        ),
    })
    result = build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert [p.key for p in result.site.papers] == ["kept"]
    messages = [str(d) for d in result.report]
    assert messages[0] == "content/bib/refs.bib:2: warning: entry 'untitled' has no title and is skipped"
    assert messages[1].startswith("content/bib/refs.bib:3: warning: entry could not be parsed and is skipped: ")
    assert len(messages) == 2


def test_exception_while_rendering_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, files_with("title", "Before"))
    build_into(tmp_path, tmp_path / "_site", jobs=1)
    before = tree_bytes(tmp_path / "_site")
    make_site(tmp_path, files_with("title", "After"))

    calls = {"count": 0}
    original = rendering.Renderer.render_chunks

    def failing_render(self: rendering.Renderer, plan: rendering.PagePlan) -> list[bytes]:
        calls["count"] += 1
        if calls["count"] == 5:
            raise RuntimeError("injected failure")
        return original(self, plan)

    monkeypatch.setattr(rendering.Renderer, "render_chunks", failing_render)
    with pytest.raises(RuntimeError, match="injected failure"):
        build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert tree_bytes(tmp_path / "_site") == before
    assert not (tmp_path / "._site.staging").exists()


def big_site(root: Path, label: str) -> None:
    papers = "".join(
        f"@misc{{k{i}, title={{{label} paper number {i}}}, author={{Ada Example and Writer{i % 40} Person}}, journal={{Venue {i % 30}}}, year={2000 + i % 20}}}\n"
        for i in range(400)
    )
    make_site(root, {"site.yaml": SITE_YAML, "content/bib/refs.bib": papers})


def subprocess_build(root: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "-q", "-j", "1", "--config", str(root / "site.yaml")],
        cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def test_sigkill_leaves_old_or_new_output(tmp_path: Path) -> None:
    big_site(tmp_path, "Old")
    assert subprocess_build(tmp_path).wait() == 0
    old = tree_bytes(tmp_path / "_site")
    big_site(tmp_path, "New")
    assert subprocess_build(tmp_path).wait() == 0
    new = tree_bytes(tmp_path / "_site")
    started = time.perf_counter()
    big_site(tmp_path, "Old")
    assert subprocess_build(tmp_path).wait() == 0
    duration = time.perf_counter() - started

    chooser = random.Random(20240601)
    for attempt in range(4):
        label, expected_new = ("New", new) if attempt % 2 == 0 else ("Old", old)
        previous = new if attempt % 2 else old
        big_site(tmp_path, label)
        process = subprocess_build(tmp_path)
        time.sleep(chooser.uniform(0.0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()

        journal = tmp_path / "._site.bibfolio" / "journal.json"
        if (tmp_path / "_site").exists() and not journal.exists():
            assert tree_bytes(tmp_path / "_site") in (previous, expected_new), f"attempt {attempt}"
        assert subprocess_build(tmp_path).wait() == 0
        assert tree_bytes(tmp_path / "_site") == expected_new
        assert not (tmp_path / "._site.staging").exists()
        assert not (tmp_path / "._site.previous").exists()


# Determinism


def test_output_is_byte_identical_across_environments(tmp_path: Path) -> None:
    records = {
        f"content/papers/{name}.yaml": f"title: Paper {name}\nauthors: [Ada Example, Über Zoë, 李 雷]\nyear: {2010 + i}\nvenue: NeurIPS\n"
        for i, name in enumerate(["b", "A", "c", "ä", "Z"])
    }
    files = {"site.yaml": SITE_YAML, "content/bib/refs.bib": "@misc{x, title={Bib Paper}, author={Über Zoë}, year=2019}\n", **records}
    environments = [
        {"PYTHONHASHSEED": "0", "TZ": "UTC", "LC_ALL": "C", "LANG": "C"},
        {"PYTHONHASHSEED": "12345", "TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
    ]
    trees = []
    for index, env in enumerate(environments):
        root = tmp_path / f"site{index}"
        order = list(files.items()) if index == 0 else list(reversed(files.items()))
        make_site(root, dict(order))
        for offset, path in enumerate(sorted(root.rglob("*.yaml"))):
            stamp = 1_000_000_000 + (offset if index == 0 else -offset) * 3600
            os.utime(path, (stamp, stamp))
        process = subprocess_build(root, env)
        assert process.wait() == 0, process.stderr.read() if process.stderr else ""
        trees.append(tree_bytes(root / "_site"))

    assert trees[0] == trees[1]
    assert len(trees[0]) > 20


def test_previous_output_copy_is_unchanged_by_clean_rebuild(tmp_path: Path) -> None:
    make_site(tmp_path, files_with("title", "Stable"))
    build_into(tmp_path, tmp_path / "_site", jobs=1)
    first = tree_bytes(tmp_path / "_site")
    shutil.copytree(tmp_path / "_site", tmp_path / "copy")
    build_into(tmp_path, tmp_path / "_site", jobs=1)

    assert tree_bytes(tmp_path / "_site") == first
    assert tree_bytes(tmp_path / "copy") == first

"""Tests for profiles read from content/authors/*.yaml and their Markdown bios."""

from __future__ import annotations

import pytest

from generator.diagnostics import ContentError, Location, Report
from generator.loading.profiles import ALLOWED_KEYS, is_safe_bio_link, load_profile, render_bio
from generator.model import Link, Profile

PATH = "content/authors/jane.yaml"

FULL_PROFILE = """\
name: Jane Doe
aliases:
  - J. Doe
  - Doe, Jane
affiliation: University of Examples
photo: images/jane.jpg
links:
  Homepage: https://jane.example.org
  Email: mailto:jane@example.org
  Scholar: HTTPS://scholar.example.org/jane
bio: |
  Jane studies *tables*.
  See [her papers](/papers/).
"""


def load(text: str) -> tuple[Profile, Report]:
    report = Report()
    return load_profile(text, PATH, report), report


def messages(report: Report) -> list[tuple[int | None, str]]:
    return [(item.location.line, item.message) for item in report]


def test_full_profile() -> None:
    profile, report = load(FULL_PROFILE)
    assert messages(report) == []
    assert profile.name == "Jane Doe"
    assert profile.aliases == ["J. Doe", "Doe, Jane"]
    assert profile.affiliation == "University of Examples"
    assert profile.photo == "images/jane.jpg"
    assert profile.links == [
        Link("Homepage", "https://jane.example.org"),
        Link("Email", "mailto:jane@example.org"),
        Link("Scholar", "https://scholar.example.org/jane"),
    ]
    assert profile.bio_html == '<p>Jane studies <em>tables</em>.\nSee <a href="/papers/">her papers</a>.</p>\n'
    assert profile.location == Location(PATH, 1)


def test_minimal_profile() -> None:
    profile, report = load("name: NO\n")
    assert messages(report) == []
    assert profile == Profile(name="NO", location=Location(PATH, 1))


@pytest.mark.parametrize(
    ("photo", "expected"),
    [
        ("images/jane.jpg", "images/jane.jpg"),
        ("/images/jane.jpg", "/images/jane.jpg"),
        ("https://cdn.example.org/jane.jpg", "https://cdn.example.org/jane.jpg"),
    ],
)
def test_photo_accepted(photo: str, expected: str) -> None:
    profile, report = load(f"name: Jane Doe\nphoto: {photo}\n")
    assert profile.photo == expected
    assert messages(report) == []


@pytest.mark.parametrize(
    "photo",
    [
        "http://cdn.example.org/jane.jpg",
        "javascript:alert(1)",
        "'data:image/png;base64,AAAA'",
        "//evil.example/jane.jpg",
        "../../etc/passwd",
    ],
)
def test_photo_rejected_with_warning(photo: str) -> None:
    profile, report = load(f"name: Jane Doe\n\nphoto: {photo}\n")
    raw = photo.strip("'")
    assert profile.photo == ""
    assert messages(report) == [
        (3, f"'photo': '{raw}' is neither a path inside the site nor an https URL; no photo is shown")
    ]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "'\\x01javascript:alert(1)'",
        '" java\\tscript:alert(1)"',
        "vbscript:msgbox(1)",
        "'data:text/html,<b>x</b>'",
        "//evil.example",
        "papers/",
    ],
)
def test_unsafe_profile_link_dropped(url: str) -> None:
    profile, report = load(f"name: Jane Doe\nlinks:\n  Home: https://jane.example.org\n  Bad: {url}\n")
    assert profile.links == [Link("Home", "https://jane.example.org")]
    assert len(report.warnings) == 1
    assert report.warnings[0].location == Location(PATH, 4)
    assert report.warnings[0].message.startswith("link 'Bad': ")
    assert report.warnings[0].message.endswith("is not an http, https or mailto URL; it is not linked")


def test_unsafe_profile_link_message() -> None:
    _, report = load("name: Jane Doe\nlinks:\n  Bad: javascript:alert(1)\n")
    assert messages(report) == [
        (3, "link 'Bad': 'javascript:alert(1)' is not an http, https or mailto URL; it is not linked")
    ]


# Bio rendering: raw HTML is escaped and only safe links survive.


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ('<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>\n"),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>\n"),
        ("[a](https://example.org)", '<p><a href="https://example.org">a</a></p>\n'),
        ("[a](mailto:jane@example.org)", '<p><a href="mailto:jane@example.org">a</a></p>\n'),
        ("[a](/papers/)", '<p><a href="/papers/">a</a></p>\n'),
        ("[a](#top)", '<p><a href="#top">a</a></p>\n'),
        ("<https://example.org>", '<p><a href="https://example.org">https://example.org</a></p>\n'),
        ("[a](javascript:alert(1))", "<p>[a](javascript:alert(1))</p>\n"),
        ("[a](JaVaScRiPt:alert(1))", "<p>[a](JaVaScRiPt:alert(1))</p>\n"),
        ("[a](javascript&#58;alert(1))", "<p>[a](javascript:alert(1))</p>\n"),
        ("[a](vbscript:msgbox(1))", "<p>[a](vbscript:msgbox(1))</p>\n"),
        ("[a](data:text/html,x)", "<p>[a](data:text/html,x)</p>\n"),
        ("![i](data:image/png;base64,AAAA)", "<p>![i](data:image/png;base64,AAAA)</p>\n"),
        ("[a](//evil.example)", "<p>[a](//evil.example)</p>\n"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"),
        ("[a]\n\n[a]: javascript:alert(1)", "<p>[a]</p>\n<p>[a]: javascript:alert(1)</p>\n"),
        ("[a](/\\evil.example)", '<p><a href="/%5Cevil.example">a</a></p>\n'),
    ],
)
def test_render_bio(markdown: str, html: str) -> None:
    rendered, _ = render_bio(markdown)
    assert rendered == html


def test_render_bio_lists_rejected_links() -> None:
    _, rejected = render_bio("[a](javascript:alert(1)) [b](https://ok.example) ![c](//evil.example/x.png)")
    assert rejected == ["javascript:alert(1)", "//evil.example/x.png"]


def test_default_validator_would_allow_data_image() -> None:
    # The reason for the stricter check: markdown-it-py's own validateLink
    # (version 4) lets data:image URLs and protocol-relative links through.
    from markdown_it import MarkdownIt

    default = MarkdownIt("commonmark", {"html": False})
    assert default.validateLink("data:image/png;base64,AAAA") is True
    assert default.validateLink("//evil.example") is True
    assert default.validateLink("javascript:alert(1)") is False
    assert is_safe_bio_link("data:image/png;base64,AAAA") is False
    assert is_safe_bio_link("//evil.example") is False


def test_bio_unsafe_link_warns() -> None:
    profile, report = load("name: Jane Doe\nbio: 'Click [here](javascript:alert(1))'\n")
    assert "href" not in profile.bio_html
    assert messages(report) == [
        (
            2,
            "'bio': link 'javascript:alert(1)' is not an http, https or mailto URL or a path inside the site; "
            "it is shown as text",
        )
    ]


ALLOWED = ", ".join(sorted(ALLOWED_KEYS))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("\naffiliation: X\n", 2, "missing required key 'name'"),
        ("name: ''\n", 1, "'name' is empty"),
        ("name: [Jane]\n", 1, "'name' must be text, got a list"),
        ("name: Jane\naliases: J. Doe\n", 2, "'aliases' must be a list (one '- item' per line), got text"),
        ("name: Jane\naliases:\n  - J. Doe\n  - [x]\n", 4, "item 2 of 'aliases' must be text, got a list"),
        ("name: Jane\nlinks:\n  - https://x.example\n", 2, "'links' must be a mapping of names to values, got a list"),
        ("name: Jane\nlinks:\n  Home: [https://x.example]\n", 3, "link 'Home' must be a URL, got a list"),
        ("name: Jane\nbio: {a: b}\n", 2, "'bio' must be text, got a mapping"),
        ("name: Jane\nemail: j@x.example\n", 2, f"unknown key 'email'; allowed keys are: {ALLOWED}"),
        ("name: Jane\nalias: [J]\n", 2, f"unknown key 'alias'; did you mean 'aliases'? allowed keys are: {ALLOWED}"),
        ("name: Jane\nname: Jane Doe\n", 2, "duplicate key 'name' on lines 1 and 2; keep one of them"),
        ("- Jane\n", 1, "a profile file must be a YAML mapping of keys and values, got a list"),
        ("name: &n Jane\naliases: [*n]\n", 1, "YAML aliases are not allowed (anchor &n); write the value out in full"),
        (
            "name: !!python/object/apply:os.system ['id']\n",
            1,
            "YAML tag !!python/object/apply:os.system is not allowed on a sequence; remove the tag",
        ),
    ],
)
def test_invalid_profile(text: str, line: int, message: str) -> None:
    with pytest.raises(ContentError) as caught:
        load_profile(text, PATH, Report())
    assert caught.value.location == Location(PATH, line)
    assert caught.value.message == message

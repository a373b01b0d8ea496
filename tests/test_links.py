"""Tests for the URL, DOI and site-path checks shared by the loaders."""

from __future__ import annotations

import pytest

from generator.links import clean_url, doi_url, normalize_doi, safe_site_path, safe_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/paper", "https://example.org/paper"),
        ("http://example.org", "http://example.org"),
        ("HTTPS://Example.org/A?b=1#c", "https://Example.org/A?b=1#c"),
        ("  https://example.org/\n", "https://example.org/"),
        ("https://exa\nmple.org/p\tath", "https://example.org/path"),
        ("\x00https://example.org", "https://example.org"),
        ("https://example.org:8443/x", "https://example.org:8443/x"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
        ("https://例え.テスト/論文", "https://例え.テスト/論文"),
        ("mailto:jane@example.org", "mailto:jane@example.org"),
        ("MailTo:jane@example.org?subject=Paper", "mailto:jane@example.org?subject=Paper"),
    ],
)
def test_safe_url_accepts(raw: str, expected: str) -> None:
    assert safe_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "\x1f javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:image/png;base64,AAAA",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "//evil.example/x",
        "\\\\evil.example\\x",
        "papers/x.pdf",
        "/files/x.pdf",
        "../x.pdf",
        "#section",
        "",
        "   ",
        "https:evil.example",
        "https:/evil.example",
        "https://",
        "https:///path",
        "https://user:pass@evil.example/",
        "https://trusted.example@evil.example/",
        "https://[::1/x",
        "https://example.org/a b",
        "https://example.org/\u202eexe.pdf",
        "https://example.org/\u200b",
        "https://example.org/\x7f",
        "mailto:",
        "javascript&colon;alert(1)",
    ],
)
def test_safe_url_rejects(raw: str) -> None:
    assert safe_url(raw) is None


def test_safe_url_backslash_host_keeps_scheme() -> None:
    # Browsers read https:\\host as https://host, which is still https.
    assert safe_url("https:\\\\example.org\\x") == "https:\\\\example.org\\x"


def test_clean_url_matches_browser_cleanup() -> None:
    assert clean_url(" \x00java\tscr\nipt:x\r ") == "javascript:x"


@pytest.mark.parametrize(
    ("raw", "bare", "url"),
    [
        ("10.1000/xyz123", "10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
        (" doi:10.1000/ABC ", "10.1000/ABC", "https://doi.org/10.1000/ABC"),
        ("DOI:10.1000/abc", "10.1000/abc", "https://doi.org/10.1000/abc"),
        ("https://doi.org/10.1145/3292500", "10.1145/3292500", "https://doi.org/10.1145/3292500"),
        ("http://dx.doi.org/10.1145/3292500", "10.1145/3292500", "https://doi.org/10.1145/3292500"),
        ("10.1000.10/sub", "10.1000.10/sub", "https://doi.org/10.1000.10/sub"),
        (
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-#",
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-#",
            "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-%23",
        ),
        ("10.1000/a?b%c\"d", "10.1000/a?b%c\"d", "https://doi.org/10.1000/a%3Fb%25c%22d"),
        ("10.48550/arXiv.2101.00001", "10.48550/arXiv.2101.00001", "https://doi.org/10.48550/arXiv.2101.00001"),
    ],
)
def test_doi_accepted_and_encoded(raw: str, bare: str, url: str) -> None:
    assert normalize_doi(raw) == bare
    assert doi_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "10.1000",
        "10.1000/",
        "11.1000/x",
        "10.abc/x",
        "10.1000/has space",
        "10.1000/x\u202e",
        "javascript:alert(1)//10.1000/x",
        "https://evil.example/10.1000/x",
        "doi: ",
    ],
)
def test_doi_rejected(raw: str) -> None:
    assert normalize_doi(raw) is None
    assert doi_url(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("images/jane.jpg", "images/jane.jpg"),
        ("/images/jane.jpg", "/images/jane.jpg"),
        (" images/jane.jpg ", "images/jane.jpg"),
        ("images/a..b.jpg", "images/a..b.jpg"),
        ("files/cv.pdf?v=2#page=1", "files/cv.pdf?v=2#page=1"),
        ("images/..", None),
        ("../secret.jpg", None),
        ("images/../../x.jpg", None),
        ("//evil.example/x.jpg", None),
        ("\\\\evil.example\\x.jpg", None),
        ("images\\x.jpg", None),
        ("https://example.org/x.jpg", None),
        ("javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("images/ja ne.jpg", None),
        ("images/\x00.jpg", None),
        ("", None),
    ],
)
def test_safe_site_path(raw: str, expected: str | None) -> None:
    assert safe_site_path(raw) == expected

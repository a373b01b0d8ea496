"""Tests for the line-keeping YAML reader and its typed accessors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import yaml

from generator.diagnostics import ContentError
from generator.loading import safe_yaml
from generator.loading.safe_yaml import (
    YamlList,
    YamlMap,
    check_keys,
    load_yaml,
    optional_list,
    optional_mapping,
    optional_text,
    optional_text_list,
    require_mapping,
    required_text,
)

PARSERS = [pytest.param(yaml.BaseLoader, id="python")]
if hasattr(yaml, "CBaseLoader"):
    PARSERS.append(pytest.param(yaml.CBaseLoader, id="libyaml"))


@pytest.fixture(params=PARSERS, autouse=True)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """Run every test with the pure-Python parser and, when installed, the C parser."""
    monkeypatch.setattr(safe_yaml, "_Loader", request.param)
    yield request.param


def load_error(text: str, **limits: int) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_yaml(text, "content/papers/x.yaml", **limits)
    return caught.value


# Scalars keep the text as written: YAML 1.1 would turn these into bools,
# floats, ints, dates or None.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("NO", "NO"),
        ("yes", "yes"),
        ("off", "off"),
        ("10.1000", "10.1000"),
        ("2022", "2022"),
        ("0x1F", "0x1F"),
        ("1e3", "1e3"),
        ("2022-01-31", "2022-01-31"),
        ("~", "~"),
        ("null", "null"),
        ("", ""),
        ("'quoted: text'", "quoted: text"),
        ('"tab\\there"', "tab\there"),
        ("!!str 5", "5"),
        ("!!int 5", "5"),
        ("! 12", "12"),
        ("Müller — 林", "Müller — 林"),
    ],
)
def test_scalar_kept_as_written(source: str, expected: str) -> None:
    value = load_yaml(f"value: {source}\n", "x.yaml")
    assert value == {"value": expected}
    assert isinstance(value, YamlMap)
    assert type(value["value"]) is str


def test_mapping_and_key_lines() -> None:
    text = "# a comment\n\ntitle: A\nauthors:\n  - Jane Doe\n\n  - John Smith\nbibtex: {note: x,\n  pages: 1-2}\n"
    root = load_yaml(text, "x.yaml")
    assert isinstance(root, YamlMap)
    assert root.line == 3
    assert root.line_of("title") == 3
    assert root.line_of("authors") == 4
    assert root.line_of("bibtex") == 8
    assert root.line_of("absent") == 3

    authors = root["authors"]
    assert isinstance(authors, YamlList)
    assert authors == ["Jane Doe", "John Smith"]
    assert authors.line == 5
    assert authors.item_lines == [5, 7]
    assert authors.line_of(1) == 7

    bibtex = root["bibtex"]
    assert isinstance(bibtex, YamlMap)
    assert bibtex.line == 8
    assert bibtex.line_of("pages") == 9


def test_key_order_is_file_order() -> None:
    root = load_yaml("zeta: 1\nalpha: 2\nmid: 3\n", "x.yaml")
    assert isinstance(root, YamlMap)
    assert list(root) == ["zeta", "alpha", "mid"]


def test_nested_list_item_lines() -> None:
    root = load_yaml("- a\n- - b\n  - c\n- {k: v}\n", "x.yaml")
    assert isinstance(root, YamlList)
    assert root == ["a", ["b", "c"], {"k": "v"}]
    assert root.item_lines == [1, 2, 4]
    inner = root[1]
    assert isinstance(inner, YamlList)
    assert inner.item_lines == [2, 3]


def test_block_scalar_text() -> None:
    root = load_yaml("abstract: |\n  Line one.\n  Line two.\nnext: x\n", "x.yaml")
    assert root == {"abstract": "Line one.\nLine two.\n", "next": "x"}


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "\n\n"],
)
def test_empty_document_returns_none(text: str) -> None:
    assert load_yaml(text, "x.yaml") is None


def test_document_marker_alone_is_empty_text() -> None:
    assert load_yaml("---\n", "x.yaml") == ""


def test_single_explicit_document_accepted() -> None:
    assert load_yaml("%YAML 1.1\n---\na: 1\n...\n", "x.yaml") == {"a": "1"}


def test_quoted_merge_key_is_ordinary_key() -> None:
    assert load_yaml("'<<': x\n", "x.yaml") == {"<<": "x"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "a: &anchor 1\nb: *anchor\n",
            1,
            "YAML aliases are not allowed (anchor &anchor); write the value out in full",
        ),
        (
            "a:\n  - &x [1, 2]\n",
            2,
            "YAML aliases are not allowed (anchor &x); write the value out in full",
        ),
        (
            "a: 1\nb: *undefined\n",
            2,
            "YAML aliases are not allowed (alias *undefined); write the value out in full",
        ),
        (
            "defaults: {venue: X}\npaper:\n  <<: {year: 2020}\n",
            3,
            "YAML merge keys (<<) are not allowed; write the keys out in full",
        ),
        (
            "title: A\nyear: 2020\ntitle: B\n",
            3,
            "duplicate key 'title' on lines 1 and 3; keep one of them",
        ),
        (
            "bibtex:\n  note: a\n  pages: 1\n  note: b\n",
            4,
            "duplicate key 'note' on lines 2 and 4; keep one of them",
        ),
        (
            "{a: 1, a: 2}\n",
            1,
            "duplicate key 'a' on lines 1 and 1; keep one of them",
        ),
        (
            "a: !!python/object/apply:os.system ['echo hacked']\n",
            1,
            "YAML tag !!python/object/apply:os.system is not allowed on a sequence; remove the tag",
        ),
        (
            "a: 1\nb: !!python/name:os.system ''\n",
            2,
            "YAML tag !!python/name:os.system is not allowed on a scalar; remove the tag",
        ),
        (
            "a: !custom x\n",
            1,
            "YAML tag !custom is not allowed on a scalar; remove the tag",
        ),
        (
            "a: !!binary aGVsbG8=\n",
            1,
            "YAML tag !!binary is not allowed on a scalar; remove the tag",
        ),
        (
            "a: !!map x\n",
            1,
            "YAML tag !!map is not allowed on a scalar; remove the tag",
        ),
        (
            "a: !!set {x, y}\n",
            1,
            "YAML tag !!set is not allowed on a mapping; remove the tag",
        ),
        (
            "%TAG !! tag:example.org,2024:\n---\na: !!str x\n",
            3,
            "YAML tag tag:example.org,2024:str is not allowed on a scalar; remove the tag",
        ),
        (
            "? [a, b]\n: value\n",
            1,
            "a sequence cannot be a mapping key; keys must be plain text",
        ),
        (
            "{a: 1}: value\n",
            1,
            "a mapping cannot be a mapping key; keys must be plain text",
        ),
        (
            "title: A\n---\ntitle: B\n",
            2,
            "a second YAML document starts here; a file must contain exactly one",
        ),
        (
            "title: A\n\nabstract: \x01\n",
            3,
            "invalid character U+0001; YAML files may not contain control characters",
        ),
        (
            "title: A\nnote: \ufffe\n",
            2,
            "invalid character U+FFFE; YAML files may not contain control characters",
        ),
    ],
)
def test_rejected_input(text: str, line: int, message: str) -> None:
    error = load_error(text)
    assert error.location.path == "content/papers/x.yaml"
    assert error.location.line == line
    assert error.message == message


@pytest.mark.parametrize(
    ("text", "line", "start"),
    [
        ("title: A\nauthors: [a,\n  b\nyear: 2020\n", 4, "invalid YAML: "),
        ("title: A\n  year: 2020\n", 2, "invalid YAML: mapping values are not allowed"),
        ("title: A\n\tyear: 2020\n", 2, "invalid YAML: "),
        ("title: 'unclosed\n", 2, "invalid YAML: "),
    ],
)
def test_syntax_error_line_is_one_based(text: str, line: int, start: str) -> None:
    error = load_error(text)
    assert error.location.line == line
    assert error.message.startswith(start)


def test_syntax_error_names_context_line() -> None:
    error = load_error("title: A\nauthors: [a,\n  b\nyear: 2020\n")
    assert "on line 2)" in error.message


def test_billion_laughs_rejected_quickly() -> None:
    rows = ['lol: &lol0 "lol"']
    for level in range(1, 10):
        previous = f"*lol{level - 1}"
        rows.append(f"lol{level}: &lol{level} [" + ", ".join([previous] * 10) + "]")
    started = time.perf_counter()
    error = load_error("\n".join(rows) + "\n")
    elapsed = time.perf_counter() - started
    assert error.location.line == 1
    assert error.message.startswith("YAML aliases are not allowed")
    assert elapsed < 0.5


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 10_000 + "]" * 10_000, id="flow-sequences"),
        pytest.param("{a: " * 10_000 + "}" * 10_000, id="flow-mappings"),
        pytest.param("- " * 10_000 + "x\n", id="block-sequences"),
    ],
)
def test_deep_nesting_is_content_error(text: str) -> None:
    error = load_error(text)
    assert error.location.line == 1
    # libyaml (0.2.6 here) rejects flow nesting past 1000 levels with its
    # own message before this module receives the events, so only the topic is checked.
    assert "nesting" in error.message


def nested_mappings(levels: int) -> str:
    return "".join("  " * depth + f"k{depth}:\n" for depth in range(levels - 1)) + "  " * (levels - 1) + "leaf: x\n"


def test_nesting_at_limit_accepted() -> None:
    root = load_yaml(nested_mappings(32), "x.yaml")
    for depth in range(31):
        assert isinstance(root, YamlMap)
        root = root[f"k{depth}"]
    assert root == {"leaf": "x"}


def test_nesting_past_limit_names_limit_and_line() -> None:
    error = load_error(nested_mappings(33))
    assert error.location.line == 33
    assert error.message == "YAML nesting is deeper than the limit of 32 levels"


def test_nesting_limit_configurable() -> None:
    assert load_yaml("a: {b: c}\n", "x.yaml", max_depth=2) == {"a": {"b": "c"}}
    error = load_error("a: {b: [c]}\n", max_depth=2)
    assert error.location.line == 1
    assert error.message == "YAML nesting is deeper than the limit of 2 levels"


def test_size_limit_counts_utf8_bytes() -> None:
    text = "t: " + "é" * 10 + "\n"  # 3 + 20 + 1 bytes
    assert load_yaml(text, "x.yaml", max_bytes=24) == {"t": "é" * 10}
    error = load_error(text, max_bytes=23)
    assert error.location.line is None
    assert error.message == "the file is larger than the limit of 23 bytes; split it or shorten it"


def test_default_size_limit_one_mebibyte() -> None:
    error = load_error("a: " + "x" * (1 << 20) + "\n")
    assert error.message == "the file is larger than the limit of 1048576 bytes; split it or shorten it"


# Typed accessors.


def mapping(text: str) -> YamlMap:
    root = load_yaml(text, "x.yaml")
    assert isinstance(root, YamlMap)
    return root


def accessor_error(call: object) -> ContentError:
    assert callable(call)
    with pytest.raises(ContentError) as caught:
        call()
    return caught.value


def test_check_keys_suggests_close_key() -> None:
    record = mapping("title: A\nvenu: X\n")
    error = accessor_error(lambda: check_keys(record, {"title", "venue", "year"}, "x.yaml"))
    assert error.location.line == 2
    assert error.message == "unknown key 'venu'; did you mean 'venue'? allowed keys are: title, venue, year"


def test_check_keys_without_close_key() -> None:
    record = mapping("title: A\nzzz: X\n")
    error = accessor_error(lambda: check_keys(record, {"title", "venue"}, "x.yaml"))
    assert error.message == "unknown key 'zzz'; allowed keys are: title, venue"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- a\n- b\n", "a list"),
        ("just text\n", "text"),
        ("", "an empty file"),
        ("---\n", "an empty file"),
    ],
)
def test_require_mapping_rejects_other_roots(text: str, found: str) -> None:
    root = load_yaml(text, "x.yaml")
    error = accessor_error(lambda: require_mapping(root, "x.yaml", "a paper file"))
    assert error.location.line == 1
    assert error.message == f"a paper file must be a YAML mapping of keys and values, got {found}"


def test_text_accessors() -> None:
    record = mapping("title: '  Spaced  '\nempty:\nblank: '   '\nlist: [a]\n")
    assert optional_text(record, "title", "x.yaml") == "Spaced"
    assert optional_text(record, "empty", "x.yaml") is None
    assert optional_text(record, "blank", "x.yaml") is None
    assert optional_text(record, "absent", "x.yaml") is None
    assert required_text(record, "title", "x.yaml") == "Spaced"

    wrong = accessor_error(lambda: optional_text(record, "list", "x.yaml"))
    assert (wrong.location.line, wrong.message) == (4, "'list' must be text, got a list")
    missing = accessor_error(lambda: required_text(record, "venue", "x.yaml"))
    assert (missing.location.line, missing.message) == (1, "missing required key 'venue'")
    empty = accessor_error(lambda: required_text(record, "blank", "x.yaml"))
    assert (empty.location.line, empty.message) == (3, "'blank' is empty")


def test_list_accessors() -> None:
    record = mapping("tags:\n  - a\n  - ' b '\nnone:\ntext: x\nbad: [a, [b]]\nhole: [a, '']\n")
    assert optional_text_list(record, "tags", "x.yaml") == [("a", 2), ("b", 3)]
    assert optional_text_list(record, "none", "x.yaml") == []
    assert optional_text_list(record, "absent", "x.yaml") == []
    assert optional_list(record, "absent", "x.yaml") == []

    not_list = accessor_error(lambda: optional_list(record, "text", "x.yaml"))
    assert (not_list.location.line, not_list.message) == (
        5,
        "'text' must be a list (one '- item' per line), got text",
    )
    nested = accessor_error(lambda: optional_text_list(record, "bad", "x.yaml"))
    assert (nested.location.line, nested.message) == (6, "item 2 of 'bad' must be text, got a list")
    empty = accessor_error(lambda: optional_text_list(record, "hole", "x.yaml"))
    assert (empty.location.line, empty.message) == (7, "item 2 of 'hole' is empty")


def test_mapping_accessor() -> None:
    record = mapping("bibtex:\n  note: x\nempty:\nlist: [a]\n")
    assert optional_mapping(record, "bibtex", "x.yaml") == {"note": "x"}
    assert optional_mapping(record, "empty", "x.yaml") == {}
    assert optional_mapping(record, "absent", "x.yaml") == {}
    error = accessor_error(lambda: optional_mapping(record, "list", "x.yaml"))
    assert (error.location.line, error.message) == (
        4,
        "'list' must be a mapping of names to values, got a list",
    )

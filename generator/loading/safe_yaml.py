"""Loading stage: a YAML reader for untrusted content files that keeps line numbers.

Produces plain strings, lists and dicts with the 1-based line of every key and
item. It depends on YAML only, not on the paper or profile schemas.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass

import yaml

from ..diagnostics import ContentError, Location

# The libyaml parser is used when PyYAML was built with it. Both emit the same events.
_Loader: type[yaml.BaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

_STANDARD_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {"str", "int", "float", "bool", "null", "timestamp"}

# Characters outside the YAML 1.1 printable set. PyYAML rejects them with a
# character offset instead of a line, so they are found here first.
_NON_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class YamlMap(dict[str, object]):
    """A YAML mapping with the line of the mapping and of each key (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        """Line where the mapping starts: its first key, or the ``{`` of a flow mapping."""
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """Return the line of ``key``, or the mapping's own line when the key is absent."""
        return self.key_lines.get(key, self.line)


class YamlList(list[object]):
    """A YAML sequence with the line of the sequence and of each item (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        """Return the line where item ``index`` starts."""
        return self.item_lines[index]


@dataclass
class _Frame:
    """A collection that is still being filled while events are read."""

    value: YamlMap | YamlList
    pending_key: str | None = None
    pending_key_line: int = 0


def load_yaml(text: str, path: str, *, max_depth: int = 32, max_bytes: int = 1 << 20) -> object:
    """Parse one YAML document into YamlMap, YamlList and str values.

    Every scalar stays the string written in the file (``NO``, ``2022`` and
    ``10.1000`` are not converted). Aliases, anchors, merge keys, non-standard
    tags, duplicate keys, nesting deeper than ``max_depth`` collections, text
    larger than ``max_bytes`` bytes of UTF-8 and a second document all raise
    ContentError with the 1-based line. An empty document returns None.
    """
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ContentError(
            Location(path),
            f"the file is larger than the limit of {max_bytes} bytes; split it or shorten it",
        )
    bad_character = _NON_PRINTABLE.search(text)
    if bad_character:
        line = text.count("\n", 0, bad_character.start()) + 1
        code = f"U+{ord(bad_character.group()):04X}"
        raise ContentError(
            Location(path, line),
            f"invalid character {code}; YAML files may not contain control characters",
        )

    loader = _Loader(text)
    try:
        return _build(loader, path, max_depth)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, path) from error
    except yaml.YAMLError as error:
        raise ContentError(Location(path), f"invalid YAML: {error}") from error
    finally:
        loader.dispose()


def _build(loader: yaml.BaseLoader, path: str, max_depth: int) -> object:
    """Build the root value from parser events, without recursion."""
    stack: list[_Frame] = []
    root: object = None
    documents = 0

    while True:
        event: yaml.Event = loader.get_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        # Both parsers set start_mark on every event, but the stubs allow None.
        line = event.start_mark.line + 1 if event.start_mark is not None else 1

        if isinstance(event, yaml.StreamEndEvent):
            return root
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ContentError(
                    Location(path, line),
                    "a second YAML document starts here; a file must contain exactly one",
                )
            continue
        if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
            continue
        if isinstance(event, yaml.AliasEvent):
            raise ContentError(
                Location(path, line),
                f"YAML aliases are not allowed (alias *{event.anchor}); write the value out in full",
            )

        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = stack.pop()
            if not stack:
                root = done.value
            else:
                _attach(stack[-1], done.value, done.value.line, path)
            continue

        assert isinstance(event, yaml.NodeEvent), event
        if event.anchor is not None:
            raise ContentError(
                Location(path, line),
                f"YAML aliases are not allowed (anchor &{event.anchor}); write the value out in full",
            )

        if isinstance(event, yaml.ScalarEvent):
            _check_tag(event.tag, "scalar", path, line)
            value = event.value
            if stack and _expects_key(stack[-1]) and value == "<<" and not event.style:
                raise ContentError(
                    Location(path, line),
                    "YAML merge keys (<<) are not allowed; write the keys out in full",
                )
            if not stack:
                root = value
            else:
                _attach(stack[-1], value, line, path)
            continue

        # A mapping or sequence starts.
        assert isinstance(event, yaml.CollectionStartEvent), event
        kind = "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
        _check_tag(event.tag, kind, path, line)
        if stack and _expects_key(stack[-1]):
            raise ContentError(
                Location(path, line),
                f"a {kind} cannot be a mapping key; keys must be plain text",
            )
        if len(stack) >= max_depth:
            raise ContentError(
                Location(path, line),
                f"YAML nesting is deeper than the limit of {max_depth} levels",
            )
        collection: YamlMap | YamlList = YamlMap(line) if kind == "mapping" else YamlList(line)
        stack.append(_Frame(collection))


def _expects_key(frame: _Frame) -> bool:
    return isinstance(frame.value, YamlMap) and frame.pending_key is None


def _attach(frame: _Frame, value: object, line: int, path: str) -> None:
    """Add a finished value to the collection on top of the stack."""
    container = frame.value
    if isinstance(container, YamlList):
        container.append(value)
        container.item_lines.append(line)
        return

    if frame.pending_key is None:
        # Collections were rejected as keys when they started, so this is a scalar.
        assert isinstance(value, str), value
        if value in container:
            first = container.line_of(value)
            raise ContentError(
                Location(path, line),
                f"duplicate key '{value}' on lines {first} and {line}; keep one of them",
            )
        frame.pending_key = value
        frame.pending_key_line = line
        return

    container[frame.pending_key] = value
    container.key_lines[frame.pending_key] = frame.pending_key_line
    frame.pending_key = None


def _check_tag(tag: str | None, kind: str, path: str, line: int) -> None:
    """Allow no tag, the non-specific ``!`` and standard tags that match the node kind."""
    if tag is None or tag == "!":
        return
    if tag.startswith(_STANDARD_TAG):
        name = tag[len(_STANDARD_TAG) :]
        if (kind == "scalar" and name in _SCALAR_TAGS) or (kind == "mapping" and name == "map"):
            return
        if kind == "sequence" and name == "seq":
            return
        tag_text = f"!!{name}"
    else:
        tag_text = tag
    raise ContentError(
        Location(path, line),
        f"YAML tag {tag_text} is not allowed on a {kind}; remove the tag",
    )


def _syntax_error(error: yaml.MarkedYAMLError, path: str) -> ContentError:
    """Convert a PyYAML syntax error, whose marks count lines from 0."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    message = f"invalid YAML: {error.problem or error.context}"
    if error.context and error.problem and error.context_mark is not None:
        message += f" ({error.context} on line {error.context_mark.line + 1})"
    return ContentError(Location(path, line), message)


# Typed access with located errors, shared by the record loaders.


def type_name(value: object) -> str:
    """Return the YAML word for a value's kind, for error messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


def check_keys(mapping: YamlMap, allowed: Collection[str], path: str) -> None:
    """Raise ContentError at the first key that is not in ``allowed``, suggesting the closest one."""
    for key in mapping:
        if key in allowed:
            continue
        listing = ", ".join(sorted(allowed))
        close = difflib.get_close_matches(key, list(allowed), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ContentError(
            Location(path, mapping.line_of(key)),
            f"unknown key '{key}'; {hint}allowed keys are: {listing}",
        )


def require_mapping(value: object, path: str, description: str) -> YamlMap:
    """Return the root value as a mapping, or raise ContentError saying what the file must be."""
    if isinstance(value, YamlMap):
        return value
    line = value.line if isinstance(value, YamlList) else 1
    # A file with only ``---`` contains one empty scalar, which is as empty as no document.
    found = "an empty file" if value is None or value == "" else type_name(value)
    raise ContentError(
        Location(path, line),
        f"{description} must be a YAML mapping of keys and values, got {found}",
    )


def optional_text(mapping: YamlMap, key: str, path: str) -> str | None:
    """Return the stripped text at ``key``, or None when the key is absent or empty."""
    if key not in mapping:
        return None
    value = mapping[key]
    if not isinstance(value, str):
        raise ContentError(
            Location(path, mapping.line_of(key)),
            f"'{key}' must be text, got {type_name(value)}",
        )
    stripped = value.strip()
    return stripped or None


def required_text(mapping: YamlMap, key: str, path: str) -> str:
    """Return the stripped text at ``key``; raise ContentError when it is missing or empty."""
    if key not in mapping:
        raise ContentError(Location(path, mapping.line), f"missing required key '{key}'")
    value = optional_text(mapping, key, path)
    if value is None:
        raise ContentError(Location(path, mapping.line_of(key)), f"'{key}' is empty")
    return value


def optional_list(mapping: YamlMap, key: str, path: str) -> YamlList:
    """Return the list at ``key`` (empty when absent); raise ContentError for any other kind."""
    if key not in mapping:
        return YamlList(mapping.line)
    value = mapping[key]
    if isinstance(value, YamlList):
        return value
    if value == "":
        # ``key:`` with nothing after it is an empty value, not a string.
        return YamlList(mapping.line_of(key))
    raise ContentError(
        Location(path, mapping.line_of(key)),
        f"'{key}' must be a list (one '- item' per line), got {type_name(value)}",
    )


def optional_text_list(mapping: YamlMap, key: str, path: str) -> list[tuple[str, int]]:
    """Return the stripped, non-empty strings of the list at ``key`` with their lines."""
    items: list[tuple[str, int]] = []
    values = optional_list(mapping, key, path)
    for index, item in enumerate(values):
        line = values.line_of(index)
        if not isinstance(item, str):
            raise ContentError(
                Location(path, line),
                f"item {index + 1} of '{key}' must be text, got {type_name(item)}",
            )
        if not item.strip():
            raise ContentError(Location(path, line), f"item {index + 1} of '{key}' is empty")
        items.append((item.strip(), line))
    return items


def optional_mapping(mapping: YamlMap, key: str, path: str) -> YamlMap:
    """Return the mapping at ``key`` (empty when absent); raise ContentError for any other kind."""
    if key not in mapping:
        return YamlMap(mapping.line)
    value = mapping[key]
    if isinstance(value, YamlMap):
        return value
    if value == "":
        return YamlMap(mapping.line_of(key))
    raise ContentError(
        Location(path, mapping.line_of(key)),
        f"'{key}' must be a mapping of names to values, got {type_name(value)}",
    )

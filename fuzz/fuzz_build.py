"""Fuzz target: whole builds from generated site.yaml, paper records, .bib files and bios.

Each input becomes a small site in a temporary folder. A build may succeed or
fail with ``BuildFailed`` or ``ConfigError``. Any other exception is a
finding, and so is a page with an element or an event attribute that no
template or decoder makes. Runs under atheris when it is installed, else as a plain random
loop (see fuzz/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Protocol

import html5lib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build import build_site  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.diagnostics import BuildFailed, ConfigError  # noqa: E402
from generator.links import clean_url, url_scheme  # noqa: E402

# Elements the templates, the LaTeX and math decoders and the Markdown bio
# renderer can make. Anything else in a page came from content.
ALLOWED_ELEMENTS = frozenset(
    """html head body meta title link script style main header nav footer form input a span div p h1 h2 h3 h4 h5 h6
    section article ul ol li pre code button img em strong sup sub br hr blockquote noscript
    math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mstyle merror mpadded
    mphantom menclose munder mover munderover mmultiscripts mprescripts none mtable mtr mtd
    mlabeledtr mfenced""".split()
)

# Pieces that tend to reach parser corners: LaTeX, BibTeX syntax, YAML
# syntax, HTML, template syntax and URL schemes.
TOKENS = [
    "{", "}", "\\", "$", "%", "#", "@", ",", "=", '"', "'", "~", "&", "<", ">", "\n", "\t", " ", "and", "others",
    "\\emph{", "\\em ", "\\url{", "\\href{", "}{", "\\'e", "\\\"o", "\\c{c}", "\\frac{", "\\begin{x}", "\\end{x}",
    "$$", "\\(", "\\)", "--", "``", "''", "{{ 7*7 }}", "{% if 1 %}", "<script>", "</script>", "<img src=x onerror=y>",
    "\"><b>", "javascript:", "JaVa\tScRiPt:", "data:text/html,", "//evil", "..", "/", "CON", "NUL.txt", "10.1000/",
    "https://", "mailto:", "doi:", "- ", ": ", "[", "]", "(", ")", "*", "_", "`", "!", "&amp;", "\u202e", "\u0000",
    "\u00e9", "\u4e2d", "\U0001f600", "\ufeff", "NO", "yes", "~", "*a", "&a", "!!python/object", "<<", "\\\\",
]
KEYS = ["title", "authors", "venue", "year", "month", "type", "abstract", "doi", "url", "pdf", "code", "key", "tags", "bibtex", "extra"]
BIB_FIELDS = ["title", "author", "editor", "journal", "booktitle", "year", "month", "doi", "url", "abstract", "crossref", "eprint", "archiveprefix", "note", "date"]


class Provider(Protocol):
    """The part of atheris.FuzzedDataProvider that this target uses."""

    def ConsumeIntInRange(self, low: int, high: int) -> int: ...  # noqa: N802 - atheris's name
    def ConsumeUnicodeNoSurrogates(self, count: int) -> str: ...  # noqa: N802 - atheris's name


class RandomProvider:
    """A FuzzedDataProvider stand-in driven by ``random.Random``, for runs without atheris."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def ConsumeIntInRange(self, low: int, high: int) -> int:  # noqa: N802 - atheris's name
        """Return a whole number from ``low`` to ``high`` inclusive."""
        return self.random.randint(low, high)

    def ConsumeUnicodeNoSurrogates(self, count: int) -> str:  # noqa: N802 - atheris's name
        """Return up to ``count`` random characters, mostly ASCII."""
        length = self.random.randint(0, count)
        pool = [chr(self.random.randint(32, 126)) for _ in range(length)]
        for index in range(length // 8):
            pool[index] = chr(self.random.choice((self.random.randint(0, 0x2FF), self.random.randint(0x300, 0xD7FF))))
        self.random.shuffle(pool)
        return "".join(pool)


def text(data: Provider, pieces: int = 6) -> str:
    """Return a value made of known tokens and random characters."""
    parts = []
    for _ in range(data.ConsumeIntInRange(0, pieces)):
        if data.ConsumeIntInRange(0, 2):
            parts.append(TOKENS[data.ConsumeIntInRange(0, len(TOKENS) - 1)])
        else:
            parts.append(data.ConsumeUnicodeNoSurrogates(8))
    return "".join(parts)


def yaml_scalar(value: str) -> str:
    """Quote a value for YAML most of the time, and leave it raw sometimes to reach syntax errors."""
    return "'" + value.replace("'", "''") + "'"


def site_yaml(data: Provider) -> str:
    """Return a site.yaml, mostly valid."""
    lines = [f"title: {yaml_scalar(text(data) or 'Site')}"]
    if data.ConsumeIntInRange(0, 1):
        lines.append(f"owners: [{yaml_scalar(text(data, 3) or 'Ann Example')}]")
    if data.ConsumeIntInRange(0, 3) == 0:
        lines.append(f"base_url: {yaml_scalar(text(data, 3))}")
    if data.ConsumeIntInRange(0, 3) == 0:
        lines.append(f"limits:\n  max_authors: {data.ConsumeIntInRange(0, 5)}\n  max_field_chars: {data.ConsumeIntInRange(0, 50)}")
    if data.ConsumeIntInRange(0, 5) == 0:
        lines.append(text(data, 3))
    return "\n".join(lines) + "\n"


def paper_yaml(data: Provider) -> str:
    """Return a paper record: a few keys with token values, sometimes a raw line."""
    lines = ["title: " + yaml_scalar(text(data) or "T"), "authors:"]
    for _ in range(data.ConsumeIntInRange(0, 4)):
        lines.append("  - " + yaml_scalar(text(data, 3)))
    for _ in range(data.ConsumeIntInRange(0, 5)):
        key = KEYS[data.ConsumeIntInRange(0, len(KEYS) - 1)]
        if data.ConsumeIntInRange(0, 4) == 0:
            lines.append(f"{key}: {text(data, 3)}")
        else:
            lines.append(f"{key}: {yaml_scalar(text(data))}")
    return "\n".join(lines) + "\n"


def bib_text(data: Provider) -> str:
    """Return a .bib file of a few entries built from fuzzed fields."""
    entries = []
    for number in range(data.ConsumeIntInRange(0, 3)):
        key = text(data, 2) if data.ConsumeIntInRange(0, 3) == 0 else f"key{number}"
        fields = []
        for _ in range(data.ConsumeIntInRange(0, 6)):
            name = BIB_FIELDS[data.ConsumeIntInRange(0, len(BIB_FIELDS) - 1)]
            value = text(data)
            fields.append(f"  {name} = {{{value}}}" if data.ConsumeIntInRange(0, 3) else f"  {name} = {value}")
        kind = ("article", "inproceedings", "misc", "string", "preamble", "comment")[data.ConsumeIntInRange(0, 5)]
        entries.append(f"@{kind}{{{key},\n" + ",\n".join(fields) + "\n}\n")
    return "\n".join(entries)


def profile_yaml(data: Provider) -> str:
    """Return a profile with a Markdown bio and links."""
    bio = text(data, 10).replace("\n", "\n  ")
    return (
        f"name: {yaml_scalar(text(data, 3) or 'Ann Example')}\n"
        f"affiliation: {yaml_scalar(text(data))}\n"
        f"photo: {yaml_scalar(text(data, 3))}\n"
        f"links:\n  home: {yaml_scalar(text(data, 3))}\n"
        f"bio: |\n  {bio}\n"
    )


def check_pages(output: Path) -> None:
    """Raise AssertionError for an element or event attribute that content must never create."""
    for page in output.rglob("*.html"):
        tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            tag = element.tag.split("}")[-1]
            assert tag in ALLOWED_ELEMENTS, f"{page}: unexpected element <{tag}>"
            for name, value in element.attrib.items():
                # The search template's own form handler is the only event attribute a page may have.
                if (name, value) != ("onsubmit", "return false"):
                    assert not name.lower().startswith("on"), f"{page}: event attribute {name}"
                if name in ("href", "src"):
                    scheme = url_scheme(clean_url(value))
                    assert scheme in (None, "http", "https", "mailto"), f"{page}: {name}={value!r}"


def run_one(data: Provider, work: Path) -> None:
    """Build one generated site in ``work``; raise for anything but success or a clean failure."""
    shutil.rmtree(work, ignore_errors=True)
    files = {
        "site.yaml": site_yaml(data),
        "content/papers/record.yaml": paper_yaml(data),
        "content/bib/refs.bib": bib_text(data),
        "content/authors/person.yaml": profile_yaml(data),
    }
    for relative, content in files.items():
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_config(work / "site.yaml")
        config = dataclasses.replace(config, output_dir=work / "_site")
        build_site(config, jobs=1)
    except (BuildFailed, ConfigError):
        return
    check_pages(work / "_site")


def main() -> None:
    """Run under atheris when it is installed (or unless --plain), else as a seeded random loop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plain", action="store_true", help="Use the random loop even when atheris is installed.")
    parser.add_argument("--seconds", type=float, default=300.0, help="Run time of the random loop, in seconds.")
    parser.add_argument("--seed", type=int, default=0, help="First seed of the random loop; a finding prints its seed.")
    options, rest = parser.parse_known_args()
    work = Path(tempfile.mkdtemp(prefix="bibfolio-fuzz-"))
    import logging

    logging.getLogger("pylatexenc").setLevel(logging.CRITICAL)

    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        atheris = None
    if atheris is not None and not options.plain:

        def one_input(raw: bytes) -> None:
            run_one(atheris.FuzzedDataProvider(raw), work)

        # Coverage feedback for bibfolio and its parsers, which are imported already.
        atheris.instrument_all()
        atheris.Setup([sys.argv[0], *rest], one_input)
        atheris.Fuzz()
        return

    deadline = time.monotonic() + options.seconds
    seed = options.seed
    while time.monotonic() < deadline:
        try:
            run_one(RandomProvider(seed), work)
        except Exception:
            print(f"finding with --seed {seed}", file=sys.stderr)
            raise
        seed += 1
    print(f"{seed - options.seed} inputs, no findings")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

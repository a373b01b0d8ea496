"""Loading stage: decode field text (LaTeX from BibTeX, Unicode from YAML) into `Text`.

Produces plain Unicode and a safe HTML fragment per value. It does not read
entries, files or pages, so callers attach locations to any problem it reports.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Sequence

from markupsafe import escape
from pylatexenc import latexwalker, macrospec  # type: ignore[import-untyped]
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec  # type: ignore[import-untyped]
from pylatexenc.latex2text import get_default_latex_context_db as get_text_context_db

from ..model import Text

_CACHE_SIZE = 1 << 15
"""Maximum number of decoded values cached per decoder. Repeated venues hit the cache, unique titles do not."""

# A value without any of these is plain text already and skips the LaTeX parser.
_LATEX_SPECIAL = re.compile(r"[\\{}$~%]|--|``|''")
_WHITESPACE_RUN = re.compile(r"[ \t\r\n]+")
# An even number of backslashes (possibly none) before `%` means the `%` is not escaped.
_BARE_PERCENT = re.compile(r"(?<!\\)((?:\\\\)*)%")
_SOFT_HYPHEN = "\u00ad"
# Values without these characters need no LaTeX parser, only brace removal and ligatures.
_NEEDS_PARSER = re.compile(r"[\\$%]")
_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("~", "\u00a0"), ("``", "\u201c"), ("''", "\u201d"))


def _plain_text(source: str, text: str) -> Text:
    """Return a Text for a value without markup, sharing one string among equal forms.

    Abstracts are the bulk of a large site's memory, and most need no escaping.
    """
    if text == source:
        text = source
    html = str(escape(text))
    return Text(source, text, text if html == text else html)


def _replace_ligatures(text: str) -> str:
    for ligature, character in _LIGATURES:
        text = text.replace(ligature, character)
    return text


# Macros whose argument becomes an HTML element. Plain text keeps only the argument.
_ELEMENT_MACROS = {
    "emph": "em",
    "textit": "em",
    "textsl": "em",
    "textbf": "strong",
    "textsuperscript": "sup",
    "textsubscript": "sub",
}
# Font declarations such as `{\em word}` that change the rest of their group.
_ELEMENT_DECLARATIONS = {
    "em": "em",
    "it": "em",
    "itshape": "em",
    "sl": "em",
    "slshape": "em",
    "bf": "strong",
    "bfseries": "strong",
}
# Font changes with no HTML counterpart: the argument is kept as ordinary text.
_TRANSPARENT_MACROS = frozenset(
    {"textsc", "texttt", "textsf", "textrm", "textup", "textmd", "textnormal", "mbox", "text", "hbox"}
)
# Cross-references into a document that a publication list does not have.
_REFERENCE_MACROS = ("cite", "citep", "citet", "citealp", "citealt", "citeauthor", "citeyear", "ref", "eqref", "pageref")


def _build_walker_context() -> macrospec.LatexContextDb:
    """Return pylatexenc's parser macros plus argument specs for macros it does not know."""
    context = latexwalker.get_default_latex_context_db()
    known = {"href": "{{"} | {name: "{" for name in _ELEMENT_MACROS} | {name: "{" for name in _TRANSPARENT_MACROS}
    extra = [
        macrospec.MacroSpec(name, args_parser=argspec)
        for name, argspec in known.items()
        if context.get_macro_spec(name) is None
    ]
    context.add_context_category("bibfolio", macros=extra, prepend=True)
    return context


def _build_text_converter() -> LatexNodes2Text:
    """Return a pylatexenc text converter that also spells out the TeX logos and drops `\\-`."""
    context = get_text_context_db()
    context.add_context_category(
        "bibfolio",
        macros=[
            MacroTextSpec("TeX", simplify_repl="TeX"),
            MacroTextSpec("LaTeX", simplify_repl="LaTeX"),
            MacroTextSpec("BibTeX", simplify_repl="BibTeX"),
            MacroTextSpec("-", simplify_repl=""),
        ]
        # pylatexenc writes "<cit.>" and "<ref>", which mean nothing on a page.
        + [MacroTextSpec(name, discard=True) for name in _REFERENCE_MACROS],
        prepend=True,
    )
    return LatexNodes2Text(latex_context=context)


_WALKER_CONTEXT = _build_walker_context()
_TO_TEXT = _build_text_converter()


@dataclass
class _Output:
    """Plain text and HTML being built side by side while walking the LaTeX nodes."""

    percent: str
    """Stand-in character that replaced each bare `%` before parsing."""
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def text(self, value: str) -> None:
        value = value.replace(self.percent, "%").replace(_SOFT_HYPHEN, "")
        self.plain.append(value)
        self.html.append(str(escape(value)))

    def markup(self, plain: str, html: str) -> None:
        self.plain.append(plain)
        self.html.append(html)

    def result(self, source: str) -> Text:
        plain = _WHITESPACE_RUN.sub(" ", "".join(self.plain)).strip()
        html = _WHITESPACE_RUN.sub(" ", "".join(self.html)).strip()
        return Text(source, plain, html)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def decode_latex(source: str) -> Text:
    """Decode a BibTeX field value written in LaTeX into plain Unicode and safe HTML.

    Accents and symbols become Unicode, protective braces vanish, `\\emph`,
    `\\textit` and `\\textbf` become `<em>`/`<strong>`, math becomes MathML,
    `\\url` and `\\href` keep only their text, and a bare `%` is literal.
    Unknown macros are dropped and their arguments kept. Unbalanced braces do
    not raise: use `check_braces` to report them.
    """
    if not _LATEX_SPECIAL.search(source):
        text = _WHITESPACE_RUN.sub(" ", source).strip()
        return _plain_text(source, text)
    if not _NEEDS_PARSER.search(source) and check_braces(source) is None:
        # Only braces and TeX ligatures: the parser would give the same result, much more slowly.
        text = _WHITESPACE_RUN.sub(" ", _replace_ligatures(source.replace("{", "").replace("}", ""))).strip()
        return _plain_text(source, text)

    # BibTeX has no comments inside a value, but pylatexenc would drop
    # everything after a `%` to the end of the line. A character that the
    # value does not contain takes the place of each bare `%` while parsing.
    percent = _unused_private_char(source)
    prepared = _BARE_PERCENT.sub(lambda match: match.group(1) + percent, source)

    out = _Output(percent)
    nodes = _parse(prepared)
    if nodes is None:
        # TODO: this fallback loses accents. It can go when pylatexenc parses
        # every value in tolerant mode without raising.
        out.text(_strip_latex(prepared))
    else:
        _render_nodes(nodes, out)
    return out.result(source)


def decode_plain(source: str) -> str:
    """Decode LaTeX to plain Unicode text (no markup), for names and keys."""
    return decode_latex(source).plain


def _unused_private_char(source: str) -> str:
    """Return a Private Use Area character that does not occur in `source`."""
    for code in range(0xE000, 0xF900):
        candidate = chr(code)
        if candidate not in source:
            return candidate
    raise ValueError("value uses every Private Use Area character, so '%' cannot be protected")


def _parse(source: str) -> list[latexwalker.LatexNode] | None:
    """Parse `source` tolerantly, or return None if pylatexenc fails even so.

    In tolerant mode pylatexenc skips stray closing braces and `\\end`.
    """
    walker = latexwalker.LatexWalker(source, latex_context=_WALKER_CONTEXT, tolerant_parsing=True)
    try:
        nodes, _, _ = walker.get_latex_nodes()
    except Exception:  # noqa: BLE001
        # pylatexenc 2.11 still raises on a few inputs in tolerant mode, such
        # as IndexError for `\\verb` at the end of a value.
        return None
    return list(nodes)


_ESCAPED_CHARS = frozenset("%&$#_")
_CONTROL_WORD = re.compile(r"\\([A-Za-z]+\*?\s*|.?)")


def _strip_latex(source: str) -> str:
    """Return `source` with control words and braces removed, for values pylatexenc cannot parse."""
    text = _CONTROL_WORD.sub(lambda match: match.group(1) if match.group(1) in _ESCAPED_CHARS else "", source)
    return text.replace("{", "").replace("}", "")


def _render_nodes(nodes: Sequence[latexwalker.LatexNode], out: _Output) -> None:
    """Append the text and HTML of a node list, sending runs of ordinary nodes to pylatexenc."""
    run: list[latexwalker.LatexNode] = []
    for index, node in enumerate(nodes):
        if not _is_special(node):
            run.append(node)
            continue
        _render_run(run, out)
        run = []
        if isinstance(node, latexwalker.LatexMacroNode) and node.macroname in _ELEMENT_DECLARATIONS:
            # A declaration applies to the rest of the enclosing group.
            tag = _ELEMENT_DECLARATIONS[node.macroname]
            out.markup("", f"<{tag}>")
            _render_nodes(nodes[index + 1 :], out)
            out.markup("", f"</{tag}>")
            return
        _render_special(node, out)
    _render_run(run, out)


def _is_special(node: latexwalker.LatexNode) -> bool:
    """Tell whether `node` needs handling here rather than pylatexenc's text conversion."""
    if isinstance(node, latexwalker.LatexMacroNode):
        name = node.macroname
        return (
            name in _ELEMENT_MACROS
            or name in _ELEMENT_DECLARATIONS
            or name in _TRANSPARENT_MACROS
            or name in ("url", "href")
        )
    if isinstance(node, latexwalker.LatexSpecialsNode):
        return bool(node.specials_chars == "&")
    return isinstance(
        node,
        (
            latexwalker.LatexGroupNode,
            latexwalker.LatexMathNode,
            latexwalker.LatexEnvironmentNode,
        ),
    )


def _render_run(run: list[latexwalker.LatexNode], out: _Output) -> None:
    if not run:
        return
    try:
        out.text(_TO_TEXT.nodelist_to_text(run))
    except Exception:  # noqa: BLE001
        # pylatexenc 2.11 raises (IndexError and others) on some macros
        # given too few arguments. Field text must still decode, so each node
        # is converted alone and a failing macro keeps only its arguments.
        for node in run:
            _render_alone(node, out)


def _render_alone(node: latexwalker.LatexNode, out: _Output) -> None:
    try:
        out.text(_TO_TEXT.nodelist_to_text([node]))
    except Exception:  # noqa: BLE001
        # The same pylatexenc failures as in `_render_run`.
        if isinstance(node, latexwalker.LatexMacroNode):
            for argument in _arguments(node):
                _render_argument(argument, out)
        else:
            out.text(node.latex_verbatim())


def _render_special(node: latexwalker.LatexNode, out: _Output) -> None:
    if isinstance(node, latexwalker.LatexGroupNode):
        _render_nodes(node.nodelist, out)
    elif isinstance(node, latexwalker.LatexEnvironmentNode):
        _render_nodes(node.nodelist, out)
    elif isinstance(node, latexwalker.LatexMathNode):
        _render_math_node(node, out)
    elif isinstance(node, latexwalker.LatexSpecialsNode):
        out.text(node.specials_chars)
    elif isinstance(node, latexwalker.LatexMacroNode):
        _render_macro(node, out)


def _render_macro(node: latexwalker.LatexMacroNode, out: _Output) -> None:
    arguments = _arguments(node)
    name = node.macroname
    if name == "url":
        # The URL is shown as written, so `~` and `--` in it stay as they are.
        for argument in arguments[-1:]:
            out.text(_verbatim_content(argument))
        return
    if name == "href":
        # Field text never becomes a link: links come from checked URL fields.
        for argument in arguments[-1:]:
            _render_argument(argument, out)
        return
    tag = _ELEMENT_MACROS.get(name) if arguments else None
    if tag:
        out.markup("", f"<{tag}>")
    for argument in arguments:
        _render_argument(argument, out)
    if tag:
        out.markup("", f"</{tag}>")
    out.text(node.macro_post_space if not arguments else "")


def _arguments(node: latexwalker.LatexMacroNode) -> list[latexwalker.LatexNode]:
    if node.nodeargd is None or not node.nodeargd.argnlist:
        return []
    return [argument for argument in node.nodeargd.argnlist if argument is not None]


def _render_argument(argument: latexwalker.LatexNode, out: _Output) -> None:
    if isinstance(argument, latexwalker.LatexGroupNode):
        _render_nodes(argument.nodelist, out)
    else:
        _render_nodes([argument], out)


def _verbatim_content(argument: latexwalker.LatexNode) -> str:
    if isinstance(argument, latexwalker.LatexGroupNode):
        return "".join(node.latex_verbatim() for node in argument.nodelist)
    return str(argument.latex_verbatim())


def _render_math_node(node: latexwalker.LatexMathNode, out: _Output) -> None:
    verbatim = node.latex_verbatim().replace(out.percent, "%")
    opening, closing = node.delimiters
    if len(verbatim) < len(opening) + len(closing) or not verbatim.endswith(closing):
        # A `$` that is never closed is a literal dollar sign.
        out.text(opening)
        _render_nodes(node.nodelist, out)
        return
    tex = verbatim[len(opening) : len(verbatim) - len(closing)]
    out.markup(verbatim, render_math(tex, verbatim, display=node.displaytype == "display"))


def check_braces(source: str) -> str | None:
    """Return a message if `{` and `}` in `source` do not pair up, else None.

    Escaped braces (`\\{`, `\\}`) are ignored, as LaTeX does.
    """
    if "{" not in source and "}" not in source:
        return None
    depth = 0
    unmatched_closing = 0
    escaped = False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth:
                depth -= 1
            else:
                unmatched_closing += 1

    problems = []
    if depth:
        problems.append(f"{depth} '{{' {'is' if depth == 1 else 'are'} never closed")
    if unmatched_closing:
        problems.append(f"{unmatched_closing} '}}' {'has' if unmatched_closing == 1 else 'have'} no matching '{{'")
    if not problems:
        return None
    return "unbalanced braces: " + " and ".join(problems)


# TeX math in hand-written text. A single `$` opens only before a non-space
# and closes only after a non-space and not before a digit, so "costs $5 and
# $10" stays text.
_MARKUP_TOKEN = re.compile(
    r"""
    (?P<display>\$\$(?P<display_tex>.+?)\$\$)
    | (?P<bracket>\\\[(?P<bracket_tex>.+?)\\\])
    | (?P<paren>\\\((?P<paren_tex>.+?)\\\))
    | (?P<inline>(?<!\\)\$(?![\s$])(?P<inline_tex>(?:\\.|[^$\\])+?)(?<!\s)\$(?!\d))
    | (?P<url>\\url\{(?P<url_text>[^{}]*)\})
    | (?P<dollar>\\\$)
    """,
    re.VERBOSE | re.DOTALL,
)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def decode_markup(source: str) -> Text:
    """Decode a YAML text value: plain Unicode in which only TeX math and `\\url{}` are markup.

    Accent macros, `~`, `%` and braces are literal. Math delimited by `$`,
    `$$`, `\\(...\\)` or `\\[...\\]` becomes MathML, `\\url{x}` becomes `x`,
    and `\\$` is a dollar sign. White space is kept as written.
    """
    if "$" not in source and "\\" not in source:
        return Text(source, source, str(escape(source)))

    plain: list[str] = []
    html: list[str] = []
    position = 0
    for match in _MARKUP_TOKEN.finditer(source):
        before = source[position : match.start()]
        plain.append(before)
        html.append(str(escape(before)))
        position = match.end()

        kind = match.lastgroup
        whole = match.group(0)
        if kind == "url":
            url = match.group("url_text")
            plain.append(url)
            html.append(str(escape(url)))
        elif kind == "dollar":
            plain.append("$")
            html.append("$")
        else:
            tex = match.group(f"{kind}_tex")
            plain.append(whole)
            html.append(render_math(tex, whole, display=kind in ("display", "bracket")))

    rest = source[position:]
    plain.append(rest)
    html.append(str(escape(rest)))
    return Text(source, "".join(plain), "".join(html))


_MATHML_NAMESPACE = "{http://www.w3.org/1998/Math/MathML}"
# MathML presentation elements a page may show. Anything else in
# latex2mathml's output (raw HTML from `\text{<b>}`, say) rejects the formula.
_MATHML_ELEMENTS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
        "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "menclose",
        "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none", "mtable",
        "mtr", "mtd", "mlabeledtr", "mfenced",
    }
)
# Attributes kept on those elements. Others are dropped, notably `href`, which
# latex2mathml 3.81 emits for `\href`, and any event handler.
_MATHML_ATTRIBUTES = frozenset(
    {
        "display", "mathvariant", "stretchy", "fence", "separator", "separators", "lspace",
        "rspace", "width", "height", "depth", "linebreak", "notation", "displaystyle",
        "scriptlevel", "mathcolor", "mathbackground", "columnalign", "rowalign",
        "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "accent",
        "accentunder", "movablelimits", "largeop", "symmetric", "minsize", "maxsize",
        "linethickness", "open", "close", "form", "align", "voffset", "columnspan", "rowspan",
    }
)
# latex2mathml 3.81 writes `&` from `a & b` unescaped, which is not well-formed XML.
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z]+;)")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def render_math(tex: str, source: str, display: bool) -> str:
    """Return the HTML for one formula: MathML in a `<span class="math">`.

    `tex` is the formula without delimiters and `source` the formula as
    written, shown escaped in `<code class="math">` when latex2mathml fails or
    emits anything but the allowed MathML elements.
    """
    # Imported here, because most builds read every paper from the cache and decode no formula.
    from latex2mathml.converter import convert as convert_to_mathml

    try:
        mathml = convert_to_mathml(_BARE_PERCENT.sub(r"\1\\%", tex), display="block" if display else "inline")
    except Exception:  # noqa: BLE001
        # latex2mathml's errors share no base class (NoAvailableTokensError,
        # ExtraLeftOrMissingRightError and others, besides IndexError).
        return _math_fallback(source)
    try:
        root = ElementTree.fromstring(_BARE_AMPERSAND.sub("&amp;", mathml))
    except ElementTree.ParseError:
        return _math_fallback(source)
    serialized = _serialize_mathml(root)
    if serialized is None:
        return _math_fallback(source)
    css_class = "math math-display" if display else "math"
    return f'<span class="{css_class}">{serialized}</span>'


def _math_fallback(source: str) -> str:
    return f'<code class="math">{escape(source)}</code>'


def _serialize_mathml(element: ElementTree.Element) -> str | None:
    """Write `element` back as HTML with every text and attribute escaped, or None if not allowed MathML."""
    if not element.tag.startswith(_MATHML_NAMESPACE):
        return None
    tag = element.tag[len(_MATHML_NAMESPACE) :]
    if tag not in _MATHML_ELEMENTS:
        return None

    attributes = "".join(
        f' {name}="{escape(value)}"' for name, value in sorted(element.attrib.items()) if name in _MATHML_ATTRIBUTES
    )
    parts = [f"<{tag}{attributes}>", str(escape(element.text or ""))]
    for child in element:
        inner = _serialize_mathml(child)
        if inner is None:
            return None
        parts.append(inner)
        parts.append(str(escape(child.tail or "")))
    parts.append(f"</{tag}>")
    return "".join(parts)

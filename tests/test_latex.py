"""Tests for decoding BibTeX LaTeX and YAML text into plain text and safe HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from generator.loading.latex import check_braces, decode_latex, decode_markup, decode_plain, render_math

# Tags that decoded HTML may contain: the decoder's own and MathML.
ALLOWED_TAGS = {
    "em", "strong", "sup", "sub", "span", "code",
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
    "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "menclose",
    "munder", "mover", "munderover", "mtable", "mtr", "mtd",
}

HOSTILE_MATH = [
    "$<script>alert(1)</script>$",
    r"$\href{javascript:alert(1)}{x}$",
    r"$\text{<b onmouseover=alert(1)>hi</b>}$",
    r"$\mbox{<img src=x onerror=alert(1)>}$",
    r'$\colorbox{x" onclick="alert(1)}{z}$',
    r"$\text{</math><script>alert(1)</script>}$",
]


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def collect_markup(html: str) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        (r"{\"u}ber", "über"),
        (r"\'{e}t\'e", "été"),
        (r"Stra{\ss}e", "Straße"),
        (r"\o rsted", "ørsted"),
        (r"Erd{\H{o}}s", "Erdős"),
        (r"{\v{Z}}eljko", "Željko"),
        (r"Mart{\'\i}n", "Martín"),
        (r"Fran\c{c}ois", "François"),
        (r"Amnon Ta{-}Shma", "Amnon Ta-Shma"),
        (r"Le \emph{De Anima} dans la tradition gr{\`e}cque", "Le De Anima dans la tradition grècque"),
    ],
)
def test_decode_latex_accents(source: str, plain: str) -> None:
    assert decode_latex(source).plain == plain


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("pages 10--20", "pages 10\u201320"),
        ("yes---no", "yes\u2014no"),
        ("Fig.~3", "Fig.\u00a03"),
        (r"Q\&A", "Q&A"),
        (r"50\% faster", "50% faster"),
        (r"costs \$5", "costs $5"),
        ("``quoted''", "\u201cquoted\u201d"),
        (r"\LaTeX{} and \TeX", "LaTeX and TeX"),
        (r"hy\-phen", "hyphen"),
    ],
)
def test_decode_latex_symbols(source: str, plain: str) -> None:
    assert decode_latex(source).plain == plain


def test_bare_percent_is_literal_text() -> None:
    text = decode_latex("Pruning to 90% sparsity keeps {BERT} accurate")

    assert text.plain == "Pruning to 90% sparsity keeps BERT accurate"
    assert text.html == "Pruning to 90% sparsity keeps BERT accurate"


def test_bare_percent_keeps_following_lines() -> None:
    assert decode_latex("90%\n   of {\\\"u}ber weights").plain == "90% of über weights"


def test_protected_braces_keep_case() -> None:
    text = decode_latex("{BERT}: Pre-training of Deep {T}ransformers")

    assert text.plain == "BERT: Pre-training of Deep Transformers"
    assert text.html == "BERT: Pre-training of Deep Transformers"


def test_emphasis_becomes_html_elements() -> None:
    text = decode_latex(r"Le \emph{De Anima} \textit{et} \textbf{la} {\em tradition} gr{\`e}cque")

    assert text.plain == "Le De Anima et la tradition grècque"
    assert text.html == "Le <em>De Anima</em> <em>et</em> <strong>la</strong> <em>tradition</em> grècque"


def test_font_macros_keep_words() -> None:
    text = decode_latex(r"\textsc{Planner} in \texttt{C++} with {\bf bold} CO\textsubscript{2}")

    assert text.plain == "Planner in C++ with bold CO2"
    assert text.html == "Planner in C++ with <strong>bold</strong> CO<sub>2</sub>"


def test_special_characters_escaped_in_html() -> None:
    text = decode_latex(r"Q\&A: ``x < y'' \emph{and} a & b")

    assert text.plain == "Q&A: \u201cx < y\u201d and a & b"
    assert text.html == "Q&amp;A: \u201cx &lt; y\u201d <em>and</em> a &amp; b"


def test_script_tag_in_title_escaped() -> None:
    text = decode_latex("<script>alert(1)</script>")

    assert text.plain == "<script>alert(1)</script>"
    assert text.html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_script_tag_next_to_latex_escaped() -> None:
    text = decode_latex(r"{\"u} <script>alert(1)</script>")

    assert text.html == "ü &lt;script&gt;alert(1)&lt;/script&gt;"


def test_plain_value_skips_parser_and_collapses_lines() -> None:
    text = decode_latex("Named Entity Recognition\n\t\tFor Catalan <b>")

    assert text.source == "Named Entity Recognition\n\t\tFor Catalan <b>"
    assert text.plain == "Named Entity Recognition For Catalan <b>"
    assert text.html == "Named Entity Recognition For Catalan &lt;b&gt;"


def test_inline_math_keeps_source_in_plain() -> None:
    text = decode_latex("Tiebreaking Strategies for $A^*$ Search")

    assert text.plain == "Tiebreaking Strategies for $A^*$ Search"
    assert text.html == (
        'Tiebreaking Strategies for <span class="math"><math display="inline"><mrow>'
        "<msup><mi>A</mi><mo>*</mo></msup></mrow></math></span> Search"
    )


@pytest.mark.parametrize(
    ("source", "wrapper"),
    [
        (r"$x$", '<span class="math"><math display="inline">'),
        (r"\(x\)", '<span class="math"><math display="inline">'),
        (r"$$x$$", '<span class="math math-display"><math display="block">'),
        (r"\[x\]", '<span class="math math-display"><math display="block">'),
    ],
)
def test_math_delimiters_give_mathml(source: str, wrapper: str) -> None:
    text = decode_latex(source)

    assert text.plain == source
    assert text.html == f"{wrapper}<mrow><mi>x</mi></mrow></math></span>"


def test_math_in_real_title() -> None:
    text = decode_latex(r"Counting Paths in {VPA} Is Complete for {\#}NC\({}^{\mbox{1}}\)")

    assert text.plain == r"Counting Paths in VPA Is Complete for #NC\({}^{\mbox{1}}\)"
    assert text.html.startswith('Counting Paths in VPA Is Complete for #NC<span class="math"><math')
    assert "<mtext>1</mtext>" in text.html


def test_math_percent_is_not_comment() -> None:
    text = decode_latex("$50%$ of runs")

    assert text.plain == "$50%$ of runs"
    assert "<mn>50</mn>" in text.html
    assert text.html.endswith("</math></span> of runs")


def test_math_conversion_failure_shows_code() -> None:
    text = decode_latex(r"bound $\left(x$ here")

    assert text.plain == r"bound $\left(x$ here"
    assert text.html == r'bound <code class="math">$\left(x$</code> here'


@pytest.mark.parametrize("source", HOSTILE_MATH)
def test_hostile_math_gives_only_mathml(source: str) -> None:
    for text in (decode_latex(source), decode_markup(source)):
        markup = collect_markup(text.html)

        assert set(markup.tags) <= ALLOWED_TAGS, text.html
        assert all(name != "href" and not name.startswith("on") for name, _ in markup.attributes), text.html
        assert "<script" not in text.html
        assert "<img" not in text.html


def test_math_href_drops_link() -> None:
    html = render_math(r"\href{javascript:alert(1)}{x}", "$...$", display=False)

    assert html == '<span class="math"><math display="inline"><mrow><mrow><mrow><mi>x</mi></mrow></mrow></mrow></math></span>'


def test_math_raw_html_element_rejected() -> None:
    html = render_math(r"\text{<b>hi</b>}", r"$\text{<b>hi</b>}$", display=False)

    assert html == r'<code class="math">$\text{&lt;b&gt;hi&lt;/b&gt;}$</code>'


def test_math_ampersand_escaped() -> None:
    assert render_math("a & b", "$a & b$", display=False) == (
        '<span class="math"><math display="inline"><mrow><mi>a</mi><mi>&amp;</mi><mi>b</mi></mrow></math></span>'
    )


def test_unclosed_dollar_is_literal() -> None:
    text = decode_latex(r"costs $5 for {\"u}")

    assert text.plain == "costs $5 for ü"
    assert text.html == "costs $5 for ü"


def test_url_keeps_text_as_written() -> None:
    text = decode_latex(r"see \url{https://example.org/a_b%20c~d--e}")

    assert text.plain == "see https://example.org/a_b%20c~d--e"
    assert text.html == "see https://example.org/a_b%20c~d--e"


def test_href_keeps_only_link_text() -> None:
    text = decode_latex(r"\href{javascript:alert(1)}{the \emph{code}}")

    assert text.plain == "the code"
    assert text.html == "the <em>code</em>"


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        (r"\foo{bar} baz", "bar baz"),
        (r"\unknownmacro text", "text"),
        (r"see \cite{key} and \ref{fig}", "see and"),
        (r"\textbf", ""),
        ("x \\verb", "x"),
    ],
)
def test_unknown_macro_keeps_argument(source: str, plain: str) -> None:
    assert decode_latex(source).plain == plain


@pytest.mark.parametrize(
    ("source", "plain", "message"),
    [
        ("{abc", "abc", "unbalanced braces: 1 '{' is never closed"),
        ("abc} def", "abc def", "unbalanced braces: 1 '}' has no matching '{'"),
        ("{{a}", "a", "unbalanced braces: 1 '{' is never closed"),
        ("a}} {b", "a b", "unbalanced braces: 1 '{' is never closed and 2 '}' have no matching '{'"),
    ],
)
def test_unbalanced_braces_decode_and_report(source: str, plain: str, message: str) -> None:
    assert decode_latex(source).plain == plain
    assert check_braces(source) == message


@pytest.mark.parametrize("source", ["{a} {b{c}}", r"\{ literal", r"\} and \{", "plain"])
def test_balanced_braces_pass_check(source: str) -> None:
    assert check_braces(source) is None


def test_decode_plain_matches_decode_latex() -> None:
    assert decode_plain(r"M{\`a}rquez, Llu{\'i}s") == "Màrquez, Lluís"


@pytest.mark.parametrize(
    "source",
    [
        "costs $5",
        "costs $5 and $10",
        r"{\"u} ~ 90% {braces}",
        "<script>alert(1)</script>",
    ],
)
def test_markup_literal_text(source: str) -> None:
    text = decode_markup(source)

    assert text.plain == source
    assert "<" not in text.html.replace("&lt;", "")


def test_markup_escapes_html() -> None:
    assert decode_markup("a <b> & {c}").html == "a &lt;b&gt; &amp; {c}"


def test_markup_math_becomes_mathml() -> None:
    text = decode_markup(r"a $\times$ speedup")

    assert text.plain == r"a $\times$ speedup"
    assert text.html == 'a <span class="math"><math display="inline"><mrow><mo>\u00d7</mo></mrow></math></span> speedup'


def test_markup_math_with_space_and_units() -> None:
    text = decode_markup(r"only $6. 7\mathrm{mJ}$ per image")

    assert text.plain == r"only $6. 7\mathrm{mJ}$ per image"
    assert text.html == (
        'only <span class="math"><math display="inline"><mrow><mn>6</mn><mo>.</mo><mn>7</mn><mrow>'
        '<mi mathvariant="normal">m</mi><mi mathvariant="normal">J</mi></mrow></mrow></math></span> per image'
    )


@pytest.mark.parametrize(
    ("source", "wrapper"),
    [
        (r"\(x\)", '<span class="math"><math display="inline">'),
        (r"$$x$$", '<span class="math math-display"><math display="block">'),
        (r"\[x\]", '<span class="math math-display"><math display="block">'),
    ],
)
def test_markup_math_delimiters(source: str, wrapper: str) -> None:
    assert decode_markup(source).html == f"{wrapper}<mrow><mi>x</mi></mrow></math></span>"


def test_markup_url_unwraps() -> None:
    text = decode_markup(r"Code at \url{https://example.org/a%20b}.")

    assert text.plain == "Code at https://example.org/a%20b."
    assert text.html == "Code at https://example.org/a%20b."


def test_markup_escaped_dollar() -> None:
    text = decode_markup(r"\$5 and $x$")

    assert text.plain == "$5 and $x$"
    assert text.html.startswith('$5 and <span class="math">')


def test_markup_keeps_white_space() -> None:
    assert decode_markup("First line.\n\nSecond $x$.").plain == "First line.\n\nSecond $x$."

"""The same synthetic papers as a minimal Hugo site, the baseline for the build
benchmark. Takes its papers from synth.py's model and imports nothing from the
generator package. Standard library only.

Usage: python bench/hugo_site.py --papers N --out DIR, then hugo --source DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from synth import Corpus, SynthPaper, make_corpus

# The site mirrors bibfolio's pages: one page per paper, and author and venue
# pages as Hugo taxonomies. Venue+year pages are a third taxonomy whose terms
# are "SHORT YEAR". Like bibfolio, every paper, author, venue and venue year
# has a .bib export beside its page, and the home page has one for the whole
# site and a JSON index. /papers/ lists all papers. RSS, sitemap and
# robots.txt are off.
CONFIG = """\
baseURL = "https://example.org/"
title = "{title}"
disableKinds = ["rss", "sitemap", "robotsTXT", "404"]
capitalizeListTitles = false

[taxonomies]
  author = "authors"
  venue = "venues"
  venue_year = "venue_years"

[mediaTypes."text/x-bibtex"]
  suffixes = ["bib"]

[outputFormats.bib]
  mediaType = "text/x-bibtex"
  baseName = "index"
  isPlainText = true

[outputs]
  home = ["html", "json", "bib"]
  page = ["html", "bib"]
  section = ["html"]
  taxonomy = ["html"]
  term = ["html", "bib"]
"""

LAYOUTS = {
    "baseof.html": """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title></head>
<body>
<nav><a href="/">Home</a> <a href="/papers/">Papers</a> <a href="/authors/">Authors</a> <a href="/venues/">Venues</a></nav>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "home.html": """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
<p>{{ len site.RegularPages }} papers.</p>
{{ end }}
""",
    "home.json": """\
[{{ range $i, $p := site.RegularPages }}{{ if $i }},{{ end }}
{{ dict "title" $p.Title "url" $p.RelPermalink "authors" $p.Params.authors "venue" $p.Params.venue_label "year" $p.Params.year | jsonify }}
{{- end }}]
""",
    "page.html": """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p>{{ range $i, $term := .GetTerms "authors" }}{{ if $i }}, {{ end }}<a href="{{ $term.RelPermalink }}">{{ $term.LinkTitle }}</a>{{ end }}</p>
<p>{{ with .GetTerms "venues" }}{{ range . }}<a href="{{ .RelPermalink }}">{{ $.Params.venue_label }}</a>{{ end }}{{ end }},
{{ with .GetTerms "venue_years" }}{{ range . }}<a href="{{ .RelPermalink }}">{{ $.Params.year }}</a>{{ end }}{{ end }}</p>
<p><a href="https://doi.org/{{ .Params.doi }}">doi:{{ .Params.doi }}</a>
{{ with .OutputFormats.Get "bib" }}<a href="{{ .RelPermalink }}">BibTeX</a>{{ end }}</p>
<section>{{ .Content }}</section>
</article>
{{ end }}
""",
    "_partials/entry.bib": """\
@{{ .Params.entry_type }}{ {{- .Params.key }},
  author = { {{- delimit .Params.authors " and " }}},
  title = { {{- .Title }}},
  {{ .Params.venue_field }} = { {{- .Params.venue_label }}},
  year = { {{- .Params.year }}},
  pages = { {{- .Params.pages }}},
  doi = { {{- .Params.doi }}},
  abstract = { {{- trim .RawContent "\\n" }}},
}
""",
    "page.bib": """\
{{ partial "entry.bib" . }}""",
    "term.bib": """\
{{ range .Pages }}{{ partial "entry.bib" . }}
{{ end }}""",
    "home.bib": """\
{{ range site.RegularPages }}{{ partial "entry.bib" . }}
{{ end }}""",
    "section.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> ({{ .Params.year }})</li>
{{ end }}</ul>
{{ end }}
""",
    "taxonomy.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
{{ end }}</ul>
{{ end }}
""",
    "term.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>, {{ .Params.venue_label }} {{ .Params.year }}</li>
{{ end }}</ul>
{{ end }}
""",
}


def front_matter(paper: SynthPaper) -> dict[str, object]:
    """Return the front matter of one paper page; the date makes Hugo list newest first."""
    venue = paper.venue
    matter: dict[str, object] = {
        "title": paper.title,
        "date": f"{paper.year}-01-01",
        "key": paper.key,
        "authors": [author.display for author in paper.authors],
        "venues": [venue.short],
        "venue_years": [f"{venue.short} {paper.year}"],
        "venue_label": venue.label,
        "venue_field": "journal" if venue.kind == "journal" else "booktitle",
        "entry_type": "article" if venue.kind == "journal" else "inproceedings",
        "type_of_venue": venue.kind,
        "year": paper.year,
        "pages": f"{paper.first_page}--{paper.last_page}",
        "doi": paper.doi,
    }
    return matter


def write_hugo_site(corpus: Corpus, out: Path) -> int:
    """Write a Hugo project for ``corpus`` into ``out``; return the number of content files."""
    layouts = out / "layouts"
    papers_dir = out / "content" / "papers"
    layouts.mkdir(parents=True, exist_ok=True)
    papers_dir.mkdir(parents=True, exist_ok=True)
    title = f"Synthetic bibliography ({len(corpus.papers)} papers)"
    (out / "hugo.toml").write_text(CONFIG.format(title=title), encoding="utf-8")
    for name, text in LAYOUTS.items():
        (layouts / name).parent.mkdir(parents=True, exist_ok=True)
        (layouts / name).write_text(text, encoding="utf-8")
    (papers_dir / "_index.md").write_text('{"title": "Papers"}\n', encoding="utf-8")

    for paper in corpus.papers:
        # JSON front matter: Hugo accepts a JSON object at the top of the file.
        text = json.dumps(front_matter(paper), ensure_ascii=False, indent=1) + "\n\n" + paper.abstract + "\n"
        (papers_dir / f"{paper.slug}.md").write_text(text, encoding="utf-8")
    return len(corpus.papers) + 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the corpus and write the Hugo project."""
    parser = argparse.ArgumentParser(description="Write the synthetic papers as a minimal Hugo project.")
    parser.add_argument("--papers", type=int, required=True, help="number of papers")
    parser.add_argument("--out", type=Path, required=True, help="Hugo project folder to create")
    parser.add_argument("--seed", type=int, default=1, help="random seed, as for synth.py (default: 1)")
    args = parser.parse_args(argv)

    if (args.out / "content").exists():
        parser.error(f"{args.out / 'content'} already exists; choose an empty --out folder")
    started = time.perf_counter()
    files = write_hugo_site(make_corpus(args.papers, args.seed), args.out)
    print(f"wrote {files} content files to {args.out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

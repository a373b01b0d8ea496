"""A first site: one .bib file and a one-line site.yaml build with the default templates; `check` lists problems."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build_site
from generator.cli import main
from generator.config import load_config
from generator.diagnostics import BuildFailed

from .conftest import make_site, page

MINE_BIB = r"""@article{lovelace1843,
  author  = {Lovelace, Ada and Babbage, Charles},
  title   = {Notes on the {Analytical Engine}},
  journal = {Scientific Memoirs},
  year    = 1843,
}

@inproceedings{turing1950,
  author    = {Alan M. Turing},
  title     = {Computing Machinery and Intelligence},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = 1950,
}
"""

BROKEN_BIB = """@article{good, author = {Ada Lovelace}, title = {Good Paper}, journal = {J}, year = 2020}

@article{broken, author = {Ada Lovelace}, title = {Broken {Paper}, journal = {J}, year = 2021}

@article{later, author = {Ada Lovelace}, title = {Later Paper}, journal = {J}, year = 2022}
"""

BROKEN_MESSAGE = (
    "content/refs.bib:3: warning: entry could not be parsed and is skipped: the entry is not closed before "
        "the next line that starts with '@' or the end of the file (citation key 'broken'; 1 unclosed '{' in the entry)"
)


def _newcomer(root: Path, bib: str) -> Path:
    return make_site(root, {"site.yaml": "title: My papers\n", "content/mine.bib": bib})


def _build(root: Path, **options: object):  # type: ignore[no-untyped-def]
    config = dataclasses.replace(load_config(root / "site.yaml"), output_dir=root / "_site")
    return build_site(config, jobs=1, **options)  # type: ignore[arg-type]


def test_bib_only_site_builds(tmp_path: Path) -> None:
    result = _build(_newcomer(tmp_path, MINE_BIB))
    out = tmp_path / "_site"
    assert [str(d) for d in result.report] == []

    home = page(out, "index.html")
    assert home.find(".//title").text == "My papers"
    home_text = " ".join("".join(home.itertext()).split())
    assert "Notes on the Analytical Engine" in home_text
    assert "Computing Machinery and Intelligence" in home_text

    paper = page(out, "papers/notes-on-the-analytical-engine/")
    assert paper.find(".//title").text == "Notes on the Analytical Engine · My papers"
    assert paper.find(".//h1").text.strip() == "Notes on the Analytical Engine"

    author = page(out, "authors/ada-lovelace/")
    assert author.find(".//title").text == "Ada Lovelace · My papers"
    author_text = " ".join("".join(author.itertext()).split())
    assert "Notes on the Analytical Engine" in author_text
    assert "Computing Machinery" not in author_text

    assert (out / "venues/neurips/index.html").is_file()
    assert (out / "static").is_dir()
    assert not (tmp_path / "templates").exists()


def test_bib_only_site_author_links(tmp_path: Path) -> None:
    _build(_newcomer(tmp_path, MINE_BIB))
    paper = page(tmp_path / "_site", "papers/notes-on-the-analytical-engine/")
    links = {" ".join("".join(a.itertext()).split()): a.get("href") for a in paper.iter("a")}
    assert links["Ada Lovelace"].endswith("authors/ada-lovelace/")
    assert links["Charles Babbage"].endswith("authors/charles-babbage/")


def test_unparsable_entry_skipped_build_succeeds(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: My papers\n", "content/refs.bib": BROKEN_BIB})
    result = _build(tmp_path)
    assert [str(d) for d in result.report] == [BROKEN_MESSAGE]
    assert sorted(paper.key for paper in result.site.papers) == ["good", "later"]
    assert (tmp_path / "_site/papers/later-paper/index.html").is_file()
    assert (tmp_path / "_site/papers/good-paper/index.html").is_file()


def test_unparsable_entry_fails_strict_build(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: My papers\n", "content/refs.bib": BROKEN_BIB})
    with pytest.raises(BuildFailed) as failure:
        _build(tmp_path, strict=True)
    assert failure.value.reason == "1 warning(s) with --strict; nothing was written"
    assert [str(d) for d in failure.value.report] == [BROKEN_MESSAGE]
    assert not (tmp_path / "_site").exists()


def test_check_warnings_only_exits_zero(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: My papers\n", "content/refs.bib": BROKEN_BIB})
    result = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "site.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [BROKEN_MESSAGE]
    assert result.stdout.strip() == "Checked 2 papers, 1 author, 1 venue: 0 error(s), 1 warning(s)"
    assert not (tmp_path / "_site").exists()


def test_check_strict_warnings_exit_one(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: My papers\n", "content/refs.bib": BROKEN_BIB})
    result = CliRunner().invoke(main, ["check", "--strict", "--config", str(tmp_path / "site.yaml")])
    assert result.exit_code == 1


def test_check_lists_every_problem_and_fails_on_error(tmp_path: Path) -> None:
    make_site(
        tmp_path,
        {
            "site.yaml": "title: My papers\n",
            "content/a.bib": "@article{same, title = {Same Paper}, journal = {J}, year = 2020}\n"
            "@article{notitle, author = {Ada Lovelace}, journal = {J}, year = 2020}\n",
            "content/b.bib": "\n@article{same, title = {Same Paper}, journal = {J}, year = 2020, pages = {1--2}}\n"
            "@article{badyear, title = {Bad Year}, journal = {J}, year = {soon}}\n",
            "content/papers/bad.yaml": "title: [unclosed\n",
        },
    )
    result = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "site.yaml")])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        "content/a.bib:1: warning: 'same' describes the same paper as 'same' at content/b.bib:2 "
        "(the same citation key); they are merged and the fields at content/b.bib:2 win",
        "content/a.bib:2: warning: entry 'notitle' has no title and is skipped",
        "content/b.bib:3: warning: entry 'badyear' has an invalid year 'soon'; it is listed without a year",
    ]
    assert lines[3:] == [
        "content/papers/bad.yaml:2: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 1)"
    ]
    assert result.stdout.strip() == "Checked 2 papers, 0 authors, 1 venue: 1 error(s), 3 warning(s)"


def _numbered_bib(count: int) -> str:
    return "".join(
        f"@article{{p{n}, author = {{Ada Lovelace}}, title = {{Paper Number {n}}}, journal = {{J}}, year = {1900 + n}}}\n"
        for n in range(count)
    )


@pytest.mark.parametrize(("setting", "listed"), [("home_papers: 3", 3), ("home_papers: 0", 5), ("home_papers: 10", 5)])
def test_home_lists_newest_papers(tmp_path: Path, setting: str, listed: int) -> None:
    make_site(tmp_path, {"site.yaml": f"title: My papers\n{setting}\n", "content/mine.bib": _numbered_bib(5)})
    _build(tmp_path)
    home = page(tmp_path / "_site", "index.html")
    titles = ["".join(a.itertext()).strip() for a in home.iter("a") if "".join(a.itertext()).startswith("Paper Number")]
    assert titles == [f"Paper Number {n}" for n in range(4, 4 - listed, -1)]
    more = [a.get("href") for a in home.iter("a") if "".join(a.itertext()).startswith("All papers")]
    assert more == (["/papers/"] if listed == 3 else [])


def test_home_papers_must_be_whole_number(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: My papers\nhome_papers: many\n"})
    result = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "site.yaml")])
    assert result.exit_code != 0
    assert "site.yaml:2: error: home_papers: must be a whole number, 0 or more (got 'many')" in result.output

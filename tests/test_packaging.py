"""The installed package (a wheel, not the checkout) carries its default theme and venue table."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO, make_site


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout with the environment's own setuptools."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("bibfolio-*.whl"))


def test_wheel_contains_theme_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "generator/templates/base.html",
        "generator/templates/paper.html",
        "generator/templates/static/style.css",
        "generator/templates/static/search.js",
        "generator/templates/i18n/en.yaml",
        "generator/data/venues.yaml",
    ):
        assert expected in names


def test_installed_package_builds_bib_only_site(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    site = make_site(
        tmp_path / "site",
        {
            "site.yaml": "title: My papers\n",
            "content/mine.bib": "@article{k1, title={Only {BibTeX}}, author={Ada Lovelace}, journal={Nature}, year=2020}\n",
        },
    )
    environment = dict(os.environ, PYTHONPATH=str(installed))
    located = subprocess.run(
        [sys.executable, "-c", "import generator.rendering as r; print(r.DEFAULT_TEMPLATES)"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, check=True,
    )
    assert Path(located.stdout.strip()) == installed / "generator" / "templates"
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(site / "site.yaml"), "-j", "1"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Built 1 paper, 1 author, 1 venue" in completed.stdout
    page = (site / "_site/papers/only-bibtex/index.html").read_text(encoding="utf-8")
    assert "<h1>Only BibTeX</h1>" in page
    assert (site / "_site/static/style.css").is_file()

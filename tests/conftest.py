"""Shared fixtures: the repository's demo site built once, and helpers to read pages."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import html5lib
import pytest

from generator.build import BuildResult, build_site
from generator.config import SiteConfig, load_config
from generator.loading.paper_cache import signing_key
from generator.rendering import PagePlan, Renderer

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of the test session's own, so tests never touch the user's paper-cache signing key."""
    folder = tmp_path_factory.mktemp("cache-home")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    signing_key.cache_clear()
    return folder


def build_into(site_dir: Path, out: Path, **options: object) -> BuildResult:
    """Build the site in ``site_dir`` into ``out`` and return the result."""
    config = dataclasses.replace(load_config(site_dir / "site.yaml"), output_dir=out)
    return build_site(config, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The demo site of this repository, built once for the whole test session."""
    out = tmp_path_factory.mktemp("demo") / "_site"
    return build_into(REPO, out, jobs=1)


@pytest.fixture(scope="session")
def demo_out(demo_build: BuildResult) -> Path:
    """The output folder of the demo build."""
    assert demo_build.output_dir is not None
    return demo_build.output_dir


def page(out: Path, url_path: str):  # type: ignore[no-untyped-def]
    """Parse the HTML page served at ``url_path`` (relative to the site root) into an element tree."""
    path = out / url_path
    if url_path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)


def texts(tree, selector_class: str, tag: str = "*") -> list[str]:  # type: ignore[no-untyped-def]
    """Text of every element with the given class, white space collapsed."""
    found = []
    for element in tree.iter(tag):
        classes = (element.get("class") or "").split()
        if selector_class in classes:
            found.append(" ".join("".join(element.itertext()).split()))
    return found


def make_site(root: Path, files: dict[str, str]) -> Path:
    """Write a site folder from a mapping of relative path to text; return the folder."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def copy_demo(target: Path) -> Path:
    """Copy the demo site's site.yaml and content/ into ``target``."""
    shutil.copy(REPO / "site.yaml", target / "site.yaml")
    shutil.copytree(REPO / "content", target / "content")
    return target


__all__ = ["REPO", "SHARED", "build_into", "copy_demo", "make_site", "page", "texts", "SiteConfig"]


def record_rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return a list that collects the path of every file rendered from now on."""
    rendered: list[str] = []
    render_chunks = Renderer.render_chunks

    def recording(self: Renderer, plan: PagePlan) -> list[bytes]:
        rendered.append(plan.output_path)
        return render_chunks(self, plan)

    monkeypatch.setattr(Renderer, "render_chunks", recording)
    return rendered


"""The command line: exit codes, summary line, messages with file and line, untouched output on failure."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

from .conftest import REPO, copy_demo, make_site


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_prints_summary(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"Built 11 papers, \d+ authors, 4 venues: \d+ files \(\d+ written, \d+ unchanged\) in [\d.]+ s", summary), summary
    assert (site / "_site/index.html").is_file()


def test_missing_title_fails_with_line(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"]).exit_code == 0
    before = _snapshot(site / "_site")

    make_site(site, {"content/papers/untitled.yaml": "# a record without a title\nauthors: [Ada Lovelace]\nyear: 2020\n"})
    result = runner.invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 1
    assert "content/papers/untitled.yaml:2: error:" in result.stderr
    assert "title" in result.stderr
    assert "nothing was written" in result.stderr
    assert _snapshot(site / "_site") == before


def test_unknown_config_key_names_it(tmp_path: Path) -> None:
    make_site(tmp_path, {"site.yaml": "title: T\ncolour: blue\nowners: {first: Ada}\n"})
    result = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "site.yaml")])
    assert result.exit_code == 1
    assert "site.yaml:2: error: colour: unknown key" in result.stderr
    assert "site.yaml:3: error: owners: must be a name or a list of names" in result.stderr


def test_check_writes_nothing(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    result = CliRunner().invoke(main, ["check", "--config", str(site / "site.yaml")])
    assert result.exit_code == 0, result.output
    assert "Checked 11 papers" in result.stdout
    assert not (site / "_site").exists()


def test_check_fails_on_error(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    make_site(site, {"content/papers/bad.yaml": "title: [unclosed\n"})
    result = CliRunner().invoke(main, ["check", "--config", str(site / "site.yaml")])
    assert result.exit_code == 1
    assert "content/papers/bad.yaml:" in result.stderr


def test_module_entry_point_help() -> None:
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "generator", "build", "--help"], capture_output=True, text=True, check=True)
    assert "--out" in completed.stdout


def test_invalid_base_url_option_rejected(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "--base-url", "javascript:alert(1)"])
    assert result.exit_code == 1
    assert "base_url" in result.stderr
    assert not (site / "_site").exists()


def test_base_url_option_sets_prefix(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "--base-url", "/profile/", "-j", "1"])
    assert result.exit_code == 0, result.output
    html = (site / "_site/index.html").read_text(encoding="utf-8")
    assert 'href="/profile/static/style.css"' in html


def test_out_refuses_foreign_folder(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site") if (tmp_path / "site").mkdir() is None else None
    assert site is not None
    mine = make_site(tmp_path / "mine", {"thesis.tex": "my thesis\n"})
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "--out", str(mine), "-j", "1"])
    assert result.exit_code == 1
    assert "is not empty and was not built by bibfolio" in result.stderr
    assert (mine / "thesis.tex").read_text() == "my thesis\n"


def test_out_refuses_content_and_site_folders(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    for target in (site / "content", site):
        result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "--out", str(target), "-j", "1"])
        assert result.exit_code == 1
        assert "output:" in result.stderr
    assert (site / "content/bib/guo.bib").is_file()


def test_template_error_has_file_and_line(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    make_site(site, {"templates/404.html": '{% extends "base.html" %}\n{% block content %}\n{{ broken\n{% endblock %}\n'})
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 1
    assert "templates/404.html:4: error: template error: expected token 'end of print statement'" in result.stderr
    assert "Traceback" not in result.output
    assert not (site / "_site").exists()


def test_included_template_error_line(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    make_site(site, {
        "templates/_part.html": "<p>part</p>\n{{ missing_name }}\n",
        "templates/404.html": '{% extends "base.html" %}\n{% block content %}\n{% include "_part.html" %}\n{% endblock %}\n',
    })
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 1
    assert "templates/_part.html:2: error: template error: 'missing_name' is undefined (while rendering 404.html)" in result.stderr
    assert not (site / "_site").exists()


def test_macro_runtime_error_line(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    macros = (REPO / "templates/_macros.html").read_text(encoding="utf-8")
    broken = macros.replace("{{ venue_line(paper) }}</div>", "{{ venue_line(paper) }}{{ 1 // 0 }}</div>", 1)
    assert broken != macros
    line = broken.splitlines().index(next(text for text in broken.splitlines() if "1 // 0" in text)) + 1
    make_site(site, {"templates/_macros.html": broken})
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 1
    assert f"templates/_macros.html:{line}: error: template error: ZeroDivisionError: integer division or modulo by zero" in result.stderr
    assert "Traceback" not in result.output


def test_list_entry_error_line(tmp_path: Path) -> None:
    # Enough author pages for the parallel build to render list entries before the workers start.
    entries = "".join(f"@article{{k{i}, title = {{Paper {i}}}, author = {{Writer{i} Person}}, journal = {{J}}, year = {{2020}}}}\n" for i in range(300))
    macros = (REPO / "templates/_macros.html").read_text(encoding="utf-8")
    broken = macros.replace("{{ venue_line(paper) }}</div>", "{{ venue_line(paper) }}{{ entry_name }}</div>", 1)
    line = broken.splitlines().index(next(text for text in broken.splitlines() if "entry_name" in text)) + 1
    site = make_site(tmp_path, {"site.yaml": "title: Many\n", "content/many.bib": entries, "templates/_macros.html": broken})
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "2"])
    assert result.exit_code == 1
    assert f"templates/_macros.html:{line}: error: template error: 'entry_name' is undefined" in result.stderr


def test_file_blocking_new_folder(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    out = site / "_site"
    command = ["build", "--config", str(site / "site.yaml"), "-j", "1"]
    assert CliRunner().invoke(main, command).exit_code == 0
    (out / "authors/brand-new-person").write_text("mine\n", encoding="utf-8")
    before = _snapshot(out)
    record = site / "content/papers/spikingssms.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("authors:\n", "authors:\n  - Brand New Person\n", 1), encoding="utf-8")
    for _attempt in range(2):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1
        assert f"{out / 'authors/brand-new-person'} is a file or link where the new output needs a folder" in result.stderr
        assert "Traceback" not in result.output
        assert _snapshot(out) == before
    (out / "authors/brand-new-person").unlink()
    assert CliRunner().invoke(main, command).exit_code == 0
    assert (out / "authors/brand-new-person/index.html").is_file()


def test_optional_include_follows_file(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    make_site(site, {"templates/404.html": '{% extends "base.html" %}\n{% block content %}\n{% include "_extra.html" ignore missing %}<p>lost</p>\n{% endblock %}\n'})
    command = ["build", "--config", str(site / "site.yaml"), "-j", "1"]
    assert CliRunner().invoke(main, command).exit_code == 0
    assert "<p>lost</p>" in (site / "_site/404.html").read_text(encoding="utf-8")
    make_site(site, {"templates/_extra.html": "<p>extra part</p>\n"})
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0
    assert "<p>extra part</p>" in (site / "_site/404.html").read_text(encoding="utf-8")
    assert "(1 written," in result.stdout


def test_clean_rewrites_every_file(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"]).exit_code == 0
    (site / "_site/index.html").write_text("edited by hand")
    result = runner.invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1", "--clean"])
    assert result.exit_code == 0, result.output
    assert "(337 written, 0 unchanged)" in result.stdout
    assert "Qinghai Guo" in (site / "_site/index.html").read_text()


def test_unknown_language_warns(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    (site / "site.yaml").write_text((site / "site.yaml").read_text() + "language: xx\n")
    result = CliRunner().invoke(main, ["check", "--config", str(site / "site.yaml")])
    assert result.exit_code == 0
    assert "site.yaml: warning: language: no templates/i18n/xx.yaml" in result.stderr


def test_undefined_template_variable_reported(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    make_site(site, {"templates/404.html": '{% extends "base.html" %}\n{% block content %}{{ paper.title }}{% endblock %}\n'})
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "-j", "1"])
    assert result.exit_code == 1
    assert "templates/404.html" in result.stderr
    assert "'paper' is undefined (while rendering 404.html)" in result.stderr
    assert "Traceback" not in result.output


def test_profile_prints_phase_table(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(site / "site.yaml"), "--profile", "-j", "1"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [row[0] for row in rows] == ["load", "model", "index", "plan", "render", "write"]
    for row in rows:
        assert row[2] == "s"
        assert row[3] == "peak"
        assert int(row[4]) > 10
        assert row[5] == "MiB"


def test_program_exit_code_and_output(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    broken = site / "content/papers/broken.yaml"
    broken.write_text("authors: [Ada Lovelace]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(site / "site.yaml"), "-j", "1"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "content/papers/broken.yaml" in result.stderr
    assert result.stderr.rstrip().endswith("Build failed: 1 error(s); nothing was written.")
    broken.unlink()
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(site / "site.yaml"), "-j", "1"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("Built 11 papers")


def test_sigterm_stops_build_and_workers(tmp_path: Path) -> None:
    # Enough papers for the search index to run in its own process beside the render workers.
    entries = "".join(
        f"@article{{k{i}, title = {{Paper number {i}}}, author = {{Ada Lovelace and Writer{i % 300} Person}}, "
        f"journal = {{Journal {i % 40}}}, year = {{{2000 + i % 20}}}}}\n"
        for i in range(3000)
    )
    site = make_site(tmp_path, {"site.yaml": "title: Many\n", "content/many.bib": entries})
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "-q", "-j", "2", "--config", str(site / "site.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    # Stopped once rendering has begun, when the staging folder appears.
    deadline = time.monotonic() + 60
    while not (site / "._site.staging").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Build interrupted" in stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("worker processes outlived the interrupted build")
    assert not (site / "_site").exists()
    assert not (site / "._site.staging").exists()


def test_profiler_output_written_at_exit(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    stats = tmp_path / "build.prof"
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "generator", "build", "-q", "-j", "1",
         "--config", str(site / "site.yaml")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert stats.stat().st_size > 1000

"""Command line: ``bibfolio build`` and ``bibfolio check``.

Parses options, sets up logging, calls one entry point and maps the result
to an exit code.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click

logger = logging.getLogger("generator")


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("site.yaml"), show_default=True, help="Path of site.yaml; content/ and templates/ are read from its folder."),
        click.option("--strict", is_flag=True, help="Fail when there are warnings, not only errors."),
        click.option("-v", "--verbose", count=True, help="Print more: -v lists each phase, -vv each file and tracebacks."),
        click.option("-q", "--quiet", is_flag=True, help="Print only problems."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.INFO
    if verbose >= 2:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    # pylatexenc warns about malformed LaTeX without naming a file; bibfolio reports those values itself.
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)


class _ProgressBar:
    """A one-line progress bar on a terminal's stderr, shown once rendering has run for two seconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (not self.shown and time.perf_counter() - self.started < 2.0):
            return
        self.shown = True
        width = 30
        filled = width * done // max(1, total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        if done >= total:
            sys.stderr.write("\r" + " " * (width + 40) + "\r")
        sys.stderr.flush()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _print_report(report: Any) -> None:
    for diagnostic in report:
        click.echo(str(diagnostic), err=True)


@click.group()
@click.version_option(package_name="bibfolio")
def main() -> None:
    """bibfolio: build a publication and author-profile site from BibTeX and YAML."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _reset_signals_in_worker() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run() -> None:
    """Run the command line as a program, exiting without freeing the site model.

    Freeing the hundreds of thousands of objects of a large model takes a
    noticeable part of a small rebuild, and the process ends anyway, so once
    the command has finished and its output is flushed the process exits at once.
    """
    # SIGTERM (sent by timeout, CI cancellation and service managers) stops the
    # build like Ctrl-C, so its worker processes are stopped and staged files
    # removed. Forked workers get the default action back, so stopping them
    # does not run this cleanup inside them. They ignore Ctrl-C, which a
    # terminal sends to every process of the build: an interrupted worker could
    # leave its pool's queue locked, and the build then hung while stopping it.
    signal.signal(signal.SIGTERM, _interrupt)
    os.register_at_fork(after_in_child=_reset_signals_in_worker)
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            # sys.exit("message") prints the message and exits with 1.
            click.echo(str(exc.code), err=True)
            code = 1
    if sys.gettrace() is not None or sys.getprofile() is not None:
        # A profiler or coverage tool writes its results at a normal exit.
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


@main.command()
@_common
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: 'output' in site.yaml, or _site).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for rendering (default: number of cores).")
@click.option("--base-url", help="Override base_url from site.yaml, e.g. https://user.github.io/repo/ for a project site.")
@click.option("--profile", is_flag=True, help="Print the time spent in each build phase.")
@click.option("--clean", is_flag=True, help="Ignore what earlier builds recorded: render and write every file again.")
def build(
    config_path: Path,
    strict: bool,
    verbose: int,
    quiet: bool,
    out_dir: Path | None,
    jobs: int | None,
    base_url: str | None,
    profile: bool,
    clean: bool,
) -> None:
    """Build the site.

    Exit codes: 0 when the site was written; 1 when the content or site.yaml
    has errors (or warnings with --strict), in which case the previous output
    is left exactly as it was; 2 for invalid command-line usage.
    """
    from .build import build_site
    from .config import load_config
    from .diagnostics import BuildFailed, ConfigError

    _setup_logging(verbose, quiet)
    started = time.perf_counter()
    # The build turns the cycle collector off and back on as it found it. Turned
    # back on, its first pass would scan every object of the model, which the
    # build allocated without one pass: 0.2 s after a rebuild of 10,000 papers.
    # The process ends right after the build, so the collector stays off.
    gc.disable()
    try:
        overrides: dict[str, object] = {}
        if base_url is not None:
            overrides["base_url"] = base_url
        if out_dir is not None:
            # Checked like 'output' in site.yaml, so --out cannot name the site or content folder.
            overrides["output"] = str(out_dir.resolve())
        config = load_config(config_path, overrides)
        logger.info("Building %s from %s", config.output_dir, config.site_dir)
        result = build_site(config, strict=strict, jobs=jobs, progress=None if quiet else _ProgressBar(), clean=clean)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo("Build failed: site.yaml is invalid; nothing was written.", err=True)
        sys.exit(1)
    except BuildFailed as exc:
        _print_report(exc.report)
        click.echo(f"Build failed: {exc.reason}.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("\nBuild interrupted; the previous output is unchanged or is completed by the next build.", err=True)
        sys.exit(130)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"{where}error: {exc.strerror or exc}", err=True)
        click.echo("Build failed: a file could not be written; the previous output is unchanged or is completed by the next build.", err=True)
        sys.exit(1)
    _print_report(result.report)
    elapsed = time.perf_counter() - started
    if profile:
        for phase, seconds in result.phases.items():
            peak = result.peak_memory.get(phase, 0)
            memory = f"   peak {peak / 2**20:7.0f} MiB" if peak else ""
            click.echo(f"  {phase:<8} {seconds:8.3f} s{memory}", err=True)
    if not quiet:
        warnings = len(result.report.warnings)
        click.echo(
            f"Built {_count(result.papers, 'paper')}, {_count(result.authors, 'author')}, {_count(result.venues, 'venue')}: "
            f"{result.files} files ({result.written} written, {result.unchanged} unchanged) in {elapsed:.2f} s"
            + (f", {warnings} warning(s)" if warnings else "")
        )


@main.command()
@_common
def check(config_path: Path, strict: bool, verbose: int, quiet: bool) -> None:
    """Read and check all content without writing the site.

    Lists every problem with file and line. Exit codes: 0 when there are no
    errors (warnings allowed unless --strict), 1 otherwise.
    """
    from .build import check_site
    from .config import load_config
    from .diagnostics import ConfigError

    _setup_logging(verbose, quiet)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    site, report = check_site(config)
    _print_report(report)
    errors, warnings = len(report.errors), len(report.warnings)
    if not quiet:
        counts = f"{_count(len(site.papers), 'paper')}, {_count(len(site.authors), 'author')}, {_count(len(site.venues), 'venue')}"
        click.echo(f"Checked {counts}: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        sys.exit(1)

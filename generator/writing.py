"""Writing stage: put rendered files into a staging folder, then swap it in.

The previous output stays untouched until the new one is complete, so a
failed or killed build leaves it as it was. Files whose bytes did not change
are hard-linked from the previous output, which keeps their modification
times for deploy tools and avoids rewriting them. Decides no content.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class UnsafePath(ValueError):
    """An output path that would leave the output folder or is not portable."""


def check_output_path(relative: str) -> PurePosixPath:
    """Return ``relative`` as a path inside the output folder, or raise ``UnsafePath``."""
    if not relative or "\\" in relative or "\0" in relative or relative.startswith("/"):
        raise UnsafePath(f"invalid output path {relative!r}")
    path = PurePosixPath(relative)
    for part in path.parts:
        if part in ("", ".", "..") or part.split(".")[0].lower() in _WINDOWS_RESERVED or part.endswith((" ", ".")):
            raise UnsafePath(f"invalid output path {relative!r}: segment {part!r} is not allowed")
    return path


class OutputWriter:
    """Writes one build into a staging folder beside the output folder."""

    def __init__(self, output_dir: Path, staging_dir: Path | None = None) -> None:
        self.output_dir = output_dir
        self.staging_dir = staging_dir or output_dir.with_name(f".{output_dir.name}.staging-{os.getpid()}")
        self.written = 0
        self.linked = 0
        self.bytes_written = 0

    def start(self) -> None:
        """Recover from an interrupted swap and create an empty staging folder."""
        recover_interrupted_swap(self.output_dir)
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir)
        self.staging_dir.mkdir(parents=True)

    def write(self, relative: str, data: bytes) -> None:
        """Store one file; reuse the previous output's file when the bytes are equal."""
        path = check_output_path(relative)
        target = self.staging_dir.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = self.output_dir.joinpath(*path.parts)
        try:
            if previous.stat().st_size == len(data) and not previous.is_symlink() and previous.read_bytes() == data:
                os.link(previous, target)
                self.linked += 1
                return
        except OSError:
            pass
        with open(target, "xb") as handle:
            handle.write(data)
        self.written += 1
        self.bytes_written += len(data)

    def copy(self, relative: str, source: Path) -> None:
        """Store a static file from the theme."""
        self.write(relative, source.read_bytes())

    def publish(self) -> None:
        """Swap the staging folder in place of the output folder."""
        old = self.output_dir.with_name(f".{self.output_dir.name}.previous")
        if old.exists():
            shutil.rmtree(old)
        if self.output_dir.exists():
            os.rename(self.output_dir, old)
        os.rename(self.staging_dir, self.output_dir)
        if old.exists():
            shutil.rmtree(old)

    def abort(self) -> None:
        """Remove the staging folder; the previous output is untouched."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)


def recover_interrupted_swap(output_dir: Path) -> None:
    """Restore the previous output if a build was killed between the two renames of ``publish``."""
    old = output_dir.with_name(f".{output_dir.name}.previous")
    if old.exists() and not output_dir.exists():
        logger.warning("restoring %s from an interrupted build", output_dir)
        os.rename(old, output_dir)
    for stale in output_dir.parent.glob(f".{output_dir.name}.staging-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

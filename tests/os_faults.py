"""Real operating-system failures for tests: a full disk, a read-only disk, a killed writer.

A tiny tmpfs is mounted in a private mount namespace (``unshare -rm``: no root needed
where user namespaces are enabled, and the mount vanishes with the child), and the code
under test runs in that child. Tests that need it are skipped where the machine cannot
make namespaces.
"""

from __future__ import annotations

import functools
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


def run_on_small_disk(mount: Path, code: str, *, kib: int = 64, setup: str = "",
                      readonly: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (Python) with a ``kib``-KiB tmpfs at ``mount`` (read-only when asked,
    after ``setup`` ran on it); returns the finished child."""
    if not _namespaces_work():
        pytest.skip("this machine cannot make a private mount namespace (unshare -rm)")
    mount.mkdir(parents=True, exist_ok=True)
    py, where = shlex.quote(sys.executable), shlex.quote(str(mount))
    steps = [f"mount -t tmpfs -o size={kib}k tmpfs {where}"]
    if setup:
        steps.append(f"{py} -c {shlex.quote(setup)}")
    if readonly:
        steps.append(f"mount -o remount,ro {where}")
    steps.append(f"exec {py} -c {shlex.quote(code)}")
    return subprocess.run(["unshare", "-rm", "sh", "-c", " && ".join(steps)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def python_child(code: str) -> subprocess.Popen[str]:
    """Start ``code`` in a child Python (repository root as working folder)."""
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_when_ready(child: subprocess.Popen[str], marker: Path, timeout: float = 120.0) -> None:
    """SIGKILL ``child`` as soon as it has created ``marker`` (it is then mid-write)."""
    import time

    deadline = time.monotonic() + timeout
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(f"the child ended before it was killed: {child.stderr.read()}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError("the child never reached the write")
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

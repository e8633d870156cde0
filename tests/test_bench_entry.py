"""`make bench` says how to install wrk, and stops, when wrk is missing (the suite itself is tests/bench/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.live  # `make bench` in a subprocess
def test_without_wrk_the_bench_says_how_to_install_it(tmp_path):
    # An empty PATH: no wrk on it (this Python is called by its full path).
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--quick"],
        cwd=PROJECT,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "apt-get install -y wrk" in done.stderr

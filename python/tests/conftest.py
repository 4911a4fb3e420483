"""Shared fixtures: the repository root and the `slasim` binary the Python results are
compared with (``$SLASIM_BIN``, else ``target/release/slasim``, built when missing)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    env = os.environ.get("SLASIM_BIN")
    if env:
        return pathlib.Path(env)
    exe = ROOT / "target" / "release" / "slasim"
    if not exe.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "slasim"], cwd=ROOT, check=True)
    return exe


@pytest.fixture(scope="session")
def cli_json(cli):
    """Runs ``slasim WORDS --json`` and returns the parsed JSON (the process must succeed or
    fail only on a check, exit 1)."""

    def run(*words: str):
        p = subprocess.run(
            [str(cli), *words, "--json"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert p.returncode in (0, 1), p.stderr
        return json.loads(p.stdout)

    return run


@pytest.fixture(scope="session")
def cli_error(cli):
    """Runs ``slasim WORDS`` expecting exit 2; returns its one stderr line without the
    ``slasim: error: `` prefix."""

    def run(*words: str) -> str:
        p = subprocess.run([str(cli), *words], cwd=ROOT, capture_output=True, text=True, check=False)
        assert p.returncode == 2, (p.returncode, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        prefix = "slasim: error: "
        assert lines[0].startswith(prefix)
        return lines[0][len(prefix):]

    return run

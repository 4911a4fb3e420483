"""Per-simulation speed from Python against the CLI's, both on one core, for a small deployment.

Python: N sequential ``slasim.simulate`` calls in this process (each parses its arguments, runs
the simulation and converts the summary to a dict). CLI: one ``slasim simulate`` process running
the same simulation at LEVELS identical load levels with ``RAYON_NUM_THREADS=1`` (per-level work
only: the process start is amortised), printing ``--json`` to /dev/null.

    python python/bench/calls.py [N] [--bin target/release/slasim]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import time

import slasim

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOYMENT = {"profile": "llama-3.1-8b-fp8/h200/vllm", "mode": "agg", "tp": 1, "replicas": 1}
WORKLOAD = {"concurrency": 4, "requests": 50, "isl": 512, "osl": 64}
LEVELS = 2000


def python_us(n: int) -> float:
    slasim.simulate(deployment=DEPLOYMENT, workload=WORKLOAD)  # warm: parse the profile once
    t = time.perf_counter()
    for _ in range(n):
        slasim.simulate(deployment=DEPLOYMENT, workload=WORKLOAD)
    return (time.perf_counter() - t) / n * 1e6


def cli_us(exe: str) -> float:
    words = [exe, "simulate", "--profile", DEPLOYMENT["profile"], "--mode", "agg", "--tp", "1",
             "--concurrency", ",".join(["4"] * LEVELS), "--requests", "50", "--isl", "512", "--osl", "64",
             "--json", "-"]
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    t = time.perf_counter()
    subprocess.run(words, stdout=subprocess.DEVNULL, env=env, check=True)
    return (time.perf_counter() - t) / LEVELS * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=10_000, help="Python calls (default 10000)")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "slasim"))
    a = ap.parse_args()
    py = python_us(a.n)
    cli = cli_us(a.bin)
    print(f"python: {a.n} calls, {py:.1f} µs per simulation")
    print(f"cli:    {LEVELS} levels in one process, {cli:.1f} µs per simulation")
    print(f"python runs at {cli / py * 100:.0f} % of the CLI's per-simulation speed")


if __name__ == "__main__":
    main()

"""`slasim.simulate` gives the numbers `slasim simulate --json` prints for the same inputs."""

from __future__ import annotations

import csv
import math
import threading
import time

import pytest

import slasim

SMALL = {"profile": "llama-3.1-8b-fp8/h200/vllm", "mode": "agg", "tp": 1, "replicas": 1}


def test_default_is_the_cli_default_first_level(cli_json):
    cli = cli_json("simulate")
    assert isinstance(cli, list) and len(cli) == 4
    py = slasim.simulate()
    assert py == cli[0]
    # what the README's one-liner prints
    assert py["metrics"]["ttft_ms"]["p50"] == cli[0]["metrics"]["ttft_ms"]["p50"]


def test_four_levels_are_the_cli_sweep(cli_json):
    py = slasim.simulate(workload={"concurrency": [1, 4, 7, 9]})
    assert py == cli_json("simulate")


def test_flags_and_dicts_mean_the_same(cli_json):
    cli = cli_json(
        "simulate", "--profile", "llama-3.1-8b-fp8/h200/vllm", "--replicas", "2", "--max-num-seqs", "64",
        "--rps", "12", "--requests", "300", "--isl", "uniform:256:2048", "--osl", "128",
        "--ttft", "300", "--itl", "20", "--seed", "7",
    )
    py = slasim.simulate(
        profile="llama-3.1-8b-fp8/h200/vllm",
        deployment={"replicas": 2, "max_num_seqs": 64},
        workload={"rps": 12, "requests": 300, "isl": "uniform:256:2048", "osl": 128},
        sla={"ttft": 300, "itl": 20},
        seed=7,
    )
    assert py == cli


def test_deployment_and_calibration_files(root, cli_json):
    dep = root / "calibration" / "deployments" / "qwen3-32b-h200-trtllm-aic.toml"
    cal = root / "calibration" / "qwen3-32b-h200-trtllm-aic.json"
    cli = cli_json("simulate", "--deployment", str(dep), "--calibration", str(cal), "--concurrency", "4")
    assert slasim.simulate(deployment=dep, calibration=str(cal), workload={"concurrency": 4}) == cli
    # the calibration as data gives the same numbers as the file
    import json

    data = json.loads(cal.read_text())
    assert slasim.simulate(deployment=dep, calibration=data, workload={"concurrency": 4})["metrics"] == cli["metrics"]


def test_deterministic_per_seed():
    a = slasim.simulate(deployment=SMALL, workload={"rps": 20, "requests": 200}, seed=3)
    b = slasim.simulate(deployment=SMALL, workload={"rps": 20, "requests": 200}, seed=3)
    c = slasim.simulate(deployment=SMALL, workload={"rps": 20, "requests": 200}, seed=4)
    assert a == b
    assert a["metrics"] != c["metrics"]


def _csv_value(text: str):
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)


def test_records_equal_the_requests_csv(tmp_path, cli):
    import subprocess

    out = tmp_path / "requests.csv"
    subprocess.run(
        [str(cli), "simulate", "--profile", "llama-3.1-8b-fp8/h200/vllm", "--concurrency", "8",
         "--requests", "120", "--osl", "uniform:1:4", "--requests-csv", str(out), "--json", str(tmp_path / "s.json")],
        check=True, capture_output=True,
    )
    with out.open() as f:
        rows = [{k: _csv_value(v) for k, v in r.items()} for r in csv.DictReader(f)]
    summary, records = slasim.simulate(
        profile="llama-3.1-8b-fp8/h200/vllm",
        workload={"concurrency": 8, "requests": 120, "osl": "uniform:1:4"},
        records=True,
    )
    if not isinstance(records, list):  # a pandas DataFrame
        records = records.astype(object).where(records.notna(), None).to_dict("records")
    assert len(records) == len(rows) == summary["metrics"]["requests_completed"] == 120
    for r, c in zip(records, rows):
        assert r.keys() == c.keys()
        for k in r:
            if isinstance(c[k], float) and r[k] is not None:
                assert math.isclose(r[k], c[k], rel_tol=0, abs_tol=0), (k, r[k], c[k])
            else:
                assert r[k] == c[k], (k, r[k], c[k])
    assert any(r["itl_ms"] is None for r in records)  # osl 1: no ITL, an empty CSV cell


def test_several_levels_with_records():
    summaries, tables = slasim.simulate(deployment=SMALL, workload={"concurrency": [2, 4], "requests": 30}, records=True)
    assert [s["workload"]["concurrency"] for s in summaries] == [2, 4]
    assert [len(t) for t in tables] == [30, 30]


def test_thread_pool_of_64_simulations_matches_sequential_runs():
    from concurrent.futures import ThreadPoolExecutor

    seeds = list(range(1, 65))

    def one(seed):
        return slasim.simulate(deployment=SMALL, workload={"rps": 30, "requests": 200}, seed=seed)

    sequential = [one(s) for s in seeds]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(one, seeds))
    assert parallel == sequential
    assert len({p["metrics"]["ttft_ms"]["p50"] for p in parallel}) > 1


def test_the_gil_is_released_while_simulating():
    # A Python thread keeps counting while another thread is inside one long simulation: with the
    # GIL held for the whole call, the counter could not move until it returned.
    ticks = []
    inside = threading.Event()
    done = threading.Event()

    def count():
        inside.wait()
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    inside.set()
    slasim.simulate(deployment={**SMALL, "replicas": 4}, workload={"rps": 60, "requests": 100000})
    end = time.perf_counter()
    done.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    assert end - start > 0.05, "the simulation was too short to tell"
    assert len(during) >= 10, (len(during), end - start)

"""`profiles`, `load_profile`, `calibrate` and `sweep` return what the CLI's `--json` prints."""

from __future__ import annotations

import pytest

import slasim

RUNS = "calibration/runs/qwen3-32b-h200-trtllm-aic"


def test_profiles(cli_json):
    assert slasim.profiles() == cli_json("profile", "list")


@pytest.mark.parametrize(
    "name, kwargs, words",
    [
        ("qwen3-32b/h200/trtllm-aic", {"isl": 2048}, ["--isl", "2048"]),
        ("llama-3.1-8b-fp8/h200/vllm", {"isl": 4000, "role": "decode"}, ["--isl", "4000", "--role", "decode"]),
        ("llama-3.3-70b-fp8/h100/vllm", {"kv_usage": 0.3, "context": 2000, "tp": 4},
         ["--kv-usage", "0.3", "--context", "2000", "--tp", "4"]),
    ],
)
def test_profile_query(name, kwargs, words, cli_json):
    p = slasim.load_profile(name)
    assert p.query(**kwargs) == cli_json("profile", "query", name, *words)
    assert p.info() == next(e for e in slasim.profiles() if e["name"] == name)


def test_calibrate_report(root, cli_json):
    runs = [str(root / RUNS / f"{n}.json") for n in ("idle", "saturation")]
    held = [str(root / RUNS / "medium.json")]
    report = slasim.calibrate(runs, holdout=held, seeds=2)
    cli = cli_json("calibrate", *[f"--hw-run={r}" for r in runs], f"--holdout={held[0]}", "--seeds", "2")
    assert report == cli
    assert {"runs", "mape_pct", "holdout_mape_pct", "gates", "parameters"} <= report.keys()
    assert [r["holdout"] for r in report["runs"]] == [False, False, True]


def test_calibrate_fit_beats_the_profile(root):
    runs = [str(root / RUNS / f"{n}.json") for n in ("idle", "saturation")]
    report = slasim.calibrate(runs, fit=True, holdout=[str(root / RUNS / "overload.json")], max_iters=40, starts=1)
    assert report["fit"]["objective_after"] < report["fit"]["objective_before"]
    assert report["holdout_mape_pct"]["ttft_p50"] < report["before"]["holdout_mape_pct"]["ttft_p50"]


def test_sweep(cli_json):
    space = {"profile": "llama-3.1-8b-fp8/h200/vllm", "tp": [1], "replicas": [1, 2], "search_requests": 60}
    report = slasim.sweep(space=space, workload={"concurrency": 4, "requests": 40})
    cli = cli_json("sweep", "--profile", "llama-3.1-8b-fp8/h200/vllm", "--tp", "1", "--replicas", "1,2",
                   "--search-requests", "60", "--concurrency", "4", "--requests", "40")
    assert report == cli
    assert len(report["configs"]) == 2 and report["best"] in {c["id"] for c in report["configs"]}


def test_run_any_command(cli_json):
    code, out = slasim.run("profile", "show", "llama-3.1-8b-fp8/h200/vllm")
    assert code == 0 and out == cli_json("profile", "show", "llama-3.1-8b-fp8/h200/vllm")

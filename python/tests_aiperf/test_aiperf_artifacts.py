"""slasim's `--aiperf-dir` output, checked with AIPerf's own code (the version pinned in
requirements.txt; run by `.ci/aiperf-check`, which makes the venv and builds slasim).

* every `profile_export.jsonl` line validates with AIPerf's record model
  (`aiperf.common.models.record_models.MetricRecordInfo`), and its values equal the
  `--requests-csv` row of the same request;
* AIPerf's plot loader (`ModeDetector`, `DataLoader`) finds and loads the default simulation's
  four levels and, together with them, the shipped real runs of `calibration/runs/` as
  `calibrate --aiperf-dir` lays them out;
* a real aggregate export alone is not a run for AIPerf (the reason calibrate puts an empty
  records file beside its copy), and the `aiperf plot` command loads the directories: its exit status,
  output and log are checked; a PNG is required only when a Chrome/Chromium is installed
  (AIPerf's PNG export needs one), otherwise the log must show that only the PNG export failed.

SLASIM_BIN names the slasim binary (default: target/release/slasim in the repository).
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiperf.common.models.record_models import MetricRecordInfo
from aiperf.plot.core.data_loader import DataLoader
from aiperf.plot.core.mode_detector import ModeDetector
from aiperf.plot.exceptions import DataLoadError, ModeDetectionError

REPO = Path(__file__).resolve().parents[2]
RUNS = REPO / "calibration" / "runs" / "qwen3-32b-h200-trtllm-aic"
LEVELS = ["c1", "c4", "c7", "c9"]
REAL = ["idle", "medium", "saturation", "overload"]
MODEL = "Qwen/Qwen3-32B"


def slasim(*args, ok=(0,)):
    binary = os.environ.get("SLASIM_BIN", str(REPO / "target" / "release" / "slasim"))
    p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert p.returncode in ok, f"slasim {args} exited {p.returncode}: {p.stderr}"
    return p


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The default simulation (`sim/c1…c9` + `req-cN.csv`) and calibrate's layout of the four
    shipped real runs with their calibrated twins (`cal/RUN/{measured,simulated}`)."""
    w = tmp_path_factory.mktemp("aiperf")
    slasim("simulate", "--aiperf-dir", w / "sim", "--requests-csv", w / "req.csv")
    args = ["calibrate", "--calibration", REPO / "calibration" / "qwen3-32b-h200-trtllm-aic.json"]
    for r in REAL:
        args += ["--hw-run", RUNS / f"{r}.json"]
    slasim(*args, "--strict-pct", "10", "--aiperf-dir", w / "cal", ok=(0, 1))
    return w


def lines(path):
    text = path.read_text()
    assert text.endswith("\n")
    return text.splitlines()


def test_every_jsonl_line_validates_with_aiperfs_record_model(work):
    count = 0
    dirs = [work / "sim" / lv for lv in LEVELS] + [work / "cal" / r / "simulated" for r in REAL]
    for d in dirs:
        ls = lines(d / "profile_export.jsonl")
        assert len(ls) == 100, d
        for line in ls:
            rec = MetricRecordInfo.model_validate_json(line)
            assert rec.error is None
            assert rec.metadata.benchmark_phase == "profiling"
            assert rec.metadata.request_end_ns >= rec.metadata.request_start_ns
            units = {k: v.unit for k, v in rec.metrics.items()}
            assert units["time_to_first_token"] == "ms"
            assert units["inter_token_latency"] == "ms"
            assert units["request_latency"] == "ms"
            assert units["output_sequence_length"] == "tokens"
            assert units["input_sequence_length"] == "tokens"
            count += 1
    assert count == 800


def test_per_request_values_equal_the_requests_csv(work):
    compared = 0
    for lv in LEVELS:
        recs = [MetricRecordInfo.model_validate_json(x) for x in lines(work / "sim" / lv / "profile_export.jsonl")]
        with open(work / f"req-{lv}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(recs) == len(rows) == 100
        for rec, row in zip(recs, rows):
            m = {k: v.value for k, v in rec.metrics.items()}
            assert rec.metadata.x_request_id == row["request_id"]
            assert rec.metadata.request_start_ns / 1e9 == float(row["arrived_at"])
            assert m["time_to_first_token"] == float(row["ttft_ms"])
            assert m["inter_token_latency"] == float(row["itl_ms"])
            assert m["request_latency"] == float(row["e2e_ms"])
            assert m["input_sequence_length"] == int(row["request_num_prefill_tokens"])
            assert m["output_sequence_length"] == int(row["request_num_decode_tokens"])
            compared += 1
    assert compared == 400


def test_aiperfs_plot_loader_loads_the_simulation_and_the_real_runs_together(work):
    run_dirs = ModeDetector().find_run_directories([work / "sim", work / "cal"])
    rel = sorted(str(d.relative_to(work)) for d in run_dirs)
    assert rel == sorted(
        [f"sim/{lv}" for lv in LEVELS] + [f"cal/{r}/{k}" for r in REAL for k in ("measured", "simulated")]
    )
    loader = DataLoader()
    for lv in LEVELS:
        run = loader.load_run(work / "sim" / lv, load_per_request_data=True)
        assert run.metadata.model == f"{MODEL} (slasim)"
        assert run.metadata.concurrency == int(lv[1:])
        assert len(run.requests) == 100
        assert run.aggregated["input_config"]["slasim"]["prediction"] is True
        assert run.aggregated["input_config"]["slasim"]["seed"] == 1
    for r in REAL:
        real = json.loads((RUNS / f"{r}.json").read_text())
        # multi-run loading reads the aggregate only: the measured copy loads as AIPerf wrote it
        measured = loader.load_run(work / "cal" / r / "measured", load_per_request_data=False)
        assert measured.metadata.model == MODEL
        assert measured.metadata.concurrency == real["input_config"]["loadgen"]["concurrency"]
        assert measured.get_metric("time_to_first_token") == real["time_to_first_token"]
        # its records file is empty: no per-request records are made up for a measured run
        with pytest.raises(DataLoadError, match="No valid records found"):
            loader.load_run(work / "cal" / r / "measured", load_per_request_data=True)
        twin = loader.load_run(work / "cal" / r / "simulated", load_per_request_data=True)
        assert twin.metadata.model == f"{MODEL} (slasim, calibrated)"
        assert twin.metadata.concurrency == measured.metadata.concurrency
        assert len(twin.requests) == 100


def test_the_dashboards_ttft_vs_throughput_data_holds_every_run(work):
    """What `aiperf plot --dashboard` draws for the multi-run TTFT-vs-throughput view: the
    dashboard's own data step keeps all 12 runs (none excluded for missing metrics)."""
    from aiperf.plot.dashboard.utils import runs_to_dataframe

    loader = DataLoader()
    runs = [loader.load_run(d, load_per_request_data=False) for d in ModeDetector().find_run_directories([work / "sim", work / "cal"])]
    out = runs_to_dataframe(runs, "time_to_first_token", "p50", "request_throughput", "avg")
    assert not out["warnings"], out["warnings"]
    df = out["df"]
    assert len(df) == 12
    assert sorted(df["model"].unique()) == [MODEL, f"{MODEL} (slasim)", f"{MODEL} (slasim, calibrated)"]


def test_a_real_aggregate_export_alone_is_not_an_aiperf_run(tmp_path):
    d = tmp_path / "real" / "medium"
    d.mkdir(parents=True)
    shutil.copy(RUNS / "medium.json", d / "profile_export_aiperf.json")
    with pytest.raises(ModeDetectionError, match="does not contain any valid run directories"):
        ModeDetector().find_run_directories([tmp_path / "real"])


def aiperf_plot(tmp_path, *paths):
    out = tmp_path / "plots"
    env = dict(os.environ, HOME=str(tmp_path / "home"))  # aiperf writes ~/.aiperf/plot_config.yaml
    aiperf = Path(sys.executable).with_name("aiperf")
    p = subprocess.run(
        [str(aiperf), "plot", *map(str, paths), "--output", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    log = (out / "aiperf_plot.log").read_text() if (out / "aiperf_plot.log").exists() else ""
    return p, out, log


def test_aiperf_plot_command_draws_the_simulation_beside_the_real_runs(work, tmp_path):
    p, out, log = aiperf_plot(tmp_path, work / "sim", work / "cal")
    text = p.stdout + p.stderr
    assert p.returncode == 0, text
    assert "valid run directories" not in text
    assert "Found 12 unique run directories" in log
    for lv in LEVELS:
        assert f"Loaded aggregated data from {work / 'sim' / lv / 'profile_export_aiperf.json'}" in log
    for r in REAL:
        assert f"Loaded aggregated data from {work / 'cal' / r / 'measured' / 'profile_export_aiperf.json'}" in log
    assert (
        "found 3 unique values: ['Qwen/Qwen3-32B', 'Qwen/Qwen3-32B (slasim)', 'Qwen/Qwen3-32B (slasim, calibrated)']"
        in log
    )
    png = out / "ttft_vs_throughput.png"
    if shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chrome"):
        assert png.is_file() and png.stat().st_size > 10_000, text
    else:
        # without a browser only the PNG export may fail, after the data loaded
        assert png.is_file() or "Kaleido requires Google Chrome" in log, log


def test_aiperf_plot_command_loads_one_levels_per_request_records(work, tmp_path):
    p, out, log = aiperf_plot(tmp_path, work / "sim" / "c4")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Detected SINGLE_RUN mode" in log
    assert f"Loaded 100 records from {work / 'sim' / 'c4' / 'profile_export.jsonl'}" in log

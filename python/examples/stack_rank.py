"""Stack-rank 12 candidate deployments of Qwen3-32B on H200 (disaggregated, calibrated on the
real AIPerf runs) by goodput per GPU under the SLA, simulated in parallel from a thread pool."""

import itertools
import pathlib
import time
from concurrent.futures import ThreadPoolExecutor

import slasim

ROOT = pathlib.Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "calibration" / "qwen3-32b-h200-trtllm-aic.json"

candidates = [
    {"profile": "qwen3-32b/h200/trtllm-aic", "prefill_workers": p, "decode_workers": d, "max_num_seqs": m}
    for p, d, m in itertools.product([1, 2, 3], [1, 2], [8, 16])
]


def score(dep):
    s = slasim.simulate(
        deployment=dep,
        calibration=CALIBRATION,
        workload={"concurrency": 12, "requests": 400, "isl": 2048, "osl": 256},
        sla={"ttft": 2500, "itl": 50},
    )
    return s["metrics"]["goodput_per_gpu"], s["config"]["num_gpus"], s["metrics"]["ttft_ms"]["p90"], dep


start = time.perf_counter()
with ThreadPoolExecutor() as pool:
    ranked = sorted(pool.map(score, candidates), key=lambda r: r[0], reverse=True)
elapsed = time.perf_counter() - start

for rank, (goodput, gpus, ttft_p90, dep) in enumerate(ranked, 1):
    print(f"{rank:2}. P{dep['prefill_workers']} D{dep['decode_workers']} max_num_seqs {dep['max_num_seqs']:2}"
          f"  {gpus} GPUs  goodput/GPU {goodput:.3f} req/s  TTFT p90 {ttft_p90:.0f} ms")
print(f"{len(candidates)} deployments simulated in {elapsed:.2f} s")

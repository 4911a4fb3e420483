"""slasim: predict TTFT / ITL / E2E latency and goodput of an LLM-serving deployment by
discrete-event simulation over measured performance profiles, without a GPU.

The functions mirror the ``slasim`` command line and run the same Rust library in-process:

* :func:`simulate` — ``slasim simulate``: the SPEC §4 summary dict of a deployment under a
  workload (a list of them when several load levels run), optionally every request's record;
* :func:`calibrate` — ``slasim calibrate``: compare with real runs, fit the calibration;
* :func:`sweep` — ``slasim sweep``: rank deployment configurations by goodput per GPU;
* :func:`profiles`, :func:`load_profile` — the shipped profiles and their curves;
* :func:`run` — any other command with a ``--json`` output, by its command-line words.

Keyword dicts use the command's flag names with ``_`` for ``-`` (``max_num_seqs``,
``trace_rate_scale``); a list value sweeps (``concurrency=[1, 4, 7, 9]``); ``True`` gives a
switch (``fit``). Errors raise :class:`SlasimError` subclasses with the CLI's message. The GIL
is released while the library works, so calls from a thread pool run in parallel.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _slasim
from .errors import (
    DataError,
    FileError,
    HorizonError,
    InternalError,
    ParseError,
    ProfileError,
    SlasimError,
    UsageError,
)

__version__: str = _slasim.__version__

__all__ = [
    "simulate",
    "calibrate",
    "sweep",
    "profiles",
    "load_profile",
    "run",
    "Profile",
    "SlasimError",
    "UsageError",
    "ProfileError",
    "DataError",
    "ParseError",
    "FileError",
    "HorizonError",
    "InternalError",
]

PathLike = Union[str, "os.PathLike[str]"]
Profile = _slasim.Profile


def _path_or_data(value: Any) -> Any:
    """A path (str / os.PathLike) as ``str``; anything else (a dict) unchanged."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _records(columns: Dict[str, list]) -> Any:
    """Columns as a pandas DataFrame when pandas is installed, else a list of row dicts."""
    try:
        import pandas  # type: ignore[import-not-found]
    except ImportError:
        names = list(columns)
        return [dict(zip(names, row)) for row in zip(*(columns[n] for n in names))]
    return pandas.DataFrame(columns)


def simulate(
    profile: Optional[str] = None,
    deployment: Union[None, PathLike, Mapping[str, Any]] = None,
    workload: Optional[Mapping[str, Any]] = None,
    sla: Optional[Mapping[str, Any]] = None,
    calibration: Union[None, PathLike, Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    *,
    variability: Optional[str] = None,
    records: bool = False,
) -> Any:
    """Simulate a deployment under a workload (``slasim simulate``).

    Args:
        profile: a shipped profile name (see :func:`profiles`) or a path (Dynamo profiler
            output directory, pre-swept npz, ConfigMap JSON). Default: the embedded default
            deployment's (Qwen/Qwen3-32B on H200, TRT-LLM, disaggregated P1×TP1 + D1×TP2,
            ``max_num_seqs`` 8).
        deployment: a deployment TOML path, or its keys as a dict (``mode``, ``tp``,
            ``replicas``, ``prefill_tp``, ``decode_tp``, ``prefill_workers``,
            ``decode_workers``, ``max_num_seqs``, ``max_batched_tokens``, ``block_size``,
            ``chunked_prefill``, ``scheduler``, ``router``, ``kv_capacity_tokens``, …; the
            README's deployment schema). ``profile`` overrides its ``profile``.
        workload: workload flags by name: ``concurrency`` (closed loop, requests in flight) or
            ``rps`` (open loop, requests/s; with ``arrival``, ``cv``), ``sinusoid``, ``trace``
            (a shipped trace name or a path), ``isl`` / ``osl`` (tokens, or a distribution
            such as ``"uniform:512:2048"``), ``requests``, ``duration`` (s), ``warmup_requests``,
            ``sessions``, ``prefix_groups``, … A list of ``concurrency`` or ``rps`` values runs
            one simulation per level. Without a load, one level at concurrency 1 (the embedded
            default's first level; the CLI runs all four: 1, 4, 7, 9) with 100 requests.
        sla: ``{"ttft": ms, "itl": ms}`` (default 500 and 50): goodput counts requests meeting
            both.
        calibration: a calibration JSON path, or its keys as a dict
            (``prefill_time_scale``, ``decode_time_scale``, ``frontend_latency_ms``, …).
        seed: the seed of every random stream (default 1); same inputs and seed, same numbers.
        variability: ``"default"`` (seeded service-time noise measured on the real runs),
            ``"off"`` (deterministic), or ``"STEP_CV,LATENCY_CV"``.
        records: also return every request's record (the ``--requests-csv`` columns).

    Returns:
        The SPEC §4 summary dict (``config``, ``workload``, ``sla``, ``metrics`` with
        ``ttft_ms``, ``tpot_ms``, ``itl_ms``, ``e2e_latency_s`` percentiles, throughput,
        goodput…) — the object ``slasim simulate --json`` prints, the same numbers — or a list
        of them when several load levels ran. With ``records=True``, a pair
        ``(summary, records)`` where records is a pandas DataFrame (when pandas is installed)
        or a list of dicts, one per request sorted by id (a list of those per level).

    Raises:
        UsageError, ProfileError, DataError, ParseError, FileError, HorizonError: bad input,
        with the CLI's one-line message.
    """
    summaries, cols = _slasim.simulate(
        profile=profile,
        deployment=_path_or_data(deployment),
        workload=workload,
        sla=sla,
        calibration=_path_or_data(calibration),
        seed=seed,
        variability=variability,
        records=records,
    )
    one = len(summaries) == 1
    summary = summaries[0] if one else summaries
    if not records:
        return summary
    tables = [_records(c) for c in cols]
    return summary, (tables[0] if one else tables)


def _flag_words(what: str, group: str, mapping: Optional[Mapping[str, Any]]) -> List[str]:
    return list(_slasim.flags(what, group, dict(mapping) if mapping else None))


def _one_of(name: str, value: Any) -> List[str]:
    if value is None:
        return []
    return [f"--{name}={os.fspath(value)}"]


def calibrate(
    runs: Sequence[PathLike],
    fit: bool = False,
    holdout: Sequence[PathLike] = (),
    *,
    profile: Optional[str] = None,
    deployment: Optional[PathLike] = None,
    calibration: Optional[PathLike] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Compare simulation with real runs, and fit the calibration (``slasim calibrate``).

    Args:
        runs: hardware runs (``--hw-run``): the SPEC §5 template JSON, an AIPerf
            ``profile_export_aiperf.json``, a vLLM ``benchmark_serving`` result, or an
            AIConfigurator silicon CSV (one run per row).
        fit: fit the calibration parameters on ``runs`` (``--fit``).
        holdout: runs reported but kept out of the fit (``--holdout``).
        profile, deployment, calibration: as for :func:`simulate` (paths); without them the
            embedded default deployment.
        **options: other ``calibrate`` flags by name: ``seeds``, ``fit_params`` (list),
            ``starts``, ``max_iters``, ``prior_weight``, ``ttft``, ``itl``, ``strict_pct``,
            ``loose_pct``, ``tight``, ``loo``, ``calibration_out`` (path), ``plot`` (path), …

    Returns:
        The SPEC §7 report: ``runs`` (per run and metric: hw, sim, error_pct, status),
        ``mape_pct``, ``holdout_mape_pct``, ``gates`` (strict / loose, each with ``pass``),
        ``parameters``; with ``fit``, also ``before`` and ``fit``; and ``identifiability``.
        A failed gate is in ``report["gates"]``, not an exception.
    """
    words = ["calibrate"]
    words += [f"--hw-run={os.fspath(p)}" for p in runs]
    words += [f"--holdout={os.fspath(p)}" for p in holdout]
    if fit:
        words.append("--fit")
    words += _one_of("profile", profile)
    words += _one_of("deployment", deployment)
    words += _one_of("calibration", calibration)
    words += _flag_words("calibrate", "calibrate", options)
    _code, report = _slasim.run(words)
    return report


def sweep(
    space: Union[None, PathLike, Mapping[str, Any]] = None,
    workload: Optional[Mapping[str, Any]] = None,
    sla: Optional[Mapping[str, Any]] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Search deployment configurations for the best goodput per GPU (``slasim sweep``).

    Args:
        space: a search-space TOML path (``calibration/spaces/``), or the space as a dict of
            ``sweep`` flags: ``model``, ``gpu``, ``backend`` or ``profile``; lists ``mode``,
            ``tp``, ``replicas``, ``prefill_tp``, ``decode_tp``, ``prefill_workers``,
            ``decode_workers``, ``max_num_seqs``, ``scheduler``; ``gpu_budget``, …
        workload: the target workload, as for :func:`simulate`.
        sla: ``{"ttft": ms, "itl": ms}``; ``sla_quantile`` goes in ``options``.
        **options: other ``sweep`` flags by name (``sla_quantile``, ``search_requests``,
            ``calibration`` (path), ``csv``, ``plot``, …).

    Returns:
        The SPEC §7 sweep report: ``configs`` (id, mode, prefill/decode TP and workers,
        num_gpus, goodput_per_gpu, max_rps_meeting_sla, sla_met, pareto, rank, …) and ``best``.
    """
    words = ["sweep"]
    flags: Dict[str, Any] = {}
    if isinstance(space, Mapping):
        flags.update(space)
    else:
        words += _one_of("space", space)
    flags.update(options)
    words += _flag_words("sweep", "sweep", flags)
    words += _flag_words("workload", "workload", workload)
    words += _flag_words("sla", "sla", sla)
    _code, report = _slasim.run(words)
    return report


def profiles() -> List[Dict[str, Any]]:
    """The shipped profiles (``slasim profile list --json``): name, model, gpu, backend,
    origin, engines (role, tp, max_kv_tokens)."""
    _code, entries = _slasim.run(["profile", "list"])
    return entries


def load_profile(name_or_path: PathLike) -> "Profile":
    """Load a profile: a shipped name (see :func:`profiles`) or a path (Dynamo profiler output
    directory, pre-swept npz, ConfigMap JSON, mocker npz; ``FILE.npz#ROW`` picks a row).

    The result's ``query(isl=N)`` gives ``{"ttft_ms", "prefill_thpt_per_gpu"}`` and
    ``query(kv_usage=U, context=C)`` gives ``{"itl_ms", "decode_thpt_per_gpu"}`` (both take
    ``tp=`` and ``role="prefill"|"decode"``), as ``slasim profile query --json``; ``info()``
    gives its ``profiles()`` entry.
    """
    return _slasim.load_profile(os.fspath(name_or_path))


def run(*words: str) -> Tuple[int, Any]:
    """Run any ``slasim`` command with a ``--json`` output by its command-line words, e.g.
    ``run("validate")``, ``run("profile", "show", "llama-3.1-8b-fp8/h200/vllm")``. Returns
    ``(exit_code, json)``: 0, or 1 when a check the command makes failed."""
    return _slasim.run([os.fspath(w) for w in words])

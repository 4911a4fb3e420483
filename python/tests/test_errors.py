"""Bad inputs raise typed `slasim.SlasimError` subclasses with the CLI's one-line message."""

from __future__ import annotations

import pytest

import slasim
from slasim import errors


@pytest.mark.parametrize(
    "kwargs, words, cls",
    [
        ({"workload": {"isl": -1}}, ["--isl", "-1"], slasim.UsageError),
        ({"workload": {"concurrency": 0}}, ["--concurrency", "0"], slasim.UsageError),
        ({"workload": {"osl": 0}}, ["--osl", "0"], slasim.UsageError),
        ({"profile": "no/such/profile"}, ["--profile", "no/such/profile"], slasim.ProfileError),
        ({"sla": {"ttft": 0}}, ["--ttft", "0"], slasim.UsageError),
        ({"calibration": "no-such-calibration.json"}, ["--calibration", "no-such-calibration.json"], slasim.FileError),
        ({"variability": "loud"}, ["--variability", "loud"], slasim.UsageError),
        ({"workload": {"arrival": "zipf"}}, ["--arrival", "zipf"], slasim.UsageError),
        ({"workload": {"requests": "many"}}, ["--requests", "many"], slasim.UsageError),
    ],
)
def test_same_message_as_the_cli(kwargs, words, cls, cli_error):
    expected = cli_error("simulate", *words)
    with pytest.raises(slasim.SlasimError) as e:
        slasim.simulate(**kwargs)
    assert type(e.value) is cls
    assert str(e.value) == expected
    assert "\n" not in str(e.value)


def test_deployment_data_errors_read_like_a_deployment_files(tmp_path, cli_error):
    f = tmp_path / "d.toml"
    f.write_text('profile = "llama-3.1-8b-fp8/h200/vllm"\ntp = 3\n')
    expected = cli_error("simulate", "--deployment", str(f))
    assert expected.startswith(f"{f}: `tp`: ")
    with pytest.raises(slasim.DataError) as e:
        slasim.simulate(deployment={"profile": "llama-3.1-8b-fp8/h200/vllm", "tp": 3})
    assert str(e.value) == "deployment" + expected[len(str(f)):]


def test_unknown_keys_name_the_known_ones():
    with pytest.raises(slasim.UsageError, match=r"workload: unknown key `islx`; known keys: .*\bisl\b"):
        slasim.simulate(workload={"islx": 1})
    with pytest.raises(slasim.UsageError, match="sla: unknown key `ttft_ms`"):
        slasim.simulate(sla={"ttft_ms": 1})
    with pytest.raises(slasim.DataError, match="unknown field `tpp`"):
        slasim.simulate(deployment={"tpp": 2})
    with pytest.raises(slasim.UsageError, match="calibrate: unknown key `fitt`"):
        slasim.calibrate(["x.json"], fitt=True)


def test_wrong_value_types():
    with pytest.raises(slasim.UsageError, match="expected a dict"):
        slasim.simulate(workload=[1, 2])
    with pytest.raises(slasim.UsageError, match=r"workload: `isl`: expected a number, a string"):
        slasim.simulate(workload={"isl": {"a": 1}})
    with pytest.raises(slasim.DataError, match="is not a calibration"):
        slasim.simulate(calibration={"prefill_time_scale": "fast"})
    with pytest.raises(slasim.DataError):
        slasim.simulate(calibration={"prefill_time_scale": -1.0})


def test_a_bad_deployment_file_names_file_line_and_key(tmp_path):
    bad = tmp_path / "d.toml"
    bad.write_text('profile = "llama-3.1-8b-fp8/h200/vllm"\ntp = "two"\n')
    with pytest.raises(slasim.ParseError, match=r"d\.toml:2:6: `tp`"):
        slasim.simulate(deployment=bad)
    assert issubclass(slasim.ParseError, slasim.DataError)


def test_a_missing_run_is_a_file_error_and_an_oserror():
    with pytest.raises(slasim.FileError) as e:
        slasim.calibrate(["no-such-run.json"])
    assert isinstance(e.value, OSError)


def test_profile_errors():
    with pytest.raises(slasim.ProfileError):
        slasim.load_profile("no/such")
    p = slasim.load_profile("llama-3.3-70b-fp8/h100/vllm")
    with pytest.raises(slasim.UsageError, match="--tp"):
        p.query(isl=1024)  # three TPs: which one?
    with pytest.raises(slasim.UsageError, match="give isl=N, or kv_usage=U with context=C"):
        p.query(kv_usage=0.5, tp=4)
    with pytest.raises(slasim.UsageError, match="--isl: must be a positive number"):
        p.query(isl=-3, tp=4)


def test_every_class_is_a_slasim_error():
    for name in errors.__all__:
        assert issubclass(getattr(slasim, name), slasim.SlasimError)


def test_query_errors_match_the_cli(cli_error):
    expected = cli_error("profile", "query", "qwen3-32b/h200/trtllm-aic", "--isl", "4000", "--role", "decode")
    with pytest.raises(slasim.UsageError) as e:
        slasim.load_profile("qwen3-32b/h200/trtllm-aic").query(isl=4000, role="decode")
    assert str(e.value) == expected

//! `slasim._slasim`: the native half of the Python package. A thin layer over
//! [`slasim::api`]: it converts Python values to JSON values and back, releases the GIL while
//! the library works, and raises the `slasim.errors` exception of each error's class. The
//! Python half (`python/python/slasim/`) holds the documented public API.

use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::{Map, Value};
use slasim::api::{self, ApiError, ErrorClass, Input, SimulateRequest};
use std::sync::Arc;

/// The `slasim.errors` exception for `e`, carrying the CLI's one-line message.
fn raise(py: Python<'_>, e: ApiError) -> PyErr {
    let class = py
        .import("slasim.errors")
        .and_then(|m| m.getattr(e.class.name()))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(c) => PyErr::from_type(c, e.message),
        Err(import_failed) => import_failed,
    }
}

/// A Python value (dict, list, str, int, float, bool, None) as JSON; `what` names it in errors.
fn to_json(py: Python<'_>, what: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize::<Value>(v).map_err(|e| {
        raise(
            py,
            ApiError {
                class: ErrorClass::Usage,
                message: format!("{what}: cannot be read as data: {e}"),
            },
        )
    })
}

/// A dict argument as a JSON object (`None` → empty).
fn to_map(py: Python<'_>, what: &str, v: Option<&Bound<'_, PyAny>>) -> PyResult<Map<String, Value>> {
    match v {
        None => Ok(Map::new()),
        Some(v) => match to_json(py, what, v)? {
            Value::Object(m) => Ok(m),
            Value::Null => Ok(Map::new()),
            other => Err(raise(
                py,
                ApiError {
                    class: ErrorClass::Usage,
                    message: format!(
                        "{what}: expected a dict of flag names to values, got {}",
                        slasim::error::json_kind(&other)
                    ),
                },
            )),
        },
    }
}

/// A path-or-data argument: the Python side passes a path as `str`, data as anything else.
fn to_input(py: Python<'_>, what: &str, v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Input>> {
    let Some(v) = v else { return Ok(None) };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(s) = v.extract::<String>() {
        return Ok(Some(Input::Path(s.into())));
    }
    Ok(Some(Input::Data(to_json(py, what, v)?)))
}

fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(PyErr::from)
}

/// `simulate(...)` → (list of summary dicts, list of column dicts or None). See
/// `slasim.simulate` for the meaning of each argument.
#[pyfunction]
#[pyo3(signature = (profile=None, deployment=None, workload=None, sla=None, calibration=None, seed=None, variability=None, records=false))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    profile: Option<String>,
    deployment: Option<&Bound<'py, PyAny>>,
    workload: Option<&Bound<'py, PyAny>>,
    sla: Option<&Bound<'py, PyAny>>,
    calibration: Option<&Bound<'py, PyAny>>,
    seed: Option<u64>,
    variability: Option<String>,
    records: bool,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let req = SimulateRequest {
        profile,
        deployment: to_input(py, "deployment", deployment)?,
        workload: to_map(py, "workload", workload)?,
        sla: to_map(py, "sla", sla)?,
        calibration: to_input(py, "calibration", calibration)?,
        seed,
        variability,
        records,
    };
    let out = py.detach(|| api::simulate(&req)).map_err(|e| raise(py, e))?;
    let summaries = to_py(py, &Value::Array(out.summaries))?;
    let records = match out.records {
        Some(r) => to_py(py, &Value::Array(r))?,
        None => py.None().into_bound(py),
    };
    Ok((summaries, records))
}

/// `run(words)` → (exit code, JSON output): any `slasim` command with a `--json` output, from
/// its command-line words after `slasim`.
#[pyfunction]
fn run<'py>(py: Python<'py>, words: Vec<String>) -> PyResult<(i32, Bound<'py, PyAny>)> {
    let out = py.detach(|| api::run_command(&words)).map_err(|e| raise(py, e))?;
    Ok((out.exit_code, to_py(py, &out.json)?))
}

/// `flags(what, group, mapping)` → the command-line words of a dict of flags, with the same
/// checks as `simulate`'s (`group`: "workload", "sla", or a subcommand name).
#[pyfunction]
fn flags(py: Python<'_>, what: String, group: String, mapping: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let map = to_map(py, &what, mapping)?;
    let group = match group.as_str() {
        "workload" => api::FlagGroup::Workload,
        "sla" => api::FlagGroup::Sla,
        "calibrate" => api::FlagGroup::Command("calibrate"),
        "sweep" => api::FlagGroup::Command("sweep"),
        other => {
            return Err(raise(
                py,
                ApiError {
                    class: ErrorClass::Usage,
                    message: format!("flags: unknown group `{other}` (workload, sla, calibrate, sweep)"),
                },
            ))
        }
    };
    api::flags_from_map(&what, group, &map).map_err(|e| raise(py, e.into()))
}

/// A loaded performance profile (`slasim.load_profile`).
#[pyclass(frozen, module = "slasim._slasim", name = "Profile")]
struct PyProfile {
    spec: String,
    inner: Arc<slasim::profile::Profile>,
}

#[pymethods]
impl PyProfile {
    /// The name or path it was loaded from.
    #[getter]
    fn spec(&self) -> &str {
        &self.spec
    }

    /// The `profile list` entry: name, model, gpu, backend, origin, engines (role, tp,
    /// max_kv_tokens).
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(slasim::profile::facts::list_entry(&self.inner)).unwrap_or(Value::Null);
        to_py(py, &v)
    }

    /// Reads the curves: `isl` gives {"ttft_ms", "prefill_thpt_per_gpu"}; `kv_usage` with
    /// `context` gives {"itl_ms", "decode_thpt_per_gpu"}.
    #[pyo3(signature = (isl=None, kv_usage=None, context=None, tp=None, role=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        isl: Option<f64>,
        kv_usage: Option<f64>,
        context: Option<f64>,
        tp: Option<u32>,
        role: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        use slasim::profile::query::{query, QueryPoint};
        use slasim::profile::Role;
        let usage = |m: &str| ApiError {
            class: ErrorClass::Usage,
            message: m.to_string(),
        };
        let point = match (isl, kv_usage, context) {
            (Some(isl), None, None) => QueryPoint::Prefill { isl },
            (None, Some(kv_usage), Some(context)) => QueryPoint::Decode { kv_usage, context },
            _ => return Err(raise(py, usage("query: give isl=N, or kv_usage=U with context=C"))),
        };
        let role = match role.as_deref() {
            None => None,
            Some("prefill") => Some(Role::Prefill),
            Some("decode") => Some(Role::Decode),
            Some(other) => {
                return Err(raise(
                    py,
                    usage(&format!("query: role must be \"prefill\" or \"decode\", got {other:?}")),
                ))
            }
        };
        let a = api::catch(|| query(&self.inner, tp, role, point))
            .map_err(|e| raise(py, e))?
            .map_err(|e| raise(py, e.into()))?;
        to_py(py, &a.json())
    }

    fn __repr__(&self) -> String {
        format!("Profile({:?})", self.spec)
    }
}

/// `load_profile(name_or_path)` → Profile.
#[pyfunction]
fn load_profile(py: Python<'_>, name_or_path: String) -> PyResult<PyProfile> {
    let spec = name_or_path.clone();
    let p = py
        .detach(|| api::catch(|| slasim::profile::resolve_shared(&spec)))
        .map_err(|e| raise(py, e))?
        .map_err(|e| raise(py, ApiError::profile(e)))?;
    Ok(PyProfile {
        spec: name_or_path,
        inner: p,
    })
}

#[pymodule]
fn _slasim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(flags, m)?)?;
    m.add_function(wrap_pyfunction!(load_profile, m)?)?;
    m.add_class::<PyProfile>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

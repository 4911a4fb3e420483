//! Reading the Dynamo profiler's `config_with_planner.yaml` (multi-document YAML): the
//! recommended prefill/decode workers of its `DynamoGraphDeployment` and the profile payloads
//! of its `planner-profile-data` ConfigMap (the layout [`crate::plan::dgd`] writes).
//!
//! A worker service is recognised by `subComponentType` (`prefill` / `decode`), else by its
//! name (`…Prefill…` / `…Decode…`, any case), else by its args (`--is-prefill-worker`,
//! `--disaggregation-mode prefill|decode`). Its TP is the TP flag in its args
//! (`--tensor-parallel-size`, `--tp`, `--tp-size`, `=` form too; args may also be one
//! space-separated string), else `resources.limits.gpu` (else `resources.requests.gpu`), else
//! the Planner's `--prefill-engine-num-gpu` / `--decode-engine-num-gpu`. `replicas` is read as
//! stated.

use crate::error::{Error, Result};
use serde_json::Value;

/// What the YAML says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlannerYaml {
    /// Prefill worker TP.
    pub prefill_tp: Option<u32>,
    /// Decode worker TP.
    pub decode_tp: Option<u32>,
    /// Prefill replicas.
    pub prefill_replicas: Option<u32>,
    /// Decode replicas.
    pub decode_replicas: Option<u32>,
    /// Model served by the workers (`--model-path`, `--model`, `--served-model-name`).
    pub model: Option<String>,
    /// Backend of the workers: the module they run (`dynamo.trtllm` → `trtllm`), else the
    /// service name (`TRTLLM…` → `trtllm`, `Vllm…` → `vllm`).
    pub backend: Option<String>,
    /// `prefill_raw_data.json` of the planner-profile-data ConfigMap.
    pub prefill_payload: Option<Vec<u8>>,
    /// `decode_raw_data.json` of the planner-profile-data ConfigMap.
    pub decode_payload: Option<Vec<u8>>,
    /// Oddities found (several prefill services, TP flag ≠ GPU limit, …).
    pub warnings: Vec<String>,
}

/// TP flags recognised in worker args.
const TP_FLAGS: [&str; 4] = ["--tensor-parallel-size", "--tp", "--tp-size", "--tensor-parallel"];

/// Parses the YAML text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<PlannerYaml> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| Error::data(file, "(yaml)", format!("is not valid YAML: {e}")))?;
    let mut out = PlannerYaml::default();
    let mut planner_args: Vec<String> = Vec::new();
    let mut found: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for doc in &docs {
        if let Some(data) = doc.get("data").and_then(Value::as_object) {
            for (key, slot) in [
                ("prefill_raw_data.json", &mut out.prefill_payload),
                ("decode_raw_data.json", &mut out.decode_payload),
            ] {
                if let Some(s) = data.get(key).and_then(Value::as_str) {
                    if slot.is_none() {
                        *slot = Some(s.as_bytes().to_vec());
                    }
                }
            }
        }
        let Some(services) = doc
            .get("spec")
            .and_then(|s| s.get("services"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (name, svc) in services {
            let args = args_of(svc);
            if svc.get("componentType").and_then(Value::as_str) == Some("planner")
                || name.eq_ignore_ascii_case("planner")
            {
                planner_args.extend(args);
                continue;
            }
            let Some(role) = role_of(name, svc, &args) else {
                continue;
            };
            let idx = usize::from(role == "decode");
            found[idx].push(name.clone());
            if found[idx].len() > 1 {
                out.warnings.push(format!(
                    "{file}: several {role} services ({}); the first is used",
                    found[idx].join(", ")
                ));
                continue;
            }
            let flag_tp = tp_flag(&args);
            let gpu = gpu_count(svc);
            if let (Some(t), Some(g)) = (flag_tp, gpu) {
                if t != g {
                    out.warnings.push(format!(
                        "{file}: service {name} has TP {t} in its args but {g} GPUs; TP {t} is used"
                    ));
                }
            }
            let tp = flag_tp.or(gpu);
            if out.model.is_none() {
                out.model = string_flag(&args, &["--model-path", "--model", "--served-model-name"]);
            }
            if out.backend.is_none() {
                out.backend = backend_of(name, &args);
            }
            let replicas = svc
                .get("replicas")
                .and_then(Value::as_u64)
                .and_then(|r| u32::try_from(r).ok());
            if role == "prefill" {
                out.prefill_tp = tp;
                out.prefill_replicas = replicas;
            } else {
                out.decode_tp = tp;
                out.decode_replicas = replicas;
            }
        }
    }
    if out.prefill_tp.is_none() {
        out.prefill_tp = flag_value(&planner_args, &["--prefill-engine-num-gpu"]);
    }
    if out.decode_tp.is_none() {
        out.decode_tp = flag_value(&planner_args, &["--decode-engine-num-gpu"]);
    }
    Ok(out)
}

/// The service's container args (and command), split on whitespace.
fn args_of(svc: &Value) -> Vec<String> {
    let c = svc.get("extraPodSpec").and_then(|e| e.get("mainContainer"));
    let mut out = Vec::new();
    for key in ["command", "args"] {
        match c.and_then(|c| c.get(key)) {
            Some(Value::Array(a)) => {
                for x in a {
                    let s = match x {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => continue,
                    };
                    out.extend(s.split_whitespace().map(str::to_string));
                }
            }
            Some(Value::String(s)) => out.extend(s.split_whitespace().map(str::to_string)),
            _ => {}
        }
    }
    out
}

/// `prefill` / `decode` / `None` (not a disaggregated worker).
fn role_of(name: &str, svc: &Value, args: &[String]) -> Option<&'static str> {
    let norm = |s: &str| {
        let s = s.to_ascii_lowercase();
        if s.contains("prefill") {
            Some("prefill")
        } else if s.contains("decode") {
            Some("decode")
        } else {
            None
        }
    };
    if let Some(r) = svc.get("subComponentType").and_then(Value::as_str).and_then(norm) {
        return Some(r);
    }
    if let Some(r) = norm(name) {
        return Some(r);
    }
    if args.iter().any(|a| a == "--is-prefill-worker") {
        return Some("prefill");
    }
    let mode = args.iter().enumerate().find_map(|(i, a)| {
        if a == "--disaggregation-mode" {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix("--disaggregation-mode=").map(str::to_string)
        }
    });
    mode.as_deref().and_then(norm)
}

/// The value of the first of `flags` in `args` (`--flag N` or `--flag=N`) as a TP ≥ 1.
fn flag_value(args: &[String], flags: &[&str]) -> Option<u32> {
    for (i, a) in args.iter().enumerate() {
        for f in flags {
            let v = if a == f {
                args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(f).and_then(|r| r.strip_prefix('='))
            };
            if let Some(t) = v
                .and_then(|v| v.trim_matches('"').parse::<u32>().ok())
                .filter(|t| *t >= 1)
            {
                return Some(t);
            }
        }
    }
    None
}

/// The value of the first of `flags` in `args` (`--flag V` or `--flag=V`).
fn string_flag(args: &[String], flags: &[&str]) -> Option<String> {
    flags.iter().find_map(|f| {
        args.iter().enumerate().find_map(|(i, a)| {
            let v = if a == f {
                args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(f).and_then(|r| r.strip_prefix('='))
            }?;
            let v = v.trim_matches('"');
            (!v.is_empty() && !v.starts_with("--")).then(|| v.to_string())
        })
    })
}

/// `trtllm` / `vllm` / `sglang` from the worker's module (`-m dynamo.X`) or service name.
fn backend_of(name: &str, args: &[String]) -> Option<String> {
    let known = ["trtllm", "vllm", "sglang"];
    if let Some(b) = args
        .iter()
        .filter_map(|a| a.strip_prefix("dynamo."))
        .find(|b| known.contains(b))
    {
        return Some(b.to_string());
    }
    let lower = name.to_ascii_lowercase();
    known.iter().find(|k| lower.starts_with(*k)).map(|k| k.to_string())
}

fn tp_flag(args: &[String]) -> Option<u32> {
    flag_value(args, &TP_FLAGS)
}

/// `resources.limits.gpu` (else `resources.requests.gpu`), a number or a numeric string.
fn gpu_count(svc: &Value) -> Option<u32> {
    ["limits", "requests"].iter().find_map(|k| {
        let g = svc.get("resources")?.get(k)?.get("gpu")?;
        let n = match g {
            Value::String(s) => s.trim().parse::<u32>().ok()?,
            Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
            _ => return None,
        };
        (n >= 1).then_some(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::dgd::{render, DgdInputs};

    fn plan_yaml(backend: &str, ptp: u32, dtp: u32) -> String {
        let p = crate::profile::resolve("qwen3-32b/h200/trtllm-aic").unwrap();
        let pre = p.prefill_engine(None, "--x").unwrap().prefill.clone().unwrap();
        let dec = p.decode_engine(None, "--x").unwrap().decode.clone().unwrap();
        render(&DgdInputs {
            name: "test".into(),
            model: "Qwen/Qwen3-32B".into(),
            backend: backend.into(),
            image: "img".into(),
            prefill_tp: ptp,
            decode_tp: dtp,
            prefill_replicas: 3,
            decode_replicas: 2,
            ttft_ms: 500.0,
            itl_ms: 50.0,
            prefill: &pre,
            decode: &dec,
        })
        .unwrap()
    }

    #[test]
    fn round_trips_a_plan_yaml() {
        for backend in ["trtllm", "vllm", "sglang"] {
            let y = parse("c.yaml", &plan_yaml(backend, 2, 4)).unwrap();
            assert_eq!((y.prefill_tp, y.decode_tp), (Some(2), Some(4)), "{backend}");
            assert_eq!((y.prefill_replicas, y.decode_replicas), (Some(3), Some(2)));
            assert_eq!(y.model.as_deref(), Some("Qwen/Qwen3-32B"));
            assert_eq!(y.backend.as_deref(), Some(backend));
            assert!(y.warnings.is_empty(), "{:?}", y.warnings);
            let pre: Value = serde_json::from_slice(y.prefill_payload.as_ref().unwrap()).unwrap();
            assert!(pre.get("prefill_isl").is_some());
            let dec: Value = serde_json::from_slice(y.decode_payload.as_ref().unwrap()).unwrap();
            assert!(dec.get("max_kv_tokens").is_some());
        }
    }

    #[test]
    fn tp_from_args_gpu_limit_or_planner() {
        let y =
            "apiVersion: nvidia.com/v1alpha1\nkind: DynamoGraphDeployment\nspec:\n  services:\n    Planner:\n      \
                 componentType: planner\n      extraPodSpec:\n        mainContainer:\n          args: \
                 [\"--prefill-engine-num-gpu=4\", \"--decode-engine-num-gpu=8\"]\n    PWorker:\n      \
                 extraPodSpec:\n        mainContainer:\n          args: [\"python3 -m dynamo.vllm --model m \
                 --tensor-parallel-size=2 --is-prefill-worker\"]\n    DWorker:\n      replicas: 5\n      \
                 extraPodSpec:\n        mainContainer:\n          args: [\"--disaggregation-mode\", \"decode\"]\n";
        let p = parse("x.yaml", y).unwrap();
        assert_eq!(p.prefill_tp, Some(2));
        assert_eq!(p.decode_tp, Some(8), "planner fallback");
        assert_eq!(p.decode_replicas, Some(5));
        assert_eq!(p.model.as_deref(), Some("m"));
        assert_eq!(p.backend.as_deref(), Some("vllm"));
        assert!(p.prefill_payload.is_none());
        let y =
            "spec:\n  services:\n    VllmDecodeWorker:\n      resources:\n        limits:\n          gpu: 4\n      \
                 extraPodSpec:\n        mainContainer:\n          args: [--tp, \"2\"]\n";
        let p = parse("x.yaml", y).unwrap();
        assert_eq!(p.decode_tp, Some(2));
        assert_eq!(p.prefill_tp, None);
        assert!(
            p.warnings[0].contains("TP 2 in its args but 4 GPUs"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn bad_yaml_is_a_data_error() {
        let e = parse("bad.yaml", "a: [1, 2\n").unwrap_err().to_string();
        assert!(e.starts_with("bad.yaml: `(yaml)`: is not valid YAML"), "{e}");
        assert_eq!(parse("e.yaml", "").unwrap(), PlannerYaml::default());
    }
}

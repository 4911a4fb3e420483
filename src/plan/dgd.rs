//! The Dynamo deployment of a plan: a multi-document YAML with
//! 1. a `ConfigMap` `planner-profile-data` holding the profile as the planner reads it
//!    (`prefill_raw_data.json`: `prefill_isl`, `prefill_ttft`, `prefill_thpt_per_gpu`;
//!    `decode_raw_data.json`: `x_kv_usage`, `y_context_length`, `z_itl`, `z_thpt_per_gpu`,
//!    `max_kv_tokens`), and
//! 2. a `DynamoGraphDeployment` (`nvidia.com/v1alpha1`) in the shape of the Dynamo profiler's
//!    `config_with_planner.yaml`: services `Frontend`, `Planner` (mounting the ConfigMap at
//!    `/workspace/profiling_results`), and the prefill and decode workers (names by backend:
//!    `VllmPrefillWorker`/`VllmDecodeWorker`, `TRTLLMPrefillWorker`/`TRTLLMDecodeWorker`,
//!    `prefill`/`decode` for SGLang) with `replicas`, `resources.limits.gpu` = TP and the TP
//!    flag in `extraPodSpec.mainContainer.args`.
//!
//! The YAML is read back (serde-saphyr) and compared with what was meant before it is returned.

use crate::error::{Error, Result};
use crate::profile::{DecodeSurface, PrefillCurve};
use serde_json::{json, Map, Value};

/// What the deployment needs.
#[derive(Debug, Clone)]
pub struct DgdInputs<'a> {
    /// `metadata.name` of the DGD (DNS-1123; sanitised).
    pub name: String,
    /// Model id served.
    pub model: String,
    /// Backend (`vllm`, `trtllm`, `sglang`; others are written vLLM-style).
    pub backend: String,
    /// Container image of every service.
    pub image: String,
    /// Prefill worker TP (GPUs per worker).
    pub prefill_tp: u32,
    /// Decode worker TP.
    pub decode_tp: u32,
    /// Prefill workers.
    pub prefill_replicas: u32,
    /// Decode workers.
    pub decode_replicas: u32,
    /// TTFT target, ms (planner args).
    pub ttft_ms: f64,
    /// ITL target, ms (planner args).
    pub itl_ms: f64,
    /// Prefill curve for the ConfigMap.
    pub prefill: &'a PrefillCurve,
    /// Decode surface for the ConfigMap.
    pub decode: &'a DecodeSurface,
}

/// Name of the ConfigMap with the profile data.
pub const CONFIGMAP_NAME: &str = "planner-profile-data";
/// Where the Planner mounts it.
pub const PROFILE_MOUNT: &str = "/workspace/profiling_results";

/// Lower-case DNS-1123 label from free text (`Qwen/Qwen3-32B` → `qwen-qwen3-32b`), ≤ 63 chars.
pub fn dns_name(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "slasim-plan".into()
    } else {
        out
    }
}

fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// The two ConfigMap payloads as JSON values (prefill, decode).
pub fn payloads(p: &PrefillCurve, d: &DecodeSurface) -> (Value, Value) {
    let pts = d.points();
    let pre = json!({
        "prefill_isl": p.isl.iter().map(|&v| num(v)).collect::<Vec<_>>(),
        "prefill_ttft": p.ttft_ms,
        "prefill_thpt_per_gpu": p.thpt_per_gpu,
    });
    let dec = json!({
        "x_kv_usage": pts.iter().map(|q| q.kv_usage).collect::<Vec<_>>(),
        "y_context_length": pts.iter().map(|q| q.context).collect::<Vec<_>>(),
        "z_itl": pts.iter().map(|q| q.itl_ms).collect::<Vec<_>>(),
        "z_thpt_per_gpu": pts.iter().map(|q| q.thpt_per_gpu).collect::<Vec<_>>(),
        "max_kv_tokens": num(d.kv_scale_tokens),
    });
    (pre, dec)
}

struct Backend {
    prefill: &'static str,
    decode: &'static str,
    module: &'static str,
    tp_flag: &'static str,
}

fn backend(b: &str) -> Backend {
    match b {
        "trtllm" => Backend {
            prefill: "TRTLLMPrefillWorker",
            decode: "TRTLLMDecodeWorker",
            module: "dynamo.trtllm",
            tp_flag: "--tensor-parallel-size",
        },
        "sglang" => Backend {
            prefill: "prefill",
            decode: "decode",
            module: "dynamo.sglang",
            tp_flag: "--tp",
        },
        _ => Backend {
            prefill: "VllmPrefillWorker",
            decode: "VllmDecodeWorker",
            module: "dynamo.vllm",
            tp_flag: "--tensor-parallel-size",
        },
    }
}

fn fmt_ms(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The documents (ConfigMap, DynamoGraphDeployment) as JSON values.
pub fn documents(i: &DgdInputs) -> Result<Vec<Value>> {
    let (pre, dec) = payloads(i.prefill, i.decode);
    let text = |v: &Value| serde_json::to_string(v).map_err(|e| Error::data("(configmap)", "payload", e.to_string()));
    let cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIGMAP_NAME},
        "data": {
            "prefill_raw_data.json": text(&pre)?,
            "decode_raw_data.json": text(&dec)?,
        }
    });
    let name = dns_name(&i.name);
    let b = backend(&i.backend);
    let worker = |role: &str, tp: u32, replicas: u32| -> Value {
        let mut args: Vec<String> = match i.backend.as_str() {
            "trtllm" => vec![
                "--model-path".into(),
                i.model.clone(),
                "--served-model-name".into(),
                i.model.clone(),
                b.tp_flag.into(),
                tp.to_string(),
                "--disaggregation-mode".into(),
                role.into(),
            ],
            "sglang" => vec![
                "--model-path".into(),
                i.model.clone(),
                "--served-model-name".into(),
                i.model.clone(),
                b.tp_flag.into(),
                tp.to_string(),
                "--disaggregation-mode".into(),
                role.into(),
            ],
            _ => vec!["--model".into(), i.model.clone(), b.tp_flag.into(), tp.to_string()],
        };
        if role == "prefill" && !matches!(i.backend.as_str(), "trtllm" | "sglang") {
            args.push("--is-prefill-worker".into());
        }
        json!({
            "dynamoNamespace": name,
            "envFromSecret": "hf-token-secret",
            "componentType": "worker",
            "subComponentType": role,
            "replicas": replicas,
            "resources": {"limits": {"gpu": tp.to_string()}},
            "extraPodSpec": {"mainContainer": {
                "image": i.image,
                "workingDir": format!("/workspace/components/backends/{}", if b.module == "dynamo.vllm" { "vllm" } else { i.backend.as_str() }),
                "command": ["python3", "-m", b.module],
                "args": args,
            }}
        })
    };
    let mut services = Map::new();
    services.insert(
        "Frontend".into(),
        json!({
            "dynamoNamespace": name,
            "componentType": "frontend",
            "replicas": 1,
            "extraPodSpec": {"mainContainer": {"image": i.image}}
        }),
    );
    services.insert(
        "Planner".into(),
        json!({
            "dynamoNamespace": name,
            "componentType": "planner",
            "replicas": 1,
            "extraPodSpec": {
                "volumes": [{"name": CONFIGMAP_NAME, "configMap": {"name": CONFIGMAP_NAME}}],
                "mainContainer": {
                    "image": i.image,
                    "workingDir": "/workspace/components/src/dynamo/planner",
                    "command": ["python3", "-m", "planner_sla"],
                    "args": [
                        "--environment=kubernetes",
                        format!("--backend={}", if b.module == "dynamo.vllm" { "vllm" } else { i.backend.as_str() }),
                        "--adjustment-interval=60",
                        format!("--profile-results-dir={PROFILE_MOUNT}"),
                        format!("--ttft={}", fmt_ms(i.ttft_ms)),
                        format!("--itl={}", fmt_ms(i.itl_ms)),
                        format!("--prefill-engine-num-gpu={}", i.prefill_tp),
                        format!("--decode-engine-num-gpu={}", i.decode_tp),
                    ],
                    "volumeMounts": [{"name": CONFIGMAP_NAME, "mountPath": PROFILE_MOUNT, "readOnly": true}],
                }
            }
        }),
    );
    services.insert(b.prefill.into(), worker("prefill", i.prefill_tp, i.prefill_replicas));
    services.insert(b.decode.into(), worker("decode", i.decode_tp, i.decode_replicas));
    let dgd = json!({
        "apiVersion": "nvidia.com/v1alpha1",
        "kind": "DynamoGraphDeployment",
        "metadata": {"name": name},
        "spec": {"services": Value::Object(services)},
    });
    Ok(vec![cm, dgd])
}

/// Renders the documents as multi-document YAML, reads it back and checks it round-trips
/// (including the JSON payloads inside the ConfigMap); returns the text.
pub fn render(i: &DgdInputs) -> Result<String> {
    let docs = documents(i)?;
    let mut out = String::from("# Generated by `slasim plan`: planner profile ConfigMap + DynamoGraphDeployment.\n");
    for d in &docs {
        let y = serde_saphyr::to_string(d).map_err(|e| Error::data("(generated yaml)", "(yaml)", e.to_string()))?;
        out.push_str("---\n");
        out.push_str(&y);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    validate(&out, &docs)?;
    Ok(out)
}

/// Parses `yaml` and checks it equals `expected` document by document.
pub fn validate(yaml: &str, expected: &[Value]) -> Result<()> {
    let back: Vec<Value> = serde_saphyr::from_multiple(yaml)
        .map_err(|e| Error::data("(generated yaml)", "(yaml)", format!("does not parse back: {e}")))?;
    if back.len() != expected.len() {
        return Err(Error::data(
            "(generated yaml)",
            "(documents)",
            format!("{} documents read back, {} written", back.len(), expected.len()),
        ));
    }
    for (b, e) in back.iter().zip(expected) {
        if !same(b, e) {
            return Err(Error::data(
                "(generated yaml)",
                "(round trip)",
                "reads back different from what was written",
            ));
        }
    }
    let cm = &back[0]["data"];
    for (k, keys) in [
        (
            "prefill_raw_data.json",
            &["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"][..],
        ),
        (
            "decode_raw_data.json",
            &[
                "x_kv_usage",
                "y_context_length",
                "z_itl",
                "z_thpt_per_gpu",
                "max_kv_tokens",
            ][..],
        ),
    ] {
        let s = cm[k]
            .as_str()
            .ok_or_else(|| Error::data("(generated yaml)", k, "missing"))?;
        let v: Value = serde_json::from_str(s).map_err(|e| Error::data("(generated yaml)", k, e.to_string()))?;
        for key in keys {
            if v.get(*key).is_none() {
                return Err(Error::data("(generated yaml)", format!("{k}/{key}"), "missing"));
            }
        }
    }
    Ok(())
}

/// Structural equality with numbers compared as f64.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

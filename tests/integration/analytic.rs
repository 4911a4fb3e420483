//! Analytic (roofline) profiles: model cards, GPU catalog, `profile synth` round trip, bad cards,
//! `profile fit-roofline` against the shipped measured profiles (leave-one-TP-out) and the
//! AIConfigurator silicon sets.

use crate::util::{bad_input, ok, repo, run};
use slasim::analytic::{Dtype, ModelSpec};

/// Published sizes: (card, total parameters, active parameters per token).
const PUBLISHED: &[(&str, f64, f64)] = &[
    ("Qwen/Qwen3-32B", 32.8e9, 32.8e9),
    ("meta-llama/Llama-3.1-8B-Instruct", 8.03e9, 8.03e9),
    ("meta-llama/Llama-3.1-70B", 70.6e9, 70.6e9),
    ("meta-llama/Llama-3.3-70B-Instruct", 70.6e9, 70.6e9),
    ("meta-llama/Meta-Llama-3-70B", 70.6e9, 70.6e9),
    ("meta-llama/Llama-2-7b-hf", 6.74e9, 6.74e9),
    ("Qwen/Qwen2.5-7B-Instruct", 7.61e9, 7.61e9),
    ("Qwen/Qwen3-30B-A3B", 30.5e9, 3.3e9),
    ("mistralai/Mixtral-8x7B-v0.1", 46.7e9, 12.9e9),
];

#[test]
fn parameter_counts_within_2_percent_of_published() {
    for &(id, total, active) in PUBLISHED {
        let m = ModelSpec::resolve(id).unwrap();
        let p = m.params_total() as f64;
        let a = m.params_active() as f64;
        eprintln!(
            "{id}: {:.3} B total (published {:.2}), {:.3} B active",
            p / 1e9,
            total / 1e9,
            a / 1e9
        );
        assert!((p / total - 1.0).abs() < 0.02, "{id}: {p} vs published {total}");
        assert!(
            (a / active - 1.0).abs() < 0.02,
            "{id}: active {a} vs published {active}"
        );
    }
}

#[test]
fn kv_bytes_per_token_exact() {
    // 2 (K, V) × layers × KV heads × head_dim × bytes.
    let cases = [
        ("Qwen/Qwen3-32B", Dtype::Bf16, 2 * 64 * 8 * 128 * 2),
        ("Qwen/Qwen3-32B", Dtype::Fp8, 2 * 64 * 8 * 128),
        ("meta-llama/Llama-3.1-8B-Instruct", Dtype::Bf16, 2 * 32 * 8 * 128 * 2),
        ("meta-llama/Llama-3.3-70B-Instruct", Dtype::Bf16, 2 * 80 * 8 * 128 * 2),
        ("meta-llama/Llama-2-7b-hf", Dtype::Bf16, 2 * 32 * 32 * 128 * 2),
        ("Qwen/Qwen2.5-7B-Instruct", Dtype::Bf16, 2 * 28 * 4 * 128 * 2),
        ("Qwen/Qwen3-30B-A3B", Dtype::Bf16, 2 * 48 * 4 * 128 * 2),
        ("mistralai/Mixtral-8x7B-v0.1", Dtype::Bf16, 2 * 32 * 8 * 128 * 2),
    ];
    for (id, dt, want) in cases {
        let m = ModelSpec::resolve(id).unwrap();
        assert_eq!(m.kv_bytes_per_token(dt), want as f64, "{id} {dt}");
    }
    assert_eq!(
        ModelSpec::resolve("Qwen/Qwen3-32B")
            .unwrap()
            .kv_bytes_per_token(Dtype::Bf16),
        262144.0
    );
}

#[test]
fn model_flag_takes_a_config_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let card = repo().join("profiles/models/meta-llama/Llama-3.1-8B-Instruct/config.json");
    let out = dir.path().join("p");
    let s = ok(&[
        "profile",
        "synth",
        "--model",
        card.to_str().unwrap(),
        "--gpu",
        "h200_sxm",
        "--tp",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["kv_bytes_per_token"], 131072.0);
    assert!(v["max_kv_tokens"].as_u64().unwrap() > 100_000);
}

#[test]
fn synth_round_trip_is_bit_identical() {
    use slasim::analytic::{synth_profile, Efficiency, GpuCatalog, Roofline, SynthOptions};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("qwen-tp2");
    ok(&[
        "profile",
        "synth",
        "--model",
        "Qwen/Qwen3-32B",
        "--gpu",
        "h100_sxm",
        "--tp",
        "2",
        "--dtype",
        "fp8",
        "--out",
        out.to_str().unwrap(),
    ]);
    for f in [
        "selected_prefill_interpolation/raw_data.npz",
        "selected_decode_interpolation/raw_data.npz",
        "profile_meta.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // dtypes and shapes of Dynamo's profiler layout
    let mut p = ndarray_npy::NpzReader::new(
        std::fs::File::open(out.join("selected_prefill_interpolation/raw_data.npz")).unwrap(),
    )
    .unwrap();
    let isl: ndarray::Array1<i64> = p.by_name("prefill_isl").unwrap();
    assert_eq!(isl.len(), 17);
    assert_eq!(isl[0], 100);
    let _: ndarray::Array1<f64> = p.by_name("prefill_ttft").unwrap();
    let _: ndarray::Array1<f64> = p.by_name("prefill_thpt_per_gpu").unwrap();
    let mut d = ndarray_npy::NpzReader::new(
        std::fs::File::open(out.join("selected_decode_interpolation/raw_data.npz")).unwrap(),
    )
    .unwrap();
    let k: ndarray::Array1<i64> = d.by_name("max_kv_tokens").unwrap();
    assert_eq!(k.len(), 1);
    for key in ["x_kv_usage", "y_context_length", "z_itl", "z_thpt_per_gpu"] {
        let _: ndarray::Array1<f64> = d.by_name(key).unwrap();
    }
    // loads back through the normal loader with the same f64s
    let loaded = slasim::profile::resolve(out.to_str().unwrap()).unwrap();
    let r = Roofline::new(
        ModelSpec::resolve("Qwen/Qwen3-32B").unwrap(),
        GpuCatalog::builtin().unwrap().get("h100_sxm").unwrap().clone(),
        2,
        Dtype::Fp8,
        Dtype::Bf16,
        Efficiency::default(),
    )
    .unwrap();
    let (mem, _) = synth_profile(&r, &SynthOptions::default()).unwrap();
    assert_eq!(loaded.engines, mem.engines, "engines differ after the round trip");
    assert_eq!(loaded.model, "Qwen/Qwen3-32B");
    assert_eq!(loaded.gpu, "h100_sxm");
    assert_eq!(loaded.backend, "analytic");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (a, b) in loaded.engines.iter().zip(&mem.engines) {
        if let (Some(x), Some(y)) = (&a.prefill, &b.prefill) {
            assert_eq!(bits(&x.ttft_ms), bits(&y.ttft_ms));
            assert_eq!(bits(&x.thpt_per_gpu), bits(&y.thpt_per_gpu));
        }
        if let (Some(x), Some(y)) = (&a.decode, &b.decode) {
            let (px, py) = (x.points(), y.points());
            assert_eq!(px.len(), py.len());
            for (u, v) in px.iter().zip(&py) {
                assert_eq!(u.itl_ms.to_bits(), v.itl_ms.to_bits());
                assert_eq!(u.kv_usage.to_bits(), v.kv_usage.to_bits());
                assert_eq!(u.thpt_per_gpu.to_bits(), v.thpt_per_gpu.to_bits());
            }
            assert_eq!(x.kv_scale_tokens.to_bits(), y.kv_scale_tokens.to_bits());
        }
    }
    // and simulates (role-separated → disagg by default; agg works too)
    let s = ok(&[
        "simulate",
        "--profile",
        out.to_str().unwrap(),
        "--mode",
        "agg",
        "--tp",
        "2",
        "--concurrency",
        "4",
        "--requests",
        "20",
        "--isl",
        "1024",
        "--osl",
        "64",
    ]);
    assert!(s.contains("c4"), "{s}");
}

fn write_card(dir: &std::path::Path, name: &str, json: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, json).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_cards_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    let good = r#"{"num_hidden_layers": 4, "hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 8,
                  "num_key_value_heads": 2, "vocab_size": 1000}"#;
    let missing = write_card(
        dir.path(),
        "missing.json",
        &good.replace(r#""vocab_size": 1000"#, r#""x": 1"#),
    );
    let e = bad_input(&[
        "profile", "synth", "--model", &missing, "--gpu", "h100_sxm", "--tp", "1", "--out", out,
    ]);
    assert!(e.contains("vocab_size") && e.contains("missing"), "{e}");
    let zero = write_card(
        dir.path(),
        "zero.json",
        &good.replace(r#""num_attention_heads": 8"#, r#""num_attention_heads": 0"#),
    );
    let e = bad_input(&[
        "profile", "synth", "--model", &zero, "--gpu", "h100_sxm", "--tp", "1", "--out", out,
    ]);
    assert!(e.contains("num_attention_heads") && e.contains("is 0"), "{e}");
    let huge = write_card(
        dir.path(),
        "huge.json",
        &good.replace(r#""hidden_size": 256"#, r#""hidden_size": 1000000000000"#),
    );
    let e = bad_input(&[
        "profile", "synth", "--model", &huge, "--gpu", "h100_sxm", "--tp", "1", "--out", out,
    ]);
    assert!(e.contains("hidden_size"), "{e}");
    let ok_card = write_card(dir.path(), "ok.json", good);
    let e = bad_input(&[
        "profile", "synth", "--model", &ok_card, "--gpu", "h100_sxm", "--tp", "3", "--out", out,
    ]);
    assert!(e.contains("not divisible by TP 3"), "{e}");
    let e = bad_input(&[
        "profile",
        "synth",
        "--model",
        "Qwen/Qwen3-32B",
        "--gpu",
        "h100_sxm",
        "--tp",
        "3",
        "--out",
        out,
    ]);
    assert!(e.contains("64 attention heads"), "{e}");
    let e = bad_input(&[
        "profile",
        "synth",
        "--model",
        "not/a-model",
        "--gpu",
        "h100_sxm",
        "--tp",
        "1",
        "--out",
        out,
    ]);
    assert!(e.contains("--model"), "{e}");
    let e = bad_input(&[
        "profile",
        "synth",
        "--model",
        "Qwen/Qwen3-32B",
        "--gpu",
        "tpu_v5",
        "--tp",
        "1",
        "--out",
        out,
    ]);
    assert!(e.contains("unknown GPU"), "{e}");
    let notjson = write_card(dir.path(), "bad.json", "{ not json");
    let e = bad_input(&[
        "profile", "synth", "--model", &notjson, "--gpu", "h100_sxm", "--tp", "1", "--out", out,
    ]);
    assert!(e.contains("JSON"), "{e}");
    // 70B in BF16 does not fit one 80 GB GPU
    let e = bad_input(&[
        "profile",
        "synth",
        "--model",
        "meta-llama/Llama-3.3-70B-Instruct",
        "--gpu",
        "h100_sxm",
        "--tp",
        "1",
        "--out",
        out,
    ]);
    assert!(e.contains("does not fit"), "{e}");
    assert!(!std::path::Path::new(out).exists(), "nothing written on error");
}

#[test]
fn gpu_catalog_is_user_extendable() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("gpus.toml");
    std::fs::write(
        &cat,
        "[[gpu]]\nname = \"my_gpu\"\nbf16_tflops = 500.0\nhbm_gib = 96.0\nhbm_tbps = 4.0\nlink_gbps = 100.0\n",
    )
    .unwrap();
    let out = dir.path().join("p");
    let s = ok(&[
        "profile",
        "synth",
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "my_gpu",
        "--gpu-catalog",
        cat.to_str().unwrap(),
        "--tp",
        "1",
        "--dtype",
        "fp8",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["gpu"], "my_gpu");
    std::fs::write(
        &cat,
        "[[gpu]]\nname = \"x\"\nbf16_tflops = -1.0\nhbm_gib = 1.0\nhbm_tbps = 1.0\nlink_gbps = 1.0\n",
    )
    .unwrap();
    let e = bad_input(&[
        "profile",
        "synth",
        "--model",
        "Qwen/Qwen3-32B",
        "--gpu",
        "x",
        "--gpu-catalog",
        cat.to_str().unwrap(),
        "--tp",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("bf16_tflops"), "{e}");
}

fn fit_json(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["profile", "fit-roofline", "--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(&a)).unwrap()
}

fn table(v: &serde_json::Value) -> String {
    let mut s = String::from("profile | engine | set | TTFT MAPE % uncal | fitted | ITL MAPE % uncal | fitted\n");
    for e in v["engines"].as_array().unwrap() {
        let f = |x: &serde_json::Value| x.as_f64().map(|v| format!("{v:.1}")).unwrap_or("-".into());
        s += &format!(
            "{} | {} TP{} | {} | {} | {} | {} | {}\n",
            e["profile"].as_str().unwrap(),
            e["role"].as_str().unwrap(),
            e["tp"],
            if e["holdout"].as_bool().unwrap() {
                "holdout"
            } else {
                "fit"
            },
            f(&e["uncalibrated"]["ttft_mape_pct"]),
            f(&e["fitted"]["ttft_mape_pct"]),
            f(&e["uncalibrated"]["itl_mape_pct"]),
            f(&e["fitted"]["itl_mape_pct"]),
        );
    }
    s
}

#[test]
fn uncalibrated_and_fitted_error_against_every_measured_profile() {
    let v = fit_json(&["--measured", "all", "--measured", "qwen3-32b/h200/trtllm-aic"]);
    eprintln!("{}", table(&v));
    let engines = v["engines"].as_array().unwrap();
    // every engine of every shipped profile: 3 + 1 (70B: TP2/4/8) agg engines, 3 × 2 role engines
    assert_eq!(engines.len(), 10);
    for e in engines {
        for k in ["uncalibrated", "fitted"] {
            for m in ["ttft_mape_pct", "itl_mape_pct"] {
                if let Some(x) = e[k][m].as_f64() {
                    assert!(x.is_finite() && x >= 0.0);
                }
            }
        }
        // the fit never makes its own data worse
        for m in ["ttft_mape_pct", "itl_mape_pct"] {
            if let (Some(u), Some(f)) = (e["uncalibrated"][m].as_f64(), e["fitted"][m].as_f64()) {
                assert!(f < u + 5.0, "{e}");
            }
        }
        assert!(!e["points"].as_array().unwrap().is_empty());
    }
}

#[test]
fn leave_one_tp_out_llama_70b_fp8_h100_within_15_percent() {
    let name = "llama-3.3-70b-fp8/h100/vllm";
    let mut report = String::new();
    for held in [2u32, 4, 8] {
        let fit: Vec<String> = [2u32, 4, 8]
            .iter()
            .filter(|t| **t != held)
            .map(|t| t.to_string())
            .collect();
        let v = fit_json(&["--measured", name, "--tp", &fit[0], "--tp", &fit[1]]);
        report += &table(&v);
        let e = v["engines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["tp"] == held)
            .unwrap()
            .clone();
        assert_eq!(e["holdout"], true);
        let ttft = e["fitted"]["ttft_mape_pct"].as_f64().unwrap();
        let itl = e["fitted"]["itl_mape_pct"].as_f64().unwrap();
        assert!(ttft <= 15.0, "held-out TP{held}: TTFT MAPE {ttft:.1} %");
        assert!(itl <= 15.0, "held-out TP{held}: ITL MAPE {itl:.1} %");
    }
    eprintln!("{report}");
}

/// Mean absolute percentage error of `(model, measured)` pairs, %.
fn mape(pairs: &[(f64, f64)]) -> f64 {
    pairs.iter().map(|(p, m)| ((p - m) / m).abs()).sum::<f64>() / pairs.len() as f64 * 100.0
}

/// `profile synth` must deliver the accuracy `fit-roofline` reports (issue 13): leave-one-TP-out
/// on the Llama-3.3-70B-FP8 H100 profile — fit on TP2 and TP8, hold TP4 out (and the two other
/// splits) — then synthesise every TP with the fitted factors (EFF.json, through the CLI) and
/// query the written profiles
/// through `slasim::profile`, as the simulator reads them: TTFT at the measured ISLs, decode ITL
/// at the measured **batch states** (B requests, X KV tokens: X = kv_usage · the measured
/// file's KV scale, B = X / context; the synthesised surface has its own KV scale, so kv_usage is
/// not comparable). The errors must equal what fit-roofline reported (±0.5 pp), and be ≤ 15 % on
/// the held-out TP. The simulator's step model on the synthesised curves reproduces the same
/// values (a pure prefill plus the per-request latency is the curve's TTFT, a pure decode step
/// the surface's ITL).
#[test]
fn synth_reproduces_fit_roofline_error_leave_one_tp_out_70b() {
    use slasim::profile::step_model::{StepModel, StepModelKind};
    use std::sync::Arc;
    let name = "llama-3.3-70b-fp8/h100/vllm";
    let dir = tempfile::tempdir().unwrap();
    let measured = slasim::profile::resolve(name).unwrap();
    let mut report =
        String::from("held out | TP | TTFT MAPE % fit-roofline / synth | ITL MAPE % fit-roofline / synth\n");
    // TP4 held out is the case of issue 13; the other two splits back the README's table
    for held in [4u32, 8, 2] {
        let fit: Vec<String> = [2u32, 4, 8]
            .iter()
            .filter(|t| **t != held)
            .map(|t| t.to_string())
            .collect();
        let eff = dir.path().join(format!("eff-no-tp{held}.json"));
        let v = fit_json(&[
            "--measured",
            name,
            "--tp",
            &fit[0],
            "--tp",
            &fit[1],
            "--efficiency-out",
            eff.to_str().unwrap(),
        ]);
        for tp in [2u32, 4, 8] {
            let e = v["engines"].as_array().unwrap().iter().find(|e| e["tp"] == tp).unwrap();
            assert_eq!(e["holdout"], tp == held, "TP{tp}");
            let rep_ttft = e["fitted"]["ttft_mape_pct"].as_f64().unwrap();
            let rep_itl = e["fitted"]["itl_mape_pct"].as_f64().unwrap();
            let out = dir.path().join(format!("no-tp{held}-tp{tp}"));
            ok(&[
                "profile",
                "synth",
                "--model",
                "meta-llama/Llama-3.3-70B-Instruct",
                "--gpu",
                "h100_sxm",
                "--tp",
                &tp.to_string(),
                "--dtype",
                "fp8",
                "--kv-dtype",
                "bf16",
                "--efficiency",
                eff.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            let syn = slasim::profile::resolve(out.to_str().unwrap()).unwrap();
            let sp = syn.engines.iter().find_map(|x| x.prefill.clone()).unwrap();
            let sd = syn.engines.iter().find_map(|x| x.decode.clone()).unwrap();
            let me = measured.engines.iter().find(|x| x.tp == tp).unwrap();
            let (mp, md) = (me.prefill.as_ref().unwrap(), me.decode.as_ref().unwrap());
            // the synthesised KV scale is the TP's own capacity, not the file's shared 224,133
            assert_ne!(sd.kv_scale_tokens, md.kv_scale_tokens);
            let ttft: Vec<(f64, f64)> = mp
                .isl
                .iter()
                .zip(&mp.ttft_ms)
                .map(|(&s, &m)| (sp.ttft_ms(s), m))
                .collect();
            let states: Vec<(f64, f64, f64)> = md
                .points()
                .iter()
                .map(|p| {
                    let x = p.kv_usage * md.kv_scale_tokens;
                    ((x / p.context).max(1.0), x, p.itl_ms)
                })
                .collect();
            let itl: Vec<(f64, f64)> = states.iter().map(|&(b, x, m)| (sd.itl_at(b, x), m)).collect();
            let (syn_ttft, syn_itl) = (mape(&ttft), mape(&itl));
            report += &format!(
                "TP{held} | TP{tp}{} | {rep_ttft:.2} / {syn_ttft:.2} | {rep_itl:.2} / {syn_itl:.2}\n",
                if tp == held { " (held out)" } else { "" }
            );
            assert!(
                (syn_ttft - rep_ttft).abs() <= 0.5,
                "TP{tp}: synthesised TTFT MAPE {syn_ttft:.2} % vs fit-roofline's {rep_ttft:.2} %"
            );
            assert!(
                (syn_itl - rep_itl).abs() <= 0.5,
                "TP{tp}: synthesised ITL MAPE {syn_itl:.2} % vs fit-roofline's {rep_itl:.2} %"
            );
            if tp == held {
                assert!(
                    syn_ttft <= 15.0,
                    "held-out TP{tp}: synthesised TTFT MAPE {syn_ttft:.1} %"
                );
                assert!(syn_itl <= 15.0, "held-out TP{tp}: synthesised ITL MAPE {syn_itl:.1} %");
            }
            // what the simulator's (composed) step model makes of the synthesised curves
            let m = StepModel::new(
                StepModelKind::Composed,
                Some(Arc::new(sp.clone())),
                Some(Arc::new(sd.clone())),
            );
            for &s in &mp.isl {
                let t = m.per_request_ms + m.pure_prefill_ms(s);
                assert!(
                    (t / sp.ttft_ms(s) - 1.0).abs() < 1e-9,
                    "TP{tp} ISL {s}: step model {t} vs curve {}",
                    sp.ttft_ms(s)
                );
            }
            for &(b, x, _) in &states {
                let t = m.pure_decode_ms(b, x);
                assert!(
                    (t / sd.itl_at(b, x) - 1.0).abs() < 1e-9,
                    "TP{tp} B {b} X {x}: step model {t}"
                );
            }
        }
    }
    eprintln!("{report}");
}

#[test]
fn fitted_factors_feed_synth() {
    let dir = tempfile::tempdir().unwrap();
    let eff = dir.path().join("eff.json");
    ok(&[
        "profile",
        "fit-roofline",
        "--measured",
        "llama-3.3-70b-fp8/h100/vllm",
        "--efficiency-out",
        eff.to_str().unwrap(),
    ]);
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&eff).unwrap()).unwrap();
    assert_eq!(f["schema"], "slasim.roofline-efficiency.v1");
    assert_eq!(f["entries"][0]["gpu"], "h100_sxm");
    assert_eq!(f["entries"][0]["backend"], "vllm");
    // synthesised with the fitted factors, the TP4 engine is close to the measured one
    let out = dir.path().join("p");
    ok(&[
        "profile",
        "synth",
        "--model",
        "meta-llama/Llama-3.3-70B-Instruct",
        "--gpu",
        "h100_sxm",
        "--tp",
        "4",
        "--dtype",
        "fp8",
        "--efficiency",
        eff.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let q = |p: &str, extra: &[&str]| -> f64 {
        let mut a = vec!["profile", "query", p, "--isl", "8240", "--json"];
        a.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&ok(&a)).unwrap();
        v["ttft_ms"].as_f64().unwrap()
    };
    let syn = q(out.to_str().unwrap(), &[]);
    let meas = q("llama-3.3-70b-fp8/h100/vllm", &["--tp", "4"]);
    assert!((syn / meas - 1.0).abs() < 0.15, "synth {syn} vs measured {meas}");
    // another GPU: same backend's factors transfer (with a note)
    let o = run(&[
        "profile",
        "synth",
        "--model",
        "meta-llama/Llama-3.3-70B-Instruct",
        "--gpu",
        "h200_sxm",
        "--tp",
        "4",
        "--dtype",
        "fp8",
        "--efficiency",
        eff.to_str().unwrap(),
        "--out",
        dir.path().join("q").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no entry for h200_sxm"));
}

#[test]
fn silicon_fit_small_run() {
    // A small, fast fit: the SGLang H200 set with few iterations and short simulations.
    let csv = repo().join("calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv");
    let v = fit_json(&[
        "--silicon",
        csv.to_str().unwrap(),
        "--max-iters",
        "15",
        "--max-requests",
        "96",
        "--requests-per-concurrency",
        "1",
    ]);
    let g = &v["groups"][0];
    assert_eq!(g["gpu"], "h200_sxm");
    assert_eq!(g["backend"], "sglang");
    assert_eq!(
        g["train_fitted"]["rows"].as_u64().unwrap() + g["test_fitted"]["rows"].as_u64().unwrap(),
        46
    );
    assert!(g["objective_after"].as_f64().unwrap() <= g["objective_before"].as_f64().unwrap());
    eprintln!(
        "sglang h200 (quick): held-out TTFT MAPE {:.1} → {:.1} %, TPOT MAPE {:.1} → {:.1} %",
        g["test_uncalibrated"]["ttft_mape_pct"].as_f64().unwrap(),
        g["test_fitted"]["ttft_mape_pct"].as_f64().unwrap(),
        g["test_uncalibrated"]["tpot_mape_pct"].as_f64().unwrap(),
        g["test_fitted"]["tpot_mape_pct"].as_f64().unwrap()
    );
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "backend,isl\nvllm,10\n").unwrap();
    let e = bad_input(&["profile", "fit-roofline", "--silicon", bad.path().to_str().unwrap()]);
    assert!(e.contains("model_path"), "{e}");
}

/// Full silicon fits on every shared set (seeded half fitted, other half held out); prints the
/// table. Heavier: `cargo test --release --test integration analytic -- --ignored --nocapture`.
#[test]
#[ignore]
fn silicon_fit_every_set_held_out_table() {
    let mut rows = String::from("set | GPU/backend | rows fit/holdout | TTFT MAPE % uncal→fitted (holdout) | TPOT MAPE % uncal→fitted (holdout)\n");
    for f in [
        "qwen3-32b_h100_agg.csv",
        "llama-3.1-8b_h100_trtllm_agg.csv",
        "llama-3.1-8b_h200_sglang_agg.csv",
        "llama-3.1-70b_h200_trtllm_agg.csv",
    ] {
        let csv = repo().join("calibration/silicon").join(f);
        let v = fit_json(&["--silicon", csv.to_str().unwrap()]);
        for g in v["groups"].as_array().unwrap() {
            let x = |k: &str, m: &str| g[k][m].as_f64().unwrap();
            rows += &format!(
                "{f} | {}/{} | {}/{} | {:.1} → {:.1} | {:.1} → {:.1}\n",
                g["gpu"].as_str().unwrap(),
                g["backend"].as_str().unwrap(),
                g["train_fitted"]["rows"],
                g["test_fitted"]["rows"],
                x("test_uncalibrated", "ttft_mape_pct"),
                x("test_fitted", "ttft_mape_pct"),
                x("test_uncalibrated", "tpot_mape_pct"),
                x("test_fitted", "tpot_mape_pct"),
            );
        }
    }
    eprintln!("{rows}");
}

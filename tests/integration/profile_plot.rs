//! `slasim profile plot`: every shipped profile renders to PNG and SVG; bad flags exit 2.
#![cfg(feature = "plot")]

use crate::util;
use std::path::Path;

/// Shipped profiles with the PNG size the figure must have: 1500 px wide, a 50 px title band
/// and one 470 px row per decode engine.
const SHIPPED: [(&str, &str, (u32, u32)); 5] = [
    ("qwen3-32b/h200/trtllm-aic", "Qwen/Qwen3-32B", (1500, 520)),
    ("qwen3-32b/h200/trtllm-online", "Qwen/Qwen3-32B", (1500, 520)),
    ("qwen3-32b/h200/vllm-online", "Qwen/Qwen3-32B", (1500, 520)),
    (
        "llama-3.1-8b-fp8/h200/vllm",
        "nvidia/Llama-3.1-8B-Instruct-FP8",
        (1500, 520),
    ),
    (
        "llama-3.3-70b-fp8/h100/vllm",
        "nvidia/Llama-3.3-70B-Instruct-FP8",
        (1500, 1460),
    ),
];

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn plot(profile: &str, out: &Path, extra: &[&str]) -> Vec<u8> {
    let out_s = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["profile", "plot", profile, "--plot", out_s];
    args.extend_from_slice(extra);
    util::ok(&args);
    let bytes = std::fs::read(out).expect("plot file written");
    assert!(!bytes.is_empty(), "{} is empty", out.display());
    bytes
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(PNG_SIGNATURE), "not a PNG");
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("PNG decodes");
    (img.width(), img.height())
}

#[test]
fn every_shipped_profile_plots_to_png_and_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, (name, model, size)) in SHIPPED.iter().enumerate() {
        let png = plot(name, &dir.path().join(format!("p{i}.png")), &[]);
        assert_eq!(png_size(&png), *size, "{name}: PNG size");

        let svg = plot(name, &dir.path().join(format!("p{i}.svg")), &[]);
        let svg = String::from_utf8(svg).expect("utf-8 SVG");
        assert!(svg.contains("<svg"), "{name}: not an SVG");
        assert!(svg.contains(model), "{name}: SVG lacks the model name {model}");
        assert!(
            svg.contains("TTFT (ms)") && svg.contains("ITL (ms)"),
            "{name}: axis labels missing"
        );
        assert!(svg.contains("ctx 350"), "{name}: context legend missing");
    }
    // nothing but the plots: the temporary files were renamed into place
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 2 * SHIPPED.len());
}

#[test]
fn tp_restricts_the_engines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = plot(
        "llama-3.3-70b-fp8/h100/vllm",
        &dir.path().join("tp4.png"),
        &["--tp", "4"],
    );
    assert_eq!(png_size(&png), (1500, 520));
    let svg = plot(
        "llama-3.3-70b-fp8/h100/vllm",
        &dir.path().join("tp4.svg"),
        &["--tp", "4"],
    );
    let svg = String::from_utf8(svg).expect("utf-8 SVG");
    assert!(svg.contains("agg TP4"));
    assert!(!svg.contains("agg TP2") && !svg.contains("agg TP8"));

    // a profile whose prefill and decode engines differ: the other panel says so
    let svg = plot("qwen3-32b/h200/trtllm-aic", &dir.path().join("tp1.svg"), &["--tp", "1"]);
    assert!(String::from_utf8(svg)
        .expect("utf-8 SVG")
        .contains("no decode data at TP 1"));
}

#[test]
fn bad_extension_or_tp_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jpg = dir.path().join("p.jpg");
    let err = util::bad_input(&[
        "profile",
        "plot",
        "qwen3-32b/h200/trtllm-aic",
        "--plot",
        jpg.to_str().unwrap(),
    ]);
    assert!(err.contains("--plot") && err.contains(".png or .svg"), "{err}");
    let png = dir.path().join("p.png");
    let err = util::bad_input(&[
        "profile",
        "plot",
        "llama-3.3-70b-fp8/h100/vllm",
        "--plot",
        png.to_str().unwrap(),
        "--tp",
        "3",
    ]);
    assert!(err.contains("--tp"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
}

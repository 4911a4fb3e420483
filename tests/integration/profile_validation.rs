//! Every validation error of the profile loaders, each on a deliberately broken copy of a real
//! profile (one thing broken at a time): exit 2, one line, naming the file and the key, no panic.
//!
//! Broken files are built at test time in a temporary directory, starting from the shipped
//! profiles under `profiles/` (and, for the ConfigMap JSON layout, the payloads under
//! `tests/fixtures/dynamo/`). The npz editor below copies untouched entries byte for byte (so
//! the pre-swept files keep their unicode metadata arrays) and re-encodes only the edited ones.

use crate::util;
use ndarray::{ArrayD, Ix2, IxDyn};
use ndarray_npy::{ReadNpyExt, WritableElement, WriteNpyExt};
use serde_json::{json, Value};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

// ------------------------------------------------------------------------------------------
// npz editing helpers (also used by `profile_query`)

/// An npz archive held as raw `.npy` entries, in archive order.
pub(crate) struct Npz {
    entries: Vec<(String, Vec<u8>)>,
}

impl Npz {
    /// Reads every entry of the archive at `path`.
    pub(crate) fn open(path: &Path) -> Npz {
        let f = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut z = zip::ZipArchive::new(f).expect("npz is a zip archive");
        let mut entries = Vec::new();
        for i in 0..z.len() {
            let mut e = z.by_index(i).expect("zip entry");
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("read zip entry");
            entries.push((e.name().to_string(), b));
        }
        Npz { entries }
    }

    /// An empty archive.
    pub(crate) fn new() -> Npz {
        Npz { entries: Vec::new() }
    }

    fn entry_name(key: &str) -> String {
        format!("{key}.npy")
    }

    /// Whether the archive has `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        let n = Self::entry_name(key);
        self.entries.iter().any(|(e, _)| *e == n)
    }

    /// Reads `key` (float64 or int64) as f64.
    pub(crate) fn get(&self, key: &str) -> ArrayD<f64> {
        let n = Self::entry_name(key);
        let b = &self
            .entries
            .iter()
            .find(|(e, _)| *e == n)
            .unwrap_or_else(|| panic!("no key {key}"))
            .1;
        if let Ok(a) = ArrayD::<f64>::read_npy(&b[..]) {
            return a;
        }
        ArrayD::<i64>::read_npy(&b[..])
            .unwrap_or_else(|e| panic!("{key} is neither f64 nor i64: {e}"))
            .mapv(|x| x as f64)
    }

    /// Replaces (or appends) `key` with `a`.
    pub(crate) fn set<A: WritableElement>(&mut self, key: &str, a: &ArrayD<A>) -> &mut Self {
        let mut b = Vec::new();
        a.write_npy(&mut b).expect("encode npy");
        let n = Self::entry_name(key);
        match self.entries.iter_mut().find(|(e, _)| *e == n) {
            Some(e) => e.1 = b,
            None => self.entries.push((n, b)),
        }
        self
    }

    /// Replaces (or appends) `key` with a 1-D float64 array.
    pub(crate) fn set_vec(&mut self, key: &str, v: Vec<f64>) -> &mut Self {
        self.set(key, &arr1(v))
    }

    /// Reads `key` as a flat f64 vector, applies `f`, writes it back (1-D arrays get the new
    /// length; other shapes must keep their size).
    pub(crate) fn edit(&mut self, key: &str, f: impl FnOnce(&mut Vec<f64>)) -> &mut Self {
        let a = self.get(key);
        let shape = a.shape().to_vec();
        let mut v: Vec<f64> = a.iter().copied().collect();
        f(&mut v);
        let a = if shape.len() == 1 {
            arr1(v)
        } else {
            ArrayD::from_shape_vec(IxDyn(&shape), v).expect("edit kept the size")
        };
        self.set(key, &a)
    }

    /// Edits element `[row, col]` of a 2-D array.
    pub(crate) fn edit2(&mut self, key: &str, row: usize, col: usize, value: f64) -> &mut Self {
        let mut a = self.get(key).into_dimensionality::<Ix2>().expect("2-D array");
        a[[row, col]] = value;
        self.set(key, &a.into_dyn())
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: &str) -> &mut Self {
        let n = Self::entry_name(key);
        let before = self.entries.len();
        self.entries.retain(|(e, _)| *e != n);
        assert_eq!(self.entries.len() + 1, before, "no key {key} to remove");
        self
    }

    /// Writes the archive (entries stored uncompressed).
    pub(crate) fn write(&self, path: &Path) {
        if let Some(d) = path.parent() {
            fs::create_dir_all(d).expect("mkdir");
        }
        let f = fs::File::create(path).expect("create npz");
        let mut z = zip::ZipWriter::new(f);
        let opt = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (n, b) in &self.entries {
            z.start_file(n.as_str(), opt).expect("zip entry");
            z.write_all(b).expect("write zip entry");
        }
        z.finish().expect("finish zip");
    }
}

/// A 1-D float64 array.
pub(crate) fn arr1(v: Vec<f64>) -> ArrayD<f64> {
    let n = v.len();
    ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("1-D")
}

/// `path` as a `&str` (temp paths are UTF-8 here).
pub(crate) fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

// ------------------------------------------------------------------------------------------
// broken-profile builders

const QWEN: &str = "profiles/qwen3-32b/h200/vllm-online";
const LLAMA70: &str = "profiles/llama-3.3-70b-fp8/h100/vllm";
const PREFILL_REL: &str = "selected_prefill_interpolation/raw_data.npz";
const DECODE_REL: &str = "selected_decode_interpolation/raw_data.npz";

/// A profiler output directory copied from the shipped Qwen3-32B vLLM profile, with `fp` applied
/// to the prefill npz and `fd` to the decode npz.
struct ProfilerDir {
    dir: TempDir,
}

impl ProfilerDir {
    fn new(fp: impl FnOnce(&mut Npz), fd: impl FnOnce(&mut Npz)) -> ProfilerDir {
        let src = util::repo().join(QWEN);
        let dir = tempfile::tempdir().expect("tempdir");
        let mut p = Npz::open(&src.join(PREFILL_REL));
        fp(&mut p);
        p.write(&dir.path().join(PREFILL_REL));
        let mut d = Npz::open(&src.join(DECODE_REL));
        fd(&mut d);
        d.write(&dir.path().join(DECODE_REL));
        ProfilerDir { dir }
    }
    fn prefill(f: impl FnOnce(&mut Npz)) -> ProfilerDir {
        ProfilerDir::new(f, |_| {})
    }
    fn decode(f: impl FnOnce(&mut Npz)) -> ProfilerDir {
        ProfilerDir::new(|_| {}, f)
    }
    fn path(&self) -> &str {
        s(self.dir.path())
    }
    fn prefill_file(&self) -> String {
        self.dir.path().join(PREFILL_REL).display().to_string()
    }
    fn decode_file(&self) -> String {
        self.dir.path().join(DECODE_REL).display().to_string()
    }
}

/// A pre-swept directory (`prefill.npz`, `decode.npz`) copied from the shipped Llama-3.3-70B
/// profile (rows TP8, TP4, TP2), with `fp`/`fd` applied.
struct PreSweptDir {
    dir: TempDir,
}

impl PreSweptDir {
    fn new(fp: impl FnOnce(&mut Npz), fd: impl FnOnce(&mut Npz)) -> PreSweptDir {
        let src = util::repo().join(LLAMA70);
        let dir = tempfile::tempdir().expect("tempdir");
        let mut p = Npz::open(&src.join("prefill.npz"));
        fp(&mut p);
        p.write(&dir.path().join("prefill.npz"));
        let mut d = Npz::open(&src.join("decode.npz"));
        fd(&mut d);
        d.write(&dir.path().join("decode.npz"));
        PreSweptDir { dir }
    }
    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// Runs `args`, expects exit 2 with one line naming `file` and `` `key` ``, containing `what`
/// (case-insensitive). Returns the message.
#[track_caller]
fn expect_bad(args: &[&str], file: &str, key: &str, what: &str) -> String {
    let msg = util::bad_input(args);
    assert!(msg.contains(file), "message should name the file {file}:\n{msg}");
    assert!(
        msg.contains(&format!("`{key}`")),
        "message should name the key `{key}`:\n{msg}"
    );
    assert!(
        msg.to_lowercase().contains(&what.to_lowercase()),
        "message should say `{what}`:\n{msg}"
    );
    msg
}

/// `profile query DIR --isl 1000 --json` (loading checks both files of a directory).
fn query_isl(path: &str) -> Vec<&str> {
    vec!["profile", "query", path, "--isl", "1000", "--json"]
}

fn query_kv(path: &str) -> Vec<&str> {
    vec![
        "profile",
        "query",
        path,
        "--kv-usage",
        "0.3",
        "--context",
        "1000",
        "--json",
    ]
}

// ------------------------------------------------------------------------------------------
// baselines: the unbroken copies load, so every failure below comes from the one broken thing

#[test]
fn unbroken_copies_load() {
    let d = ProfilerDir::new(|_| {}, |_| {});
    for args in [query_isl(d.path()), query_kv(d.path())] {
        let a = util::ok(&args);
        let b = util::ok(&[&["profile", "query", "qwen3-32b/h200/vllm-online"], &args[3..]].concat());
        assert_eq!(a, b, "a byte-for-byte copy must query like the shipped profile");
    }
    let p = PreSweptDir::new(|_| {}, |_| {});
    let dir = s(p.dir.path());
    let a = util::ok(&["profile", "query", dir, "--tp", "4", "--isl", "1000", "--json"]);
    let b = util::ok(&[
        "profile",
        "query",
        "llama-3.3-70b-fp8/h100/vllm",
        "--tp",
        "4",
        "--isl",
        "1000",
        "--json",
    ]);
    assert_eq!(a, b);
    // kv_usage exactly 1.5 (the upper bound) is accepted
    let d = ProfilerDir::decode(|n| {
        n.edit("x_kv_usage", |v| {
            let last = v.len() - 1;
            v[last] = 1.5;
        });
    });
    util::ok(&query_kv(d.path()));
}

// ------------------------------------------------------------------------------------------
// profiler output directory, prefill npz

#[test]
fn prefill_missing_keys() {
    for key in ["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"] {
        let d = ProfilerDir::prefill(|n| {
            n.remove(key);
        });
        let msg = expect_bad(&query_isl(d.path()), &d.prefill_file(), key, "missing");
        // the message lists what the archive does have
        assert!(msg.contains("prefill_isl") || key == "prefill_isl", "{msg}");
    }
}

#[test]
fn prefill_unequal_lengths() {
    for key in ["prefill_ttft", "prefill_thpt_per_gpu"] {
        let d = ProfilerDir::prefill(|n| {
            n.edit(key, |v| {
                v.pop();
            });
        });
        expect_bad(&query_isl(d.path()), &d.prefill_file(), key, "equal lengths");
    }
    // a longer ISL array is reported against the ISL key's partners
    let d = ProfilerDir::prefill(|n| {
        n.edit("prefill_isl", |v| v.push(1e6));
    });
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "prefill_ttft", "equal lengths");
}

#[test]
fn prefill_empty_arrays() {
    let d = ProfilerDir::prefill(|n| {
        for k in ["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"] {
            n.set_vec(k, vec![]);
        }
    });
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "prefill_isl", "empty");
}

#[test]
fn prefill_nan_and_inf() {
    for (key, bad, what) in [
        ("prefill_ttft", f64::NAN, "NaN"),
        ("prefill_ttft", f64::INFINITY, "inf"),
        ("prefill_thpt_per_gpu", f64::NAN, "NaN"),
        ("prefill_thpt_per_gpu", f64::NEG_INFINITY, "inf"),
        ("prefill_isl", f64::NAN, "NaN"),
        ("prefill_isl", f64::INFINITY, "inf"),
    ] {
        let d = ProfilerDir::prefill(|n| {
            n.edit(key, |v| v[3] = bad);
        });
        let msg = expect_bad(&query_isl(d.path()), &d.prefill_file(), key, what);
        assert!(msg.contains("element 3"), "{msg}");
    }
}

#[test]
fn prefill_non_positive_values() {
    for key in ["prefill_ttft", "prefill_thpt_per_gpu", "prefill_isl"] {
        for bad in [0.0, -5.0] {
            let d = ProfilerDir::prefill(|n| {
                n.edit(key, |v| v[0] = bad);
            });
            expect_bad(&query_isl(d.path()), &d.prefill_file(), key, "> 0");
        }
    }
}

#[test]
fn prefill_isl_not_increasing() {
    // two points swapped
    let d = ProfilerDir::prefill(|n| {
        n.edit("prefill_isl", |v| v.swap(4, 5));
    });
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "prefill_isl", "increasing");
    // a repeated ISL
    let d = ProfilerDir::prefill(|n| {
        n.edit("prefill_isl", |v| v[5] = v[4]);
    });
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "prefill_isl", "increasing");
}

#[test]
fn prefill_wrong_dtype() {
    // a boolean array where numbers are expected
    let d = ProfilerDir::prefill(|n| {
        let len = n.get("prefill_ttft").len();
        n.set("prefill_ttft", &ArrayD::from_elem(IxDyn(&[len]), true));
    });
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "prefill_ttft", "dtype");
}

// ------------------------------------------------------------------------------------------
// profiler output directory, decode npz

#[test]
fn decode_missing_keys() {
    for key in [
        "x_kv_usage",
        "y_context_length",
        "z_itl",
        "z_thpt_per_gpu",
        "max_kv_tokens",
    ] {
        let d = ProfilerDir::decode(|n| {
            n.remove(key);
        });
        expect_bad(&query_kv(d.path()), &d.decode_file(), key, "missing");
    }
}

#[test]
fn decode_unequal_lengths() {
    for key in ["y_context_length", "z_itl", "z_thpt_per_gpu"] {
        let d = ProfilerDir::decode(|n| {
            n.edit(key, |v| {
                v.pop();
            });
        });
        expect_bad(&query_kv(d.path()), &d.decode_file(), key, "equal lengths");
    }
}

#[test]
fn decode_empty_arrays() {
    let d = ProfilerDir::decode(|n| {
        for k in ["x_kv_usage", "y_context_length", "z_itl", "z_thpt_per_gpu"] {
            n.set_vec(k, vec![]);
        }
    });
    expect_bad(&query_kv(d.path()), &d.decode_file(), "x_kv_usage", "empty");
    let d = ProfilerDir::decode(|n| {
        n.set_vec("max_kv_tokens", vec![]);
    });
    expect_bad(&query_kv(d.path()), &d.decode_file(), "max_kv_tokens", "expected one");
}

#[test]
fn decode_nan_and_inf() {
    for (key, bad, what) in [
        ("z_itl", f64::NAN, "NaN"),
        ("z_itl", f64::INFINITY, "inf"),
        ("z_thpt_per_gpu", f64::NAN, "NaN"),
        ("z_thpt_per_gpu", f64::INFINITY, "inf"),
        ("x_kv_usage", f64::NAN, "NaN"),
        ("x_kv_usage", f64::INFINITY, "inf"),
        ("y_context_length", f64::NAN, "NaN"),
        ("y_context_length", f64::INFINITY, "inf"),
    ] {
        let d = ProfilerDir::decode(|n| {
            n.edit(key, |v| v[2] = bad);
        });
        let msg = expect_bad(&query_kv(d.path()), &d.decode_file(), key, what);
        assert!(msg.contains("element 2"), "{msg}");
    }
    for bad in [f64::NAN, f64::INFINITY] {
        let d = ProfilerDir::decode(|n| {
            n.set_vec("max_kv_tokens", vec![bad]);
        });
        expect_bad(&query_kv(d.path()), &d.decode_file(), "max_kv_tokens", &bad.to_string());
    }
}

#[test]
fn decode_non_positive_values() {
    for key in ["z_itl", "z_thpt_per_gpu", "y_context_length"] {
        for bad in [0.0, -1.0] {
            let d = ProfilerDir::decode(|n| {
                n.edit(key, |v| v[1] = bad);
            });
            expect_bad(&query_kv(d.path()), &d.decode_file(), key, "> 0");
        }
    }
    for bad in [0.0, -256000.0] {
        let d = ProfilerDir::decode(|n| {
            n.set_vec("max_kv_tokens", vec![bad]);
        });
        expect_bad(&query_kv(d.path()), &d.decode_file(), "max_kv_tokens", "positive");
    }
    // an integer max_kv_tokens of 0 (the file's own dtype)
    let d = ProfilerDir::decode(|n| {
        n.set("max_kv_tokens", &ArrayD::from_elem(IxDyn(&[1]), 0i64));
    });
    expect_bad(&query_kv(d.path()), &d.decode_file(), "max_kv_tokens", "positive");
    // two values where one is expected
    let d = ProfilerDir::decode(|n| {
        n.set_vec("max_kv_tokens", vec![256000.0, 256000.0]);
    });
    expect_bad(&query_kv(d.path()), &d.decode_file(), "max_kv_tokens", "expected one");
}

#[test]
fn decode_kv_usage_out_of_range() {
    for bad in [0.0, -0.1, 1.5000001, 1.6, 100.0] {
        let d = ProfilerDir::decode(|n| {
            n.edit("x_kv_usage", |v| v[4] = bad);
        });
        expect_bad(&query_kv(d.path()), &d.decode_file(), "x_kv_usage", "(0, 1.5]");
    }
}

#[test]
fn decode_duplicate_point() {
    let d = ProfilerDir::decode(|n| {
        let (x, y) = (n.get("x_kv_usage"), n.get("y_context_length"));
        assert_eq!(y[[0]], y[[1]], "first two points share a context");
        n.edit("x_kv_usage", |v| v[1] = x[[0]]);
    });
    expect_bad(&query_kv(d.path()), &d.decode_file(), "x_kv_usage", "two points");
}

#[test]
fn profile_meta_with_bad_tp() {
    let d = ProfilerDir::new(|_| {}, |_| {});
    let meta = d.dir.path().join("profile_meta.json");
    fs::write(&meta, r#"{"prefill_tp": 0, "decode_tp": 1}"#).unwrap();
    expect_bad(&query_isl(d.path()), s(&meta), "prefill_tp", "TP size");
    fs::write(&meta, r#"{"prefill_tp": 1, "decode_tp": "two"}"#).unwrap();
    expect_bad(&query_isl(d.path()), s(&meta), "decode_tp", "TP size");
    fs::write(&meta, "{not json").unwrap();
    expect_bad(&query_isl(d.path()), s(&meta), "(json)", "not valid JSON");
}

// ------------------------------------------------------------------------------------------
// pre-swept files (2-D, one row per engine config)

#[test]
fn pre_swept_row_that_does_not_exist() {
    // the shipped copy and the upstream file (its byte copy under tests/fixtures/dynamo)
    let shipped = util::repo().join(LLAMA70).join("decode.npz");
    let original = util::dynamo_data().join(
        "components/src/dynamo/planner/core/throughput/pre_swept_results/h100_sxm/vllm/nvidia/\
         Llama-3.3-70B-Instruct-FP8/decode.npz",
    );
    for f in [shipped, original] {
        let spec = format!("{}#7", f.display());
        let msg = expect_bad(&query_kv(&spec), s(&f), "(row)", "row 7 does not exist");
        assert!(msg.contains("3 row(s)"), "{msg}");
    }
    let p = util::repo().join(LLAMA70).join("prefill.npz");
    let spec = format!("{}#3", p.display());
    expect_bad(&query_isl(&spec), s(&p), "(row)", "row 3 does not exist");
    // a row suffix on a pre-swept directory
    let spec = format!("{}#9", util::repo().join(LLAMA70).display());
    expect_bad(&query_isl(&spec), "prefill.npz", "(row)", "row 9 does not exist");
}

#[test]
fn pre_swept_bad_values_name_the_row() {
    let cases: Vec<(&str, &str, usize, f64, &str)> = vec![
        ("prefill.npz", "prefill_ttft", 1, f64::NAN, "NaN"),
        ("prefill.npz", "prefill_ttft", 2, -3.0, "> 0"),
        ("prefill.npz", "prefill_thpt_per_gpu", 0, f64::INFINITY, "inf"),
        ("decode.npz", "z_itl", 1, 0.0, "> 0"),
        ("decode.npz", "z_itl", 2, f64::NAN, "NaN"),
        ("decode.npz", "x_kv_usage", 0, 2.0, "(0, 1.5]"),
    ];
    for (file, key, row, bad, what) in cases {
        let edit = |n: &mut Npz| {
            n.edit2(key, row, 3, bad);
        };
        let p = if file == "prefill.npz" {
            PreSweptDir::new(edit, |_| {})
        } else {
            PreSweptDir::new(|_| {}, edit)
        };
        let f = p.file(file);
        // the directory, and the file on its own
        for spec in [s(p.dir.path()).to_string(), f.clone()] {
            let args = if file == "prefill.npz" {
                query_isl(&spec)
            } else {
                query_kv(&spec)
            };
            let msg = expect_bad(&args, &f, key, what);
            assert!(msg.contains(&format!("(row {row})")), "{msg}");
        }
    }
    // ISL not increasing in one row
    let p = PreSweptDir::new(
        |n| {
            let a = n.get("prefill_isl");
            n.edit2("prefill_isl", 2, 5, a[[2, 4]]);
        },
        |_| {},
    );
    let msg = expect_bad(
        &query_isl(s(p.dir.path())),
        &p.file("prefill.npz"),
        "prefill_isl",
        "increasing",
    );
    assert!(msg.contains("(row 2)"), "{msg}");
}

#[test]
fn pre_swept_shape_and_metadata_errors() {
    // unequal lengths: one column fewer in z_itl
    let p = PreSweptDir::new(
        |_| {},
        |n| {
            let a = n.get("z_itl").into_dimensionality::<Ix2>().unwrap();
            let cut = a.slice(ndarray::s![.., ..-1]).to_owned().into_dyn();
            n.set("z_itl", &cut);
        },
    );
    expect_bad(
        &query_kv(s(p.dir.path())),
        &p.file("decode.npz"),
        "z_itl",
        "equal lengths",
    );
    // a 3-D array
    let p = PreSweptDir::new(
        |n| {
            let a = n.get("prefill_ttft");
            let sh = a.shape().to_vec();
            let v: Vec<f64> = a.iter().copied().collect();
            n.set(
                "prefill_ttft",
                &ArrayD::from_shape_vec(IxDyn(&[sh[0], 1, sh[1]]), v).unwrap(),
            );
        },
        |_| {},
    );
    expect_bad(
        &query_isl(s(p.dir.path())),
        &p.file("prefill.npz"),
        "prefill_ttft",
        "shape",
    );
    // max_kv_tokens with fewer values than rows
    let p = PreSweptDir::new(
        |_| {},
        |n| {
            n.set("max_kv_tokens", &ArrayD::from_elem(IxDyn(&[2, 1]), 224133i64));
        },
    );
    expect_bad(
        &query_kv(s(p.dir.path())),
        &p.file("decode.npz"),
        "max_kv_tokens",
        "one per row",
    );
    // max_kv_tokens 0 in one row
    let p = PreSweptDir::new(
        |_| {},
        |n| {
            n.edit2("max_kv_tokens", 1, 0, 0.0);
        },
    );
    expect_bad(
        &query_kv(s(p.dir.path())),
        &p.file("decode.npz"),
        "max_kv_tokens",
        "positive",
    );
    // a TP of 0, and a tp array with the wrong number of rows
    let p = PreSweptDir::new(
        |n| {
            n.edit2("tp", 1, 0, 0.0);
        },
        |_| {},
    );
    expect_bad(&query_isl(s(p.dir.path())), &p.file("prefill.npz"), "tp", "TP size");
    let p = PreSweptDir::new(
        |n| {
            n.set("tp", &ArrayD::from_elem(IxDyn(&[2, 1]), 4i64));
        },
        |_| {},
    );
    expect_bad(&query_isl(s(p.dir.path())), &p.file("prefill.npz"), "tp", "one per row");
    // a missing key
    let p = PreSweptDir::new(
        |_| {},
        |n| {
            n.remove("z_thpt_per_gpu");
        },
    );
    expect_bad(
        &query_kv(s(p.dir.path())),
        &p.file("decode.npz"),
        "z_thpt_per_gpu",
        "missing",
    );
}

// ------------------------------------------------------------------------------------------
// ConfigMap JSON payloads

fn configmap_dir() -> PathBuf {
    util::dynamo_data().join("benchmarks/profiler/comparison/results/aic_all")
}

/// A directory with the aic_all ConfigMap payloads, `fp`/`fd` applied to the parsed JSON.
fn json_dir(fp: impl FnOnce(&mut Value), fd: impl FnOnce(&mut Value)) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in [
        ("prefill_raw_data.json", Box::new(fp) as Box<dyn FnOnce(&mut Value)>),
        ("decode_raw_data.json", Box::new(fd)),
    ] {
        let mut v: Value = serde_json::from_slice(&fs::read(configmap_dir().join(name)).unwrap()).unwrap();
        f(&mut v);
        fs::write(dir.path().join(name), serde_json::to_vec(&v).unwrap()).unwrap();
    }
    dir
}

#[test]
fn json_payload_errors() {
    // unbroken copy loads
    let d = json_dir(|_| {}, |_| {});
    util::ok(&query_isl(s(d.path())));

    let pf = |d: &TempDir| d.path().join("prefill_raw_data.json").display().to_string();
    let df = |d: &TempDir| d.path().join("decode_raw_data.json").display().to_string();

    // a non-number element
    let d = json_dir(|v| v["prefill_ttft"][2] = json!("fast"), |_| {});
    let msg = expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_ttft", "expected a number");
    assert!(msg.contains("element 2"), "{msg}");
    let d = json_dir(|_| {}, |v| v["z_itl"][0] = Value::Null);
    expect_bad(&query_kv(s(d.path())), &df(&d), "z_itl", "expected a number");
    let d = json_dir(|v| v["prefill_isl"][1] = json!([2621]), |_| {});
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_isl", "expected a number");
    // not an array
    let d = json_dir(|v| v["prefill_isl"] = json!(100), |_| {});
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_isl", "array");
    // missing keys
    let d = json_dir(
        |v| {
            v.as_object_mut().unwrap().remove("prefill_thpt_per_gpu");
        },
        |_| {},
    );
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_thpt_per_gpu", "missing");
    let d = json_dir(
        |_| {},
        |v| {
            v.as_object_mut().unwrap().remove("max_kv_tokens");
        },
    );
    expect_bad(&query_kv(s(d.path())), &df(&d), "max_kv_tokens", "missing");
    // max_kv_tokens not a number, and zero
    let d = json_dir(|_| {}, |v| v["max_kv_tokens"] = json!("lots"));
    expect_bad(&query_kv(s(d.path())), &df(&d), "max_kv_tokens", "expected a number");
    let d = json_dir(|_| {}, |v| v["max_kv_tokens"] = json!(0));
    expect_bad(&query_kv(s(d.path())), &df(&d), "max_kv_tokens", "positive");
    // unequal lengths, empty arrays, non-positive and non-increasing values
    let d = json_dir(
        |v| {
            v["prefill_ttft"].as_array_mut().unwrap().pop();
        },
        |_| {},
    );
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_ttft", "equal lengths");
    let d = json_dir(
        |_| {},
        |v| {
            for k in ["x_kv_usage", "y_context_length", "z_itl", "z_thpt_per_gpu"] {
                v[k] = json!([]);
            }
        },
    );
    expect_bad(&query_kv(s(d.path())), &df(&d), "x_kv_usage", "empty");
    let d = json_dir(|v| v["prefill_ttft"][0] = json!(-1.0), |_| {});
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_ttft", "> 0");
    let d = json_dir(|v| v["prefill_isl"][3] = json!(1), |_| {});
    expect_bad(&query_isl(s(d.path())), &pf(&d), "prefill_isl", "increasing");
    let d = json_dir(|_| {}, |v| v["x_kv_usage"][0] = json!(1.75));
    expect_bad(&query_kv(s(d.path())), &df(&d), "x_kv_usage", "(0, 1.5]");
    let d = json_dir(|_| {}, |v| v["z_itl"][5] = json!(0));
    expect_bad(&query_kv(s(d.path())), &df(&d), "z_itl", "> 0");
    // a single payload file given directly
    let d = json_dir(|v| v["prefill_ttft"][2] = json!(true), |_| {});
    expect_bad(&query_isl(&pf(&d)), &pf(&d), "prefill_ttft", "expected a number");
}

#[test]
fn json_not_json_or_not_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("prefill_raw_data.json");
    fs::write(&f, "{\"prefill_isl\": [1, 2,").unwrap();
    expect_bad(&query_isl(s(dir.path())), s(&f), "(json)", "not valid JSON");
    expect_bad(&query_isl(s(&f)), s(&f), "(json)", "not valid JSON");
    let g = dir.path().join("other.json");
    fs::write(&g, r#"{"hello": [1, 2]}"#).unwrap();
    expect_bad(&query_isl(s(&g)), s(&g), "(layout)", "not a profile");
}

// ------------------------------------------------------------------------------------------
// files that are not profiles at all

#[test]
fn not_an_npz() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.npz");
    fs::write(&f, "prefill_isl,prefill_ttft\n100,20\n").unwrap();
    expect_bad(&query_isl(s(&f)), s(&f), "(archive)", "not an npz");
    let e = dir.path().join("empty.npz");
    fs::write(&e, b"").unwrap();
    expect_bad(&query_isl(s(&e)), s(&e), "(archive)", "not an npz");
    // a profiler directory whose raw_data.npz is text
    let d = ProfilerDir::new(|_| {}, |_| {});
    fs::write(d.prefill_file(), "not an archive").unwrap();
    expect_bad(&query_isl(d.path()), &d.prefill_file(), "(archive)", "not an npz");
    // a valid npz with unrelated keys
    let u = dir.path().join("unrelated.npz");
    let mut n = Npz::new();
    n.set_vec("foo", vec![1.0, 2.0]);
    n.write(&u);
    let msg = expect_bad(&query_isl(s(&u)), s(&u), "(layout)", "not a profile npz");
    assert!(msg.contains("foo"), "{msg}");
    // a directory with no profile in it
    let empty = tempfile::tempdir().unwrap();
    expect_bad(
        &query_isl(s(empty.path())),
        s(empty.path()),
        "(layout)",
        "no profile found",
    );
}

#[test]
fn truncated_and_corrupted_npz_never_panic() {
    let src = util::repo().join(QWEN).join(PREFILL_REL);
    let bytes = fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("raw_data.npz");
    // truncations
    for k in 1..16 {
        let cut = bytes.len() * k / 16;
        fs::write(&f, &bytes[..cut]).unwrap();
        let msg = util::bad_input(&query_isl(s(&f)));
        assert!(msg.contains(s(&f)), "{msg}");
    }
    // single-byte corruptions at deterministic positions: the result is either a clean error
    // (exit 2, one line) or a profile that loads (exit 0) — never a panic or an abort
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = bytes.clone();
        let i = (x % b.len() as u64) as usize;
        b[i] ^= 0xFF;
        fs::write(&f, &b).unwrap();
        let o = util::run(&query_isl(s(&f)));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0) | Some(2)),
            "byte {i} flipped: exit {:?}\n{err}",
            o.status.code()
        );
        assert!(!err.contains("panicked"), "byte {i} flipped: {err}");
        if o.status.code() == Some(2) {
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
}

// ------------------------------------------------------------------------------------------
// Dynamo mocker layout

fn mocker_fixture() -> PathBuf {
    util::repo().join("tests/fixtures/mocker_llama8b.npz")
}

fn broken_mocker(f: impl FnOnce(&mut Npz)) -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut n = Npz::open(&mocker_fixture());
    f(&mut n);
    let p = dir.path().join("mocker.npz");
    n.write(&p);
    let s = p.display().to_string();
    (dir, s)
}

#[test]
fn mocker_errors() {
    // a missing key is named, whichever key it is (the layout is recognised by the others)
    for key in [
        "prefill_isl",
        "prefill_ttft_ms",
        "decode_active_kv_tokens",
        "decode_context_length",
        "decode_itl",
    ] {
        let (_d, f) = broken_mocker(|n| {
            n.remove(key);
        });
        expect_bad(&query_isl(&f), &f, key, "missing");
    }
    // a repeated grid value
    for key in ["decode_active_kv_tokens", "decode_context_length"] {
        let (_d, f) = broken_mocker(|n| {
            n.edit(key, |v| v[2] = v[1]);
        });
        expect_bad(&query_kv(&f), &f, key, "twice");
    }
    // grid of the wrong shape
    let (_d, f) = broken_mocker(|n| {
        let a = n.get("decode_itl").into_dimensionality::<Ix2>().unwrap();
        n.set("decode_itl", &a.slice(ndarray::s![..-1, ..]).to_owned().into_dyn());
    });
    expect_bad(&query_kv(&f), &f, "decode_itl", "shape");
    // unequal prefill lengths
    let (_d, f) = broken_mocker(|n| {
        n.edit("prefill_ttft_ms", |v| {
            v.pop();
        });
    });
    expect_bad(&query_isl(&f), &f, "prefill_ttft_ms", "equal lengths");
    // bad values, named by the mocker's own keys
    for (key, bad, what) in [
        ("decode_itl", -1.0, "> 0"),
        ("decode_itl", f64::NAN, "NaN"),
        ("decode_itl", 0.0, "> 0"),
        ("decode_active_kv_tokens", 0.0, "> 0"),
        ("decode_active_kv_tokens", f64::INFINITY, "inf"),
        ("decode_context_length", -350.0, "> 0"),
        ("prefill_ttft_ms", 0.0, "> 0"),
        ("prefill_ttft_ms", -2.0, "> 0"),
        ("prefill_ttft_ms", f64::NAN, "NaN"),
        ("prefill_ttft_ms", f64::INFINITY, "inf"),
        ("prefill_isl", -100.0, "> 0"),
    ] {
        let (_d, f) = broken_mocker(|n| {
            n.edit(key, |v| v[1] = bad);
        });
        expect_bad(&query_isl(&f), &f, key, what);
    }
    let (_d, f) = broken_mocker(|n| {
        n.edit("prefill_isl", |v| v.swap(2, 3));
    });
    expect_bad(&query_isl(&f), &f, "prefill_isl", "increasing");
    let (_d, f) = broken_mocker(|n| {
        n.set_vec("max_kv_tokens", vec![0.0]);
    });
    expect_bad(&query_kv(&f), &f, "max_kv_tokens", "positive");
    let (_d, f) = broken_mocker(|n| {
        n.set_vec("max_kv_tokens", vec![]);
    });
    expect_bad(&query_kv(&f), &f, "max_kv_tokens", "empty");
    let (_d, f) = broken_mocker(|n| {
        n.set_vec("decode_context_length", vec![]);
    });
    expect_bad(&query_kv(&f), &f, "decode_context_length", "empty");
}

// ------------------------------------------------------------------------------------------
// unknown profiles

#[test]
fn unknown_profile_name_lists_shipped_names() {
    const SHIPPED: [&str; 5] = [
        "qwen3-32b/h200/trtllm-aic",
        "qwen3-32b/h200/trtllm-online",
        "qwen3-32b/h200/vllm-online",
        "llama-3.1-8b-fp8/h200/vllm",
        "llama-3.3-70b-fp8/h100/vllm",
    ];
    for args in [
        vec!["profile", "query", "qwen3-32b/h100/vllm", "--isl", "1000"],
        vec![
            "profile",
            "query",
            "nope",
            "--kv-usage",
            "0.5",
            "--context",
            "1000",
            "--json",
        ],
        vec!["profile", "show", "llama-3.1-8b/h200/vllm"],
        vec!["profile", "show", "/no/such/dir", "--json"],
        vec!["profile", "query", "/no/such/file.npz#2", "--isl", "10"],
    ] {
        let msg = util::bad_input(&args);
        assert!(msg.contains(args[2]), "message should repeat the name:\n{msg}");
        for n in SHIPPED {
            assert!(msg.contains(n), "message should list `{n}`:\n{msg}");
        }
    }
}

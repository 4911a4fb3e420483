//! Crafted `.npz` files given to `slasim profile query`: a header declaring 10¹² elements over a
//! few bytes, an entry inflating to more than the 256 MiB array cap, a truncated archive, a
//! wrong magic, a bad `.npy` header. Each is exit 2 with one line naming the file and the key,
//! under an address-space limit (`ulimit -v`, 200 MB) the old reader broke by allocating what
//! the file declared (exit 134).

use crate::util;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

/// Address-space limit of the child, kB (slasim needs < 50 MB for these commands).
const VM_LIMIT_KB: u64 = 200_000;

/// An `.npy` file: header dict `dict`, then `body`.
fn npy(dict: &str, body: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut d = b"\x93NUMPY\x01\x00".to_vec();
    d.extend((h.len() as u16).to_le_bytes());
    d.extend(h.as_bytes());
    d.extend(body);
    d
}

fn f64_dict(shape: &str) -> String {
    format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}")
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Writes the bytes of one archive entry.
type EntryWriter<'a> = &'a dyn Fn(&mut dyn Write);

/// Writes a zip of `entries` (deflated when `deflate`).
fn write_npz(path: &Path, entries: &[(&str, EntryWriter)], deflate: bool) {
    let f = std::fs::File::create(path).expect("create npz");
    let mut z = zip::ZipWriter::new(f);
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opt = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, write) in entries {
        z.start_file(*name, opt).expect("zip entry");
        write(&mut z);
    }
    z.finish().expect("finish zip");
}

/// A valid prefill curve (`prefill_isl`, `prefill_ttft`, `prefill_thpt_per_gpu`) with
/// `prefill_isl` replaced by `isl` bytes.
fn prefill_npz(path: &Path, isl: EntryWriter, deflate: bool) {
    let ttft = npy(&f64_dict("(2,)"), &f64s(&[20.0, 40.0]));
    let thpt = npy(&f64_dict("(2,)"), &f64s(&[5000.0, 5000.0]));
    write_npz(
        path,
        &[
            ("prefill_isl.npy", isl),
            ("prefill_ttft.npy", &|w| w.write_all(&ttft).expect("write")),
            ("prefill_thpt_per_gpu.npy", &|w| w.write_all(&thpt).expect("write")),
        ],
        deflate,
    );
}

/// `slasim profile query FILE --isl 1000 --json` under the address-space limit.
fn query_limited(file: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {VM_LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(util::bin())
        .args(["profile", "query"])
        .arg(file)
        .args(["--isl", "1000", "--json"])
        .output()
        .expect("spawn sh")
}

/// Asserts exit 2, one line, naming `file`, `key` and saying `what`; returns the line.
#[track_caller]
fn refused(file: &Path, key: &str, what: &str) -> String {
    let o = query_limited(file);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}: stderr:\n{err}", file.display());
    assert_eq!(err.trim_end().lines().count(), 1, "one line expected:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let f = file.display().to_string();
    assert!(err.contains(&f), "names the file {f}: {err}");
    assert!(err.contains(&format!("`{key}`")), "names the key `{key}`: {err}");
    assert!(err.contains(what), "says `{what}`: {err}");
    err
}

#[test]
fn a_valid_file_loads_under_the_limit() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = d.path().join("ok.npz");
    let isl = npy(&f64_dict("(2,)"), &f64s(&[100.0, 200.0]));
    prefill_npz(&f, &|w| w.write_all(&isl).expect("write"), true);
    let o = query_limited(&f);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn shape_bomb_is_exit_2() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = d.path().join("shape.npz");
    let isl = npy(&f64_dict("(1000000000000,)"), &f64s(&[100.0, 200.0]));
    prefill_npz(&f, &|w| w.write_all(&isl).expect("write"), false);
    let msg = refused(&f, "prefill_isl", "corrupt entry `prefill_isl.npy`");
    assert!(msg.contains("shape [1000000000000]"), "{msg}");
}

#[test]
fn deflate_bomb_is_refused_before_inflating() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = d.path().join("bomb.npz");
    // 300 MiB of zeros (over the 256 MiB cap), about 300 kB deflated
    let n: usize = 300 * 1024 * 1024 / 8;
    let header = npy(&f64_dict(&format!("({n},)")), &[]);
    let zeros = vec![0u8; 1 << 20];
    prefill_npz(
        &f,
        &|w| {
            w.write_all(&header).expect("write");
            for _ in 0..300 {
                w.write_all(&zeros).expect("write");
            }
        },
        true,
    );
    let size = std::fs::metadata(&f).expect("stat").len();
    assert!(size < 2 << 20, "the bomb is small on disk: {size} bytes");
    refused(&f, "prefill_isl", "over the 268435456 byte limit");
}

#[test]
fn truncated_and_wrong_magic_archives_are_not_npz() {
    let d = tempfile::tempdir().expect("tempdir");
    let good = d.path().join("good.npz");
    let isl = npy(&f64_dict("(2,)"), &f64s(&[100.0, 200.0]));
    prefill_npz(&good, &|w| w.write_all(&isl).expect("write"), true);
    let bytes = std::fs::read(&good).expect("read");
    let cut = d.path().join("cut.npz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    refused(&cut, "(archive)", "is not an npz archive");
    let magic = d.path().join("magic.npz");
    let mut b = bytes.clone();
    b[..4].copy_from_slice(b"PK\x09\x09");
    let n = b.len();
    b[n - 22..n - 18].copy_from_slice(b"XXXX"); // the end-of-central-directory signature
    std::fs::write(&magic, &b).expect("write");
    refused(&magic, "(archive)", "is not an npz archive");
}

#[test]
fn bad_npy_entries_are_corrupt_entries() {
    let d = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("magic", b"\x93NUMPX\x01\x00\x10\x00{}".to_vec(), "no \\x93NUMPY magic"),
        (
            "version",
            b"\x93NUMPY\x07\x00\x10\x00{}".to_vec(),
            "unsupported .npy version 7",
        ),
        (
            "hlen",
            b"\x93NUMPY\x01\x00\xff\xff{}".to_vec(),
            "the .npy header declares 65535 bytes",
        ),
        (
            "dict",
            npy("{'descr': '<f8', 'shape': (2,)", &f64s(&[1.0, 2.0])),
            "not a dict literal",
        ),
        (
            "short",
            npy(&f64_dict("(3,)"), &f64s(&[1.0, 2.0])),
            "shape [3] of `<f8` (24 bytes) but 16 bytes follow",
        ),
        ("empty", Vec::new(), "not an .npy array"),
    ];
    for (name, isl, want) in cases {
        let f = d.path().join(format!("{name}.npz"));
        prefill_npz(&f, &|w| w.write_all(&isl).expect("write"), name == "short");
        let msg = refused(&f, "prefill_isl", "corrupt entry `prefill_isl.npy`");
        assert!(msg.contains(want), "{name}: {msg}");
    }
    // a well-formed array of a type slasim does not read is still an unsupported dtype
    let f = d.path().join("complex.npz");
    let isl = npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", &[0u8; 32]);
    prefill_npz(&f, &|w| w.write_all(&isl).expect("write"), false);
    refused(&f, "prefill_isl", "unsupported dtype `<c16`");
}

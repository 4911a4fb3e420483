//! Every example printed by a subcommand's `--help` runs as printed (issue 12 item 9).
//!
//! The examples are read from the binary's own `--help` output: the lines under a heading that
//! starts with `Example` (up to the next blank or unindented line), each starting with
//! `slasim ` and continued by lines after a trailing `\`. So a line clap wrapped (a continuation
//! without `\`) fails the test, as it could not be pasted. A trailing `# exits N` comment states
//! the expected exit code (default 0).
//!
//! Each example runs from the repository root (its inputs are the repo's files) with these
//! substitutions, so the suite stays fast and the repo clean:
//! * output files (`--json FILE`, `--csv`, `--plot`, `--yaml`, `--md`, `--requests-csv`,
//!   `--aiperf-json`, `--calibration-out`, `--efficiency-out`) and `--out DIR` go to a temp dir
//!   shared by all examples; a bare file name that an earlier example wrote there (the shards
//!   `merge` reads) is read from it;
//! * sizes shrink: `--requests` ≤ 300 (≤ 5000 for `bench`), `--runs`/`--seeds` 1, `--max-iters` ≤ 10,
//!   `--starts` ≤ 1, and `sweep` gets `--search-requests 30`, `compare-methods`
//!   `--level-requests 40 --sinusoid 1:9:300` (a 5-minute realistic load), when not given.

use crate::util::{bin, repo};
use std::path::Path;
use std::process::Command;

/// Flags whose value is an output path.
const OUTPUT_FLAGS: [&str; 11] = [
    "--json",
    "--csv",
    "--plot",
    "--yaml",
    "--md",
    "--requests-csv",
    "--aiperf-json",
    "--calibration-out",
    "--efficiency-out",
    "--out",
    "--out-yaml",
];

/// One example: its tokens and the expected exit code.
#[derive(Debug)]
struct Example {
    text: String,
    args: Vec<String>,
    exit: i32,
}

fn help(path: &[&str]) -> String {
    let o = Command::new(bin()).args(path).arg("--help").output().unwrap();
    assert!(o.status.success(), "slasim {path:?} --help failed");
    String::from_utf8(o.stdout).unwrap()
}

/// The examples of one help text (see the module docs for the layout rules).
fn examples(path: &[&str], text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        // a heading: `Examples…:`, or another unindented `…:` line right after examples
        if !line.starts_with(' ') && line.trim_end().ends_with(':') && (line.starts_with("Example") || in_section) {
            in_section = true;
            continue;
        }
        if !in_section {
            continue;
        }
        if line.trim().is_empty() || !line.starts_with(' ') {
            assert!(
                current.is_none(),
                "slasim {path:?}: example ends with `\\`: {current:?}"
            );
            in_section = false;
            continue;
        }
        let t = line.trim();
        let c = match current.take() {
            Some(c) => format!("{c} {t}"),
            None => {
                assert!(
                    t.starts_with("slasim "),
                    "slasim {path:?} --help: example line neither starts with `slasim ` nor continues one \
                     with `\\` (wrapped?): {line:?}"
                );
                t.to_string()
            }
        };
        if let Some(head) = c.strip_suffix('\\') {
            current = Some(head.trim_end().to_string());
        } else {
            out.push(parse(&c));
        }
    }
    assert!(current.is_none(), "slasim {path:?}: example ends with `\\`");
    out
}

fn parse(line: &str) -> Example {
    let (cmd, comment) = match line.split_once(" #") {
        Some((c, m)) => (c.trim(), m.trim()),
        None => (line.trim(), ""),
    };
    let exit = comment
        .strip_prefix("exits ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let args: Vec<String> = cmd.split_whitespace().skip(1).map(String::from).collect();
    Example {
        text: line.to_string(),
        args,
        exit,
    }
}

/// The example's arguments with the substitutions of the module docs.
fn shrink(args: &[String], tmp: &Path) -> Vec<String> {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let next = args.get(i + 1);
        let cap = |v: &str, max: u64| -> String { v.parse::<u64>().map_or(v.to_string(), |n| n.min(max).to_string()) };
        match (a.as_str(), next) {
            (f, Some(v)) if OUTPUT_FLAGS.contains(&f) && !v.starts_with('-') => {
                let name = Path::new(v).file_name().unwrap().to_string_lossy().to_string();
                out.push(a.clone());
                out.push(tmp.join(name).to_string_lossy().to_string());
                i += 2;
                continue;
            }
            ("--requests", Some(v)) => {
                out.push(a.clone());
                out.push(cap(v, if sub == "bench" { 5000 } else { 300 }));
                i += 2;
                continue;
            }
            ("--runs" | "--seeds", Some(_)) => {
                out.push(a.clone());
                out.push("1".into());
                i += 2;
                continue;
            }
            ("--max-iters", Some(v)) => {
                out.push(a.clone());
                out.push(cap(v, 10));
                i += 2;
                continue;
            }
            ("--starts", Some(v)) => {
                out.push(a.clone());
                out.push(cap(v, 1));
                i += 2;
                continue;
            }
            _ => {}
        }
        let in_tmp = tmp.join(a);
        if !a.starts_with('-') && !a.contains('/') && in_tmp.is_file() {
            out.push(in_tmp.to_string_lossy().to_string());
        } else {
            out.push(a.clone());
        }
        i += 1;
    }
    let has = |out: &[String], f: &str| out.iter().any(|a| a == f);
    if sub == "sweep" && !has(&out, "--search-requests") {
        out.extend(["--search-requests".into(), "30".into()]);
    }
    if sub == "compare-methods" && !has(&out, "--level-requests") {
        out.extend(["--level-requests".into(), "40".into()]);
    }
    if sub == "compare-methods" && !has(&out, "--sinusoid") {
        out.extend(["--sinusoid".into(), "1:9:300".into()]);
    }
    out
}

/// Every subcommand path (`["simulate"]`, `["profile", "query"]`, …).
fn subcommand_paths() -> Vec<Vec<String>> {
    fn walk(c: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for s in c.get_subcommands() {
            if s.get_name() == "help" {
                continue;
            }
            let mut p = prefix.to_vec();
            p.push(s.get_name().to_string());
            out.push(p.clone());
            walk(s, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&slasim::cli::command(), &[], &mut out);
    out
}

#[test]
fn every_help_example_runs_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut all: Vec<(Vec<String>, Example)> = Vec::new();
    for path in subcommand_paths() {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        for e in examples(&p, &help(&p)) {
            all.push((path.clone(), e));
        }
    }
    for must in [
        "simulate",
        "calibrate",
        "sweep",
        "merge",
        "plan",
        "verify",
        "bench",
        "compare-methods",
    ] {
        assert!(
            all.iter().any(|(p, _)| p.len() == 1 && p[0] == must),
            "`slasim {must} --help` has no example"
        );
    }
    // sweep's shard runs come before merge reads them
    all.sort_by_key(|(p, _)| usize::from(p[0] == "merge"));
    let mut failures = Vec::new();
    for (path, e) in &all {
        assert_eq!(
            e.args.first().map(String::as_str),
            path.first().map(String::as_str),
            "an example under `slasim {} --help` runs another command: {}",
            path.join(" "),
            e.text
        );
        let args = shrink(&e.args, tmp.path());
        let o = Command::new(bin()).args(&args).current_dir(repo()).output().unwrap();
        if o.status.code() != Some(e.exit) {
            failures.push(format!(
                "`{}` (run as {args:?}) exited {:?}, expected {}: {}",
                e.text,
                o.status.code(),
                e.exit,
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} help example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(all.len() >= 15, "only {} examples found", all.len());
}

#[test]
fn help_examples_are_found_and_wrapping_is_detected() {
    let text =
        "About.\n\nExamples:\n  slasim simulate --rps 1 \\\n    --requests 5  # exits 1\n  slasim bench\n\nMore.\n";
    let ex = examples(&["t"], text);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].args, ["simulate", "--rps", "1", "--requests", "5"]);
    assert_eq!(ex[0].exit, 1);
    assert_eq!(ex[1].exit, 0);
    let wrapped = "Examples:\n  slasim simulate --rps 1 --requests\n    5\n";
    let r = std::panic::catch_unwind(|| examples(&["t"], wrapped));
    assert!(r.is_err(), "a wrapped example without `\\` must fail");
}

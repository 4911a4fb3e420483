//! The Mooncake trace layout (JSONL): one JSON object a line, as Mooncake's FAST'25 release
//! (`FAST25-release/traces/`), Dynamo's mocker replay and AIPerf's `mooncake_trace` dataset write it:
//!
//! ```text
//! {"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, 2, 3, 4, 5]}
//! ```
//!
//! * `timestamp`: arrival time, **milliseconds** from the trace's start (integer or float, ≥ 0,
//!   non-decreasing) → [`TraceRow::arrived_at_s`] = timestamp / 1000;
//! * `input_length`, `output_length`: tokens (whole numbers in `[1, MAX_TOKENS]`);
//! * `hash_ids`: the prompt's prefix block ids (non-negative integers), one per block of
//!   `block_tokens` tokens (512 in Mooncake's traces; `--trace-block-size`): equal ids mean equal
//!   content, so two rows whose first k ids agree share their first k·512 prompt tokens. A row has
//!   at most ⌈input_length / block_tokens⌉ ids (more would describe tokens the prompt does not
//!   have); fewer is allowed (the rest of the prompt is then unknown content).
//!
//! `timestamp` and `hash_ids` are optional, but all-or-none: a file whose first row has one must
//! have it on every row. Other keys are ignored; blank lines are skipped.
//!
//! Parsing is line by line with `serde_json`: a typed fast path for well-formed lines, and for
//! the others a `Value` that says which field is wrong; memory is the output (the rows and ids,
//! bounded by the file's size) plus one line, nothing is allocated from a size the file declares
//! (≈ 8 ms for the 3 MB conversation trace, release build). Errors are one line and name the
//! file, the line and the field: `FILE:LINE: `hash_ids`: …`.

use super::lengths::MAX_TOKENS;
use super::trace::{Trace, TraceBlockIds, TraceRow};
use crate::error::{json_kind, Error, Result};
use serde_json::Value;

/// Tokens per hash id in Mooncake's traces (the default of `--trace-block-size`).
pub const MOONCAKE_BLOCK_TOKENS: u32 = 512;

/// Key of the arrival time, milliseconds from the start (optional, all-or-none).
pub const KEY_TIMESTAMP: &str = "timestamp";
/// Key of the prompt length, tokens (required).
pub const KEY_INPUT_LENGTH: &str = "input_length";
/// Key of the output length, tokens (required).
pub const KEY_OUTPUT_LENGTH: &str = "output_length";
/// Key of the prefix block ids (optional, all-or-none).
pub const KEY_HASH_IDS: &str = "hash_ids";

const EXPECTED: &str = "expected one JSON object a line with `input_length` and `output_length` (tokens), and \
                        optionally `timestamp` (ms) and `hash_ids` (prefix block ids)";

/// Whether `bytes` look like a JSONL trace: the first byte that is not whitespace (after an
/// optional UTF-8 byte-order mark) is `{`.
pub fn looks_like_jsonl(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
}

/// ⌈isl / block_tokens⌉: the most hash ids a prompt of `isl` tokens can have.
pub fn max_hash_ids(isl: u32, block_tokens: u32) -> u64 {
    u64::from(isl).div_ceil(u64::from(block_tokens.max(1)))
}

/// The all-or-none state of an optional key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    Unknown,
    Present,
    Absent,
}

/// One parsed line.
struct Line {
    ts_ms: Option<f64>,
    isl: u32,
    osl: u32,
    hash_ids: Option<Vec<u64>>,
}

/// The typed fast path: accepts only well-formed lines (every key present, whole token counts
/// in range, ids within the bound), on which it agrees with [`line_checked`]; anything else goes
/// to [`line_checked`], which says what is wrong.
#[derive(serde::Deserialize)]
struct Fast {
    timestamp: Option<f64>,
    input_length: u64,
    output_length: u64,
    hash_ids: Option<Vec<u64>>,
}

fn line_fast(text: &[u8], block_tokens: u32) -> Option<Line> {
    let f: Fast = serde_json::from_slice(text).ok()?;
    let ts = f.timestamp.filter(|t| t.is_finite() && *t >= 0.0)?;
    let range = 1..=u64::from(MAX_TOKENS);
    if !range.contains(&f.input_length) || !range.contains(&f.output_length) {
        return None;
    }
    let isl = f.input_length as u32;
    let ids = f.hash_ids?;
    if ids.len() as u64 > max_hash_ids(isl, block_tokens) {
        return None;
    }
    Some(Line {
        ts_ms: Some(ts),
        isl,
        osl: f.output_length as u32,
        hash_ids: Some(ids),
    })
}

/// The checked path: parses the line as a `Value` and says which field is wrong.
fn line_checked(at: &str, text: &[u8], block_tokens: u32) -> Result<Line> {
    let obj = match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err(Error::data(
                at,
                "json",
                format!("expected a JSON object {{…}}, got {}; {EXPECTED}", json_kind(&other)),
            ))
        }
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            return Err(Error::data(
                at,
                "json",
                format!("invalid JSON at column {}: {msg}; {EXPECTED}", e.column()),
            ));
        }
    };
    let isl = tokens(at, KEY_INPUT_LENGTH, obj.get(KEY_INPUT_LENGTH))?;
    let osl = tokens(at, KEY_OUTPUT_LENGTH, obj.get(KEY_OUTPUT_LENGTH))?;
    let ts_ms = match obj.get(KEY_TIMESTAMP) {
        None => None,
        Some(v) => match v.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => Some(ms),
            _ => {
                return Err(Error::data(
                    at,
                    KEY_TIMESTAMP,
                    format!("expected a time in milliseconds ≥ 0, got {}", short(v)),
                ))
            }
        },
    };
    let hash_ids = match obj.get(KEY_HASH_IDS) {
        None => None,
        Some(h) => {
            let Value::Array(a) = h else {
                return Err(Error::data(
                    at,
                    KEY_HASH_IDS,
                    format!("expected an array of non-negative integers, got {}", json_kind(h)),
                ));
            };
            let most = max_hash_ids(isl, block_tokens);
            if a.len() as u64 > most {
                return Err(Error::data(
                    at,
                    KEY_HASH_IDS,
                    format!(
                        "{} ids for {isl} input tokens, more than ⌈{isl} / {block_tokens}⌉ = {most} (one id per \
                         {block_tokens}-token block; --trace-block-size sets the block)",
                        a.len()
                    ),
                ));
            }
            let mut ids = Vec::with_capacity(a.len());
            for (k, v) in a.iter().enumerate() {
                match v.as_u64() {
                    Some(id) => ids.push(id),
                    None => {
                        return Err(Error::data(
                            at,
                            KEY_HASH_IDS,
                            format!("element {k} is {}; expected non-negative integers", short(v)),
                        ))
                    }
                }
            }
            Some(ids)
        }
    };
    Ok(Line {
        ts_ms,
        isl,
        osl,
        hash_ids,
    })
}

/// Parses Mooncake JSONL (see the module docs); `source` names it in errors, `block_tokens` (≥ 1)
/// is the tokens per hash id.
pub fn parse(source: &str, bytes: &[u8], block_tokens: u32) -> Result<Trace> {
    if block_tokens == 0 {
        return Err(Error::usage(
            "--trace-block-size",
            "expected at least 1 token per hash id, got 0",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rows: Vec<TraceRow> = Vec::new();
    let mut ids: Vec<u64> = Vec::new();
    let mut start: Vec<u32> = vec![0];
    let (mut ts_seen, mut ids_seen) = (Seen::Unknown, Seen::Unknown);
    let (mut first_ts_line, mut first_ids_line) = (0usize, 0usize);
    let mut prev_ms = 0.0_f64;
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let text = raw.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let at = || format!("{source}:{line}");
        let l = match line_fast(text, block_tokens) {
            Some(l) => l,
            None => line_checked(&at(), text, block_tokens)?,
        };
        if rows.len() >= u32::MAX as usize {
            return Err(Error::data(at(), "rows", format!("more than {} rows", u32::MAX)));
        }
        all_or_none(
            &at,
            KEY_TIMESTAMP,
            l.ts_ms.is_some(),
            &mut ts_seen,
            &mut first_ts_line,
            line,
        )?;
        if let Some(ms) = l.ts_ms {
            if ms < prev_ms {
                return Err(Error::data(
                    at(),
                    KEY_TIMESTAMP,
                    format!("{ms} ms is before the previous row's {prev_ms} ms; timestamps must be non-decreasing"),
                ));
            }
            prev_ms = ms;
        }
        all_or_none(
            &at,
            KEY_HASH_IDS,
            l.hash_ids.is_some(),
            &mut ids_seen,
            &mut first_ids_line,
            line,
        )?;
        if let Some(h) = l.hash_ids {
            ids.extend_from_slice(&h);
            let end = u32::try_from(ids.len())
                .map_err(|_| Error::data(source, KEY_HASH_IDS, format!("more than {} hash ids in all", u32::MAX)))?;
            start.push(end);
        }
        rows.push(TraceRow {
            arrived_at_s: l.ts_ms.map(|ms| ms / 1000.0),
            isl: l.isl,
            osl: l.osl,
        });
    }
    if rows.is_empty() {
        return Err(Error::data(source, "rows", format!("no requests; {EXPECTED}")));
    }
    let prefix = (ids_seen == Seen::Present).then_some(TraceBlockIds {
        block_tokens,
        ids,
        start,
    });
    Ok(Trace {
        source: source.to_string(),
        rows,
        prefix,
    })
}

/// Checks an optional key is on every row or none (the first non-blank row decides).
fn all_or_none(
    at: &dyn Fn() -> String,
    key: &str,
    present: bool,
    seen: &mut Seen,
    first: &mut usize,
    line: usize,
) -> Result<()> {
    match (*seen, present) {
        (Seen::Unknown, true) => *seen = Seen::Present,
        (Seen::Unknown, false) => *seen = Seen::Absent,
        (Seen::Present, false) => {
            return Err(Error::data(
                at(),
                key,
                format!("missing, but line {first} has it; every row has `{key}` or none does"),
            ))
        }
        (Seen::Absent, true) => {
            return Err(Error::data(
                at(),
                key,
                format!("present, but line {first} has none; every row has `{key}` or none does"),
            ))
        }
        _ => return Ok(()),
    }
    *first = line;
    Ok(())
}

/// A token count: a whole number in `[1, MAX_TOKENS]` (`100.0` is accepted).
fn tokens(at: &str, key: &str, v: Option<&Value>) -> Result<u32> {
    let bad = |p: String| Error::data(at, key, p);
    let Some(v) = v else {
        return Err(bad("missing; expected a whole number of tokens ≥ 1".into()));
    };
    let Some(x) = v.as_f64().filter(|x| x.is_finite()) else {
        return Err(bad(format!("expected a whole number of tokens ≥ 1, got {}", short(v))));
    };
    if x < 1.0 {
        Err(bad(format!("must be ≥ 1 token, got {}", short(v))))
    } else if x.fract() != 0.0 {
        Err(bad(format!("must be a whole number of tokens, got {}", short(v))))
    } else if x > f64::from(MAX_TOKENS) {
        Err(bad(format!("must be ≤ {MAX_TOKENS} tokens, got {}", short(v))))
    } else {
        Ok(x as u32)
    }
}

/// A value as JSON text, cut to 40 characters (messages stay one short line).
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 40 {
        s
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Trace {
        parse("t.jsonl", s.as_bytes(), 512).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(s: &str) -> String {
        match parse("t.jsonl", s.as_bytes(), 512) {
            Ok(t) => panic!("parsed: {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_rows_ids_and_blank_lines() {
        let t = ok(concat!(
            "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 5, \"hash_ids\": [0, 1]}\n",
            "\n   \r\n",
            "{\"hash_ids\": [0, 7], \"output_length\": 1, \"input_length\": 513.0, \"timestamp\": 1500.5, \"x\": [1]}\r\n",
            "{\"timestamp\": 1500.5, \"input_length\": 3, \"output_length\": 2, \"hash_ids\": []}",
        ));
        assert_eq!(t.rows.len(), 3);
        assert_eq!(
            t.rows[1],
            TraceRow {
                arrived_at_s: Some(1.5005),
                isl: 513,
                osl: 1
            }
        );
        assert_eq!(t.block_tokens(), 512);
        assert_eq!(t.block_ids(0), Some(&[0, 1][..]));
        assert_eq!(t.block_ids(1), Some(&[0, 7][..]));
        assert_eq!(t.block_ids(2), Some(&[][..]));
        assert_eq!(t.block_ids(3), None);
        t.check().unwrap();
        // lengths only: no prefix, no arrivals
        let t = ok("{\"input_length\": 3, \"output_length\": 2}\n");
        assert!(t.prefix.is_none() && !t.has_arrivals());
        // a byte-order mark and leading blank lines are fine
        assert!(looks_like_jsonl(b"\xEF\xBB\xBF\n  {\"a\":1}"));
        assert!(!looks_like_jsonl(b"num_prefill_tokens,num_decode_tokens\n"));
        assert!(!looks_like_jsonl(b""));
        ok("\u{feff}\n{\"input_length\": 3, \"output_length\": 2}\n");
    }

    #[test]
    fn bad_lines_name_file_line_and_field() {
        let row = |s: &str| {
            format!("{{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 2, \"hash_ids\": [1]}}\n{s}\n")
        };
        let cases: &[(&str, &str)] = &[
            (
                "{\"input_length\": 10, \"output_length\": 2",
                "t.jsonl:2: `json`: invalid JSON at column",
            ),
            ("[1, 2]", "t.jsonl:2: `json`: expected a JSON object {…}, got an array"),
            (
                "{\"timestamp\": 1, \"output_length\": 2, \"hash_ids\": []}",
                "t.jsonl:2: `input_length`: missing",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 2, \"hash_ids\": []}",
                "`input_length`: must be ≥ 1 token, got 0",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 0, \"hash_ids\": []}",
                "t.jsonl:2: `output_length`: must be ≥ 1",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2.5, \"output_length\": 1, \"hash_ids\": []}",
                "whole number",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": \"9\", \"output_length\": 1, \"hash_ids\": []}",
                "got \"9\"",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2000000, \"output_length\": 1, \"hash_ids\": []}",
                "≤ 1000000",
            ),
            (
                "{\"timestamp\": -1, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": []}",
                "`timestamp`: expected a time in milliseconds ≥ 0, got -1",
            ),
            (
                "{\"timestamp\": null, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": []}",
                "`timestamp`: expected a time",
            ),
            (
                "{\"input_length\": 2, \"output_length\": 1, \"hash_ids\": []}",
                "t.jsonl:2: `timestamp`: missing, but line 1 has it",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 1}",
                "t.jsonl:2: `hash_ids`: missing, but line 1 has it",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": 3}",
                "`hash_ids`: expected an array",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": [-4]}",
                "`hash_ids`: element 0 is -4",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": [1.5]}",
                "element 0 is 1.5",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 1, \"hash_ids\": [18446744073709551616]}",
                "element 0",
            ),
            (
                "{\"timestamp\": 1, \"input_length\": 1025, \"output_length\": 1, \"hash_ids\": [1, 2, 3, 4]}",
                "t.jsonl:2: `hash_ids`: 4 ids for 1025 input tokens, more than ⌈1025 / 512⌉ = 3",
            ),
        ];
        for (line, want) in cases {
            let e = err(&row(line));
            assert!(e.contains(want), "{line}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
        let e = err("{\"timestamp\": 5, \"input_length\": 2, \"output_length\": 1}\n{\"timestamp\": 4.5, \"input_length\": 2, \"output_length\": 1}");
        assert!(
            e.starts_with("t.jsonl:2: `timestamp`: 4.5 ms is before the previous row's 5 ms"),
            "{e}"
        );
        let e = err("{\"input_length\": 2, \"output_length\": 1}\n{\"input_length\": 2, \"output_length\": 1, \"hash_ids\": []}");
        assert!(e.contains("t.jsonl:2: `hash_ids`: present, but line 1 has none"), "{e}");
        assert!(err("").contains("t.jsonl: `rows`: no requests"));
        assert!(err("\n \n").contains("`rows`: no requests"));
        // a long bad value is cut
        let e = err(&row(&format!(
            "{{\"input_length\": \"{}\", \"output_length\": 1}}",
            "x".repeat(500)
        )));
        assert!(e.len() < 400, "{e}");
        // block size 0 is a usage error, not a panic
        assert!(parse("t", b"{}", 0)
            .unwrap_err()
            .to_string()
            .starts_with("--trace-block-size: "));
    }

    #[test]
    fn the_block_size_bounds_the_ids() {
        let s = b"{\"input_length\": 1025, \"output_length\": 1, \"hash_ids\": [1, 2, 3, 4, 5]}";
        assert!(parse("t", s, 512).is_err());
        let t = parse("t", s, 256).unwrap();
        assert_eq!(t.block_tokens(), 256);
        assert_eq!(max_hash_ids(1025, 256), 5);
        assert_eq!(max_hash_ids(1024, 512), 2);
        assert_eq!(max_hash_ids(1, 512), 1);
    }
}

//! Request traces: the Vidur/Splitwise processed-trace CSV layout, the Mooncake JSONL layout
//! (with prefix block ids; see [`super::mooncake`]), and the traces shipped with slasim
//! (`traces/` in the repository, embedded in the binary; see `traces/SOURCE.md`).
//!
//! The format is told by the content, not the file name: a file whose first non-blank byte is
//! `{` is Mooncake JSONL, anything else CSV.

use super::lengths::MAX_TOKENS;
use super::mooncake::{self, MOONCAKE_BLOCK_TOKENS};
use crate::error::{read_file, Error, Result};
use std::path::Path;

/// Column with the arrival time of a request, seconds (optional).
pub const COL_ARRIVED_AT: &str = "arrived_at";
/// Column with the prompt length, tokens (required).
pub const COL_PREFILL: &str = "num_prefill_tokens";
/// Column with the output length, tokens (required).
pub const COL_DECODE: &str = "num_decode_tokens";

/// One row of a request trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceRow {
    /// Arrival time, seconds since the trace's time origin (`None` when the trace has no
    /// `arrived_at` column).
    pub arrived_at_s: Option<f64>,
    /// Input (prompt) length, tokens (≥ 1).
    pub isl: u32,
    /// Output length, tokens (≥ 1).
    pub osl: u32,
}

/// A request trace: rows in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Where it came from (file path, or `NAME (shipped trace)`), for messages.
    pub source: String,
    /// The requests, in file order (arrival order when arrival times are present).
    pub rows: Vec<TraceRow>,
    /// Prefix block ids per row (Mooncake's `hash_ids`), when the trace has them.
    pub prefix: Option<TraceBlockIds>,
}

/// Prefix block ids of a trace's rows: equal ids mean equal content (see
/// [`crate::workload::content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceBlockIds {
    /// Tokens per id (Mooncake: 512; `--trace-block-size`).
    pub block_tokens: u32,
    /// Every row's ids, concatenated in row order.
    pub ids: Vec<u64>,
    /// Row `i`'s ids are `ids[start[i]..start[i + 1]]` (`rows.len() + 1` entries).
    pub start: Vec<u32>,
}

fn expected_columns() -> String {
    format!("expected columns `{COL_PREFILL}`, `{COL_DECODE}` (tokens) and optionally `{COL_ARRIVED_AT}` (seconds)")
}

/// Parses one cell as a finite number; `what` describes the expectation for the message.
pub(crate) fn cell_number(
    source: &str,
    column: &str,
    row: usize,
    line: u64,
    cell: Option<&str>,
    what: &str,
) -> Result<f64> {
    let text = cell.unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Error::data(
            source,
            column,
            format!("row {row} (line {line}): expected {what}, got \"{text}\""),
        )),
    }
}

/// A token count cell: a whole number in `[1, MAX_TOKENS]`.
fn cell_tokens(source: &str, column: &str, row: usize, line: u64, cell: Option<&str>, name: &str) -> Result<u32> {
    let v = cell_number(source, column, row, line, cell, "a token count (a whole number ≥ 1)")?;
    let bad = |p: String| Error::data(source, column, format!("row {row} (line {line}): {p}"));
    if v < 1.0 {
        return Err(bad(format!("{name} must be ≥ 1 token, got {v}")));
    }
    if v.fract() != 0.0 {
        return Err(bad(format!("{name} must be a whole number of tokens, got {v}")));
    }
    if v > MAX_TOKENS as f64 {
        return Err(bad(format!("{name} must be ≤ {MAX_TOKENS} tokens, got {v}")));
    }
    Ok(v as u32)
}

/// Finds the required (or optional) columns of a CSV header.
pub(crate) fn column(
    source: &str,
    headers: &csv::StringRecord,
    name: &str,
    required: bool,
    expected: &str,
) -> Result<Option<usize>> {
    match headers.iter().position(|h| h == name) {
        Some(i) => Ok(Some(i)),
        None if !required => Ok(None),
        None => {
            let have: Vec<String> = headers.iter().map(|h| format!("`{h}`")).collect();
            let have = if have.is_empty() {
                "no columns".to_string()
            } else {
                have.join(", ")
            };
            Err(Error::data(
                source,
                name,
                format!("missing column; the header has {have}; {expected}"),
            ))
        }
    }
}

/// A CSV reader over `bytes` with trimmed fields, after checking the input is not empty.
pub(crate) fn csv_reader<'a>(source: &str, bytes: &'a [u8], expected: &str) -> Result<csv::Reader<&'a [u8]>> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::data(source, "header", format!("empty file; {expected}")));
    }
    Ok(csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes))
}

/// The header of a CSV reader, or a data error.
pub(crate) fn csv_headers(source: &str, rdr: &mut csv::Reader<&[u8]>, expected: &str) -> Result<csv::StringRecord> {
    rdr.headers()
        .cloned()
        .map_err(|e| Error::data(source, "header", format!("unreadable CSV header ({e}); {expected}")))
}

impl Trace {
    /// Tokens per prefix block id (1 when the trace has no ids).
    pub fn block_tokens(&self) -> u32 {
        self.prefix.as_ref().map_or(1, |p| p.block_tokens)
    }

    /// Row `row`'s prefix block ids; `None` when the trace has none or no such row.
    pub fn block_ids(&self, row: usize) -> Option<&[u64]> {
        let p = self.prefix.as_ref()?;
        let (a, b) = (*p.start.get(row)? as usize, *p.start.get(row + 1)? as usize);
        p.ids.get(a..b)
    }

    /// Loads a trace file, telling the format by its content (see the module docs): Mooncake
    /// JSONL ([`Trace::from_jsonl_bytes`], 512 tokens per hash id) or CSV
    /// ([`Trace::from_csv_bytes`]).
    pub fn load(path: &Path) -> Result<Trace> {
        Trace::load_with(path, MOONCAKE_BLOCK_TOKENS)
    }

    /// [`Trace::load`] with `block_tokens` tokens per hash id of a JSONL trace
    /// (`--trace-block-size`; ignored for CSV).
    pub fn load_with(path: &Path, block_tokens: u32) -> Result<Trace> {
        let bytes = read_file(path)?;
        Trace::from_bytes_with(&path.display().to_string(), &bytes, block_tokens)
    }

    /// Parses trace content of either format (see [`Trace::load_with`]); `source` names it in
    /// errors.
    pub fn from_bytes_with(source: &str, bytes: &[u8], block_tokens: u32) -> Result<Trace> {
        if mooncake::looks_like_jsonl(bytes) {
            Trace::from_jsonl_bytes(source, bytes, block_tokens)
        } else {
            Trace::from_csv_bytes(source, bytes)
        }
    }

    /// Parses Mooncake trace JSONL (see [`super::mooncake`]) with `block_tokens` (≥ 1) tokens
    /// per hash id; `source` names it in errors, which read `SOURCE:LINE: `FIELD`: problem`.
    pub fn from_jsonl_bytes(source: &str, bytes: &[u8], block_tokens: u32) -> Result<Trace> {
        mooncake::parse(source, bytes, block_tokens)
    }

    /// The CSV layout: a Vidur/Splitwise processed-trace CSV file has a header row; required columns
    /// `num_prefill_tokens` and `num_decode_tokens` (whole numbers of tokens ≥ 1); optional
    /// `arrived_at` (seconds ≥ 0, non-decreasing); other columns are ignored.
    ///
    /// Errors name the file and column: file missing or unreadable, empty (no rows), missing
    /// column (listing the columns that exist), a non-numeric, non-integer or non-positive token
    /// cell (row and line number), a negative or decreasing `arrived_at`. A row with 0 decode
    /// tokens is rejected (OSL must be ≥ 1), never clamped; the shipped traces have none.
    /// `source` names the content in errors.
    pub fn from_csv_bytes(source: &str, bytes: &[u8]) -> Result<Trace> {
        let expected = expected_columns();
        let mut rdr = csv_reader(source, bytes, &expected)?;
        let headers = csv_headers(source, &mut rdr, &expected)?;
        let i_pre = column(source, &headers, COL_PREFILL, true, &expected)?.unwrap_or(0);
        let i_dec = column(source, &headers, COL_DECODE, true, &expected)?.unwrap_or(0);
        let i_arr = column(source, &headers, COL_ARRIVED_AT, false, &expected)?;
        let mut rows = Vec::new();
        let mut prev = 0.0_f64;
        let mut record = csv::StringRecord::new();
        loop {
            let row = rows.len() + 1;
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(Error::data(source, "row", format!("row {row}: malformed CSV: {e}"))),
            }
            let line = record.position().map_or(row as u64 + 1, |p| p.line());
            let isl = cell_tokens(
                source,
                COL_PREFILL,
                row,
                line,
                record.get(i_pre),
                "ISL (prefill tokens)",
            )?;
            let osl = cell_tokens(source, COL_DECODE, row, line, record.get(i_dec), "OSL (decode tokens)")?;
            let arrived_at_s = match i_arr {
                None => None,
                Some(i) => {
                    let a = cell_number(
                        source,
                        COL_ARRIVED_AT,
                        row,
                        line,
                        record.get(i),
                        "a time in seconds ≥ 0",
                    )?;
                    if a < 0.0 {
                        return Err(Error::data(
                            source,
                            COL_ARRIVED_AT,
                            format!("row {row} (line {line}): expected a time in seconds ≥ 0, got {a}"),
                        ));
                    }
                    if a < prev {
                        return Err(Error::data(
                            source,
                            COL_ARRIVED_AT,
                            format!(
                                "row {row} (line {line}): {a} s is before the previous row's {prev} s; \
                                 arrival times must be non-decreasing"
                            ),
                        ));
                    }
                    prev = a;
                    Some(a)
                }
            };
            rows.push(TraceRow { arrived_at_s, isl, osl });
        }
        if rows.is_empty() {
            return Err(Error::data(
                source,
                "rows",
                format!("no data rows after the header; expected at least one request ({expected})"),
            ));
        }
        Ok(Trace {
            source: source.to_string(),
            rows,
            prefix: None,
        })
    }

    /// Whether every row has an arrival time (so the trace's arrival process can be replayed).
    pub fn has_arrivals(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(|r| r.arrived_at_s.is_some())
    }

    /// Time from the first to the last arrival, seconds (`None` without arrival times).
    pub fn span_s(&self) -> Option<f64> {
        if !self.has_arrivals() {
            return None;
        }
        let first = self.rows.first()?.arrived_at_s?;
        let last = self.rows.last()?.arrived_at_s?;
        Some(last - first)
    }

    /// Mean arrival rate, requests/s: (rows − 1) / span (`None` without arrival times or when all
    /// arrivals share one time).
    pub fn mean_rate_rps(&self) -> Option<f64> {
        let span = self.span_s()?;
        (span > 0.0).then(|| (self.rows.len() - 1) as f64 / span)
    }

    /// Mean ISL and OSL of the rows, tokens (`(0, 0)` for an empty trace).
    pub fn mean_lengths(&self) -> (f64, f64) {
        if self.rows.is_empty() {
            return (0.0, 0.0);
        }
        let n = self.rows.len() as f64;
        let (i, o) = self
            .rows
            .iter()
            .fold((0.0, 0.0), |(i, o), r| (i + r.isl as f64, o + r.osl as f64));
        (i / n, o / n)
    }

    /// Checks a trace built in code against the rules [`Trace::load`] enforces (at least one row,
    /// token counts in `[1, MAX_TOKENS]`, arrival times finite, ≥ 0 and non-decreasing; prefix
    /// block ids: `block_tokens` ≥ 1, one `start` per row + 1, non-decreasing and within `ids`,
    /// at most ⌈isl / block_tokens⌉ ids per row).
    pub fn check(&self) -> Result<()> {
        self.check_rows()?;
        self.check_prefix()
    }

    fn check_prefix(&self) -> Result<()> {
        let Some(p) = &self.prefix else { return Ok(()) };
        let src = self.source.as_str();
        let key = mooncake::KEY_HASH_IDS;
        if p.block_tokens == 0 {
            return Err(Error::data(src, key, "block_tokens must be ≥ 1 token per id, got 0"));
        }
        let consistent = p.start.len() == self.rows.len() + 1
            && p.start.first() == Some(&0)
            && p.start.windows(2).all(|w| w[0] <= w[1])
            && p.start.last().is_some_and(|&e| e as usize == p.ids.len());
        if !consistent {
            return Err(Error::data(
                src,
                key,
                format!(
                    "inconsistent block ids: {} row starts for {} rows and {} ids (expected rows + 1 \
                     non-decreasing starts from 0 to the number of ids)",
                    p.start.len(),
                    self.rows.len(),
                    p.ids.len()
                ),
            ));
        }
        for (i, (r, w)) in self.rows.iter().zip(p.start.windows(2)).enumerate() {
            let n = u64::from(w[1] - w[0]);
            let most = mooncake::max_hash_ids(r.isl, p.block_tokens);
            if n > most {
                return Err(Error::data(
                    src,
                    key,
                    format!(
                        "row {}: {n} ids for {} input tokens, more than ⌈{} / {}⌉ = {most} (one id per block of \
                         {} tokens)",
                        i + 1,
                        r.isl,
                        r.isl,
                        p.block_tokens,
                        p.block_tokens
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_rows(&self) -> Result<()> {
        let src = self.source.as_str();
        if self.rows.is_empty() {
            return Err(Error::data(
                src,
                "rows",
                "the trace has no rows; expected at least one request",
            ));
        }
        let mut prev = 0.0_f64;
        for (i, r) in self.rows.iter().enumerate() {
            let row = i + 1;
            if !(1..=MAX_TOKENS).contains(&r.isl) {
                return Err(Error::data(
                    src,
                    COL_PREFILL,
                    format!("row {row}: ISL must be in [1, {MAX_TOKENS}] tokens, got {}", r.isl),
                ));
            }
            if !(1..=MAX_TOKENS).contains(&r.osl) {
                return Err(Error::data(
                    src,
                    COL_DECODE,
                    format!("row {row}: OSL must be in [1, {MAX_TOKENS}] tokens, got {}", r.osl),
                ));
            }
            if let Some(a) = r.arrived_at_s {
                if !a.is_finite() || a < 0.0 || a < prev {
                    return Err(Error::data(
                        src,
                        COL_ARRIVED_AT,
                        format!("row {row}: expected a finite time ≥ 0 s and ≥ the previous row's {prev} s, got {a}"),
                    ));
                }
                prev = a;
            }
        }
        Ok(())
    }
}

/// Names of the traces shipped with slasim (`traces/NAME.csv` or `traces/NAME.jsonl`, embedded in
/// the binary).
pub const SHIPPED_TRACES: [&str; 4] = [
    "splitwise_conv",
    "splitwise_code",
    "mooncake_conversation",
    "mooncake_synthetic",
];

static SHIPPED: [(&str, &[u8]); 4] = [
    (
        "splitwise_conv",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/splitwise_conv.csv")),
    ),
    (
        "splitwise_code",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/splitwise_code.csv")),
    ),
    (
        "mooncake_conversation",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/traces/mooncake_conversation.jsonl"
        )),
    ),
    (
        "mooncake_synthetic",
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/mooncake_synthetic.jsonl")),
    ),
];

/// A shipped trace by name, parsed from the copy embedded in the binary; `None` for an unknown
/// name. All have arrival times: `splitwise_conv` (19,366 conversation requests over 3,502 s),
/// `splitwise_code` (8,819 coding requests over 3,436 s), `mooncake_conversation` (12,031
/// requests over 3,537 s, mean prompt 12,035 tokens) and `mooncake_synthetic` (3,993 requests
/// over 1,022 s, mean prompt 15,325 tokens); the Mooncake ones have prefix block ids
/// (512 tokens per id).
pub fn shipped_trace(name: &str) -> Option<Result<Trace>> {
    shipped_trace_with(name, MOONCAKE_BLOCK_TOKENS)
}

/// [`shipped_trace`] with `block_tokens` tokens per hash id (`--trace-block-size`).
fn shipped_trace_with(name: &str, block_tokens: u32) -> Option<Result<Trace>> {
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, bytes)| Trace::from_bytes_with(&format!("{n} (shipped trace)"), bytes, block_tokens))
}

/// The raw bytes (CSV or JSONL) of a shipped trace (`None` for an unknown name).
pub fn shipped_trace_bytes(name: &str) -> Option<&'static [u8]> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Resolves a `--trace` value: a shipped trace name (see [`SHIPPED_TRACES`]; takes precedence) or
/// the path of a trace file (CSV or Mooncake JSONL, told by content), with Mooncake's 512 tokens
/// per hash id.
pub fn resolve_trace(spec: &str) -> Result<Trace> {
    resolve_trace_with(spec, MOONCAKE_BLOCK_TOKENS)
}

/// [`resolve_trace`] with `block_tokens` (≥ 1) tokens per hash id of a JSONL trace
/// (`--trace-block-size`); a CSV trace has no ids and ignores it.
pub fn resolve_trace_with(spec: &str, block_tokens: u32) -> Result<Trace> {
    if let Some(t) = shipped_trace_with(spec, block_tokens) {
        return t;
    }
    let path = Path::new(spec);
    if path.is_file() {
        return Trace::load_with(path, block_tokens);
    }
    Err(Error::usage(
        "--trace",
        format!(
            "\"{spec}\" is neither a shipped trace ({}) nor an existing file",
            SHIPPED_TRACES.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(csv: &str) -> Result<Trace> {
        Trace::from_csv_bytes("t.csv", csv.as_bytes())
    }

    fn err(csv: &str) -> String {
        match parse(csv) {
            Ok(t) => panic!("parsed: {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_columns_in_any_order_and_ignores_others() {
        let t = parse("num_decode_tokens,x,arrived_at,num_prefill_tokens\n5,a,0.0,100\n7,b,1.5,200.0\n").unwrap();
        assert_eq!(
            t.rows,
            vec![
                TraceRow {
                    arrived_at_s: Some(0.0),
                    isl: 100,
                    osl: 5
                },
                TraceRow {
                    arrived_at_s: Some(1.5),
                    isl: 200,
                    osl: 7
                },
            ]
        );
        assert!(t.has_arrivals());
        assert_eq!(t.span_s(), Some(1.5));
        assert_eq!(t.mean_rate_rps(), Some(1.0 / 1.5));
        assert_eq!(t.mean_lengths(), (150.0, 6.0));
        t.check().unwrap();
    }

    #[test]
    fn lengths_only_trace() {
        let t = parse("num_prefill_tokens,num_decode_tokens\n10,1\n").unwrap();
        assert!(!t.has_arrivals());
        assert_eq!(t.span_s(), None);
        assert_eq!(
            t.rows[0],
            TraceRow {
                arrived_at_s: None,
                isl: 10,
                osl: 1
            }
        );
    }

    #[test]
    fn bad_traces_name_file_column_and_row() {
        assert!(err("").contains("t.csv: `header`: empty file"));
        assert!(err("num_prefill_tokens,num_decode_tokens\n").contains("`rows`: no data rows"));
        let e = err("arrived_at,num_prefill_tokens\n0,5\n");
        assert!(e.contains("`num_decode_tokens`: missing column"), "{e}");
        assert!(e.contains("`arrived_at`, `num_prefill_tokens`"), "{e}");
        let e = err("a,b\n1,2\n");
        assert!(
            e.contains("`num_prefill_tokens`: missing column; the header has `a`, `b`"),
            "{e}"
        );
        let e = err("num_prefill_tokens,num_decode_tokens\n5,6\n5,0\n");
        assert!(
            e.contains("`num_decode_tokens`: row 2 (line 3): OSL (decode tokens) must be ≥ 1"),
            "{e}"
        );
        let e = err("num_prefill_tokens,num_decode_tokens\n0,6\n");
        assert!(e.contains("`num_prefill_tokens`: row 1 (line 2): ISL"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n-4,6\n");
        assert!(e.contains("must be ≥ 1 token, got -4"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\nabc,6\n");
        assert!(e.contains("row 1 (line 2): expected a token count"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n,6\n");
        assert!(e.contains("got \"\""), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n1.5,6\n");
        assert!(e.contains("whole number"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n5,2000000\n");
        assert!(e.contains("≤ 1000000"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n5,nan\n");
        assert!(e.contains("expected a token count"), "{e}");
        let e = err("arrived_at,num_prefill_tokens,num_decode_tokens\n1.0,5,6\n0.5,5,6\n");
        assert!(
            e.contains("`arrived_at`: row 2 (line 3)") && e.contains("non-decreasing"),
            "{e}"
        );
        let e = err("arrived_at,num_prefill_tokens,num_decode_tokens\n-1,5,6\n");
        assert!(e.contains("`arrived_at`: row 1") && e.contains("≥ 0"), "{e}");
        let e = err("arrived_at,num_prefill_tokens,num_decode_tokens\nsoon,5,6\n");
        assert!(e.contains("expected a time in seconds"), "{e}");
        let e = err("num_prefill_tokens,num_decode_tokens\n5,6,7\n");
        assert!(e.contains("`row`: row 1: malformed CSV"), "{e}");
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = Trace::load(Path::new("/nonexistent/trace.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/trace.csv") && e.contains("cannot read"), "{e}");
    }

    #[test]
    fn check_rejects_bad_rows_built_in_code() {
        let mut t = Trace {
            source: "code".into(),
            rows: vec![],
            prefix: None,
        };
        assert!(t.check().is_err());
        t.rows.push(TraceRow {
            arrived_at_s: Some(1.0),
            isl: 1,
            osl: 0,
        });
        assert!(t.check().unwrap_err().to_string().contains("num_decode_tokens"));
        t.rows[0].osl = 1;
        t.rows.push(TraceRow {
            arrived_at_s: Some(0.5),
            isl: 1,
            osl: 1,
        });
        assert!(t.check().unwrap_err().to_string().contains("arrived_at"));
        t.rows[1].arrived_at_s = Some(1.0);
        t.check().unwrap();
    }

    #[test]
    fn shipped_traces_load() {
        for (name, n, rate) in [("splitwise_conv", 19_366, 5.53), ("splitwise_code", 8_819, 2.57)] {
            let t = shipped_trace(name).expect("known name").expect("valid trace");
            assert_eq!(t.rows.len(), n, "{name}");
            assert!(t.has_arrivals());
            assert_eq!(t.rows[0].arrived_at_s, Some(0.0));
            assert!((t.mean_rate_rps().unwrap_or(0.0) - rate).abs() < 0.01, "{name}");
            let min_osl = t.rows.iter().map(|r| r.osl).min().unwrap_or(0);
            let min_isl = t.rows.iter().map(|r| r.isl).min().unwrap_or(0);
            assert!(min_osl >= 1 && min_isl >= 1);
            assert_eq!(resolve_trace(name).unwrap(), t);
        }
        let conv = shipped_trace("splitwise_conv").unwrap().unwrap();
        assert_eq!(conv.rows.iter().map(|r| r.isl).max(), Some(14_050));
        assert_eq!(conv.rows.iter().map(|r| r.osl).max(), Some(1_000));
        assert!(shipped_trace("nope").is_none());
        assert!(shipped_trace_bytes("splitwise_code").is_some());
    }

    #[test]
    fn shipped_mooncake_traces_load_with_block_ids() {
        // counts and means as in traces/SOURCE.md
        for (name, n, isl, osl, span) in [
            ("mooncake_conversation", 12_031, 12_035.06, 342.62, 3_536.999),
            ("mooncake_synthetic", 3_993, 15_325.48, 149.12, 1_022.025),
        ] {
            let t = shipped_trace(name).expect("known name").expect("valid trace");
            assert_eq!(t.rows.len(), n, "{name}");
            let (mi, mo) = t.mean_lengths();
            assert!((mi - isl).abs() < 0.01 && (mo - osl).abs() < 0.01, "{name}: {mi} {mo}");
            assert_eq!(t.span_s(), Some(span), "{name}");
            assert_eq!(t.block_tokens(), 512);
            let p = t.prefix.as_ref().expect("hash ids");
            assert_eq!(p.start.len(), n + 1);
            // every Mooncake row has exactly ⌈isl / 512⌉ ids
            for (i, r) in t.rows.iter().enumerate() {
                let ids = t.block_ids(i).unwrap_or(&[]);
                assert_eq!(ids.len() as u64, mooncake::max_hash_ids(r.isl, 512), "{name} row {i}");
            }
            t.check().unwrap();
            assert!(shipped_trace_bytes(name).is_some_and(|b| b.first() == Some(&b'{')));
        }
        let conv = shipped_trace("mooncake_conversation").unwrap().unwrap();
        assert_eq!(
            conv.block_ids(0),
            Some(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13][..])
        );
        assert_eq!(conv.rows[0].isl, 6758);
        // a smaller block allows more ids; a larger one rejects the shipped rows
        assert_eq!(
            resolve_trace_with("mooncake_synthetic", 256).unwrap().block_tokens(),
            256
        );
        let e = resolve_trace_with("mooncake_synthetic", 1024).unwrap_err().to_string();
        assert!(
            e.starts_with("mooncake_synthetic (shipped trace):") && e.contains("`hash_ids`"),
            "{e}"
        );
    }

    #[test]
    fn check_rejects_inconsistent_block_ids() {
        let mut t = parse("num_prefill_tokens,num_decode_tokens\n600,1\n").unwrap();
        t.prefix = Some(TraceBlockIds {
            block_tokens: 512,
            ids: vec![1, 2],
            start: vec![0, 2],
        });
        t.check().unwrap();
        t.prefix.as_mut().unwrap().ids.push(3);
        assert!(t.check().unwrap_err().to_string().contains("inconsistent block ids"));
        t.prefix.as_mut().unwrap().start = vec![0, 3];
        let e = t.check().unwrap_err().to_string();
        assert!(e.contains("row 1: 3 ids for 600 input tokens"), "{e}");
        t.prefix.as_mut().unwrap().block_tokens = 0;
        assert!(t.check().is_err());
    }

    #[test]
    fn format_is_told_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("trace.csv"); // a JSONL file with a .csv name
        std::fs::write(&p, "\n{\"input_length\": 3, \"output_length\": 4, \"hash_ids\": [9]}\n").unwrap();
        let t = resolve_trace(p.to_str().unwrap()).unwrap();
        assert_eq!(t.block_ids(0), Some(&[9][..]));
        let e = resolve_trace_with(p.to_str().unwrap(), 1).unwrap();
        assert_eq!(e.block_tokens(), 1);
    }

    #[test]
    fn resolve_trace_paths_and_unknown_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.csv");
        std::fs::write(&p, "num_prefill_tokens,num_decode_tokens\n3,4\n").unwrap();
        let t = resolve_trace(p.to_str().unwrap()).unwrap();
        assert_eq!(t.rows.len(), 1);
        let e = resolve_trace("splitwise_nope").unwrap_err().to_string();
        assert_eq!(
            e,
            "--trace: \"splitwise_nope\" is neither a shipped trace (splitwise_conv, splitwise_code, mooncake_conversation, \
             mooncake_synthetic) nor an existing file"
        );
        // a directory is not a trace file
        assert!(resolve_trace(dir.path().to_str().unwrap()).is_err());
    }
}

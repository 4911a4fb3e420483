//! Piecewise-constant rate schedules (`start_s,rps` CSV files).

use super::trace::{cell_number, column, csv_headers, csv_reader};
use crate::error::{read_file, Error, Result};
use std::path::Path;

const EXPECTED: &str = "expected a CSV with header `start_s,rps`: step start times in seconds (first 0, \
                        increasing) and rates in requests/s (≥ 0, at least one > 0)";

/// Loads a piecewise rate schedule file: CSV with header `start_s,rps` (other columns ignored);
/// one row per step: `start_s` in seconds (first row 0, strictly increasing), `rps` in
/// requests/s (finite, ≥ 0, at least one > 0). Each step lasts until the next one starts; the
/// last lasts forever. Returns the `(start_s, rps)` steps for [`super::ArrivalPattern::Piecewise`].
pub fn load_rate_schedule(path: &Path) -> Result<Vec<(f64, f64)>> {
    let bytes = read_file(path)?;
    parse_rate_schedule(&path.display().to_string(), &bytes)
}

/// Parses rate-schedule CSV content (see [`load_rate_schedule`]); `source` names it in errors.
pub fn parse_rate_schedule(source: &str, bytes: &[u8]) -> Result<Vec<(f64, f64)>> {
    let mut rdr = csv_reader(source, bytes, EXPECTED)?;
    let headers = csv_headers(source, &mut rdr, EXPECTED)?;
    let i_start = column(source, &headers, "start_s", true, EXPECTED)?.unwrap_or(0);
    let i_rps = column(source, &headers, "rps", true, EXPECTED)?.unwrap_or(0);
    let mut steps: Vec<(f64, f64)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let row = steps.len() + 1;
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Error::data(source, "row", format!("row {row}: malformed CSV: {e}"))),
        }
        let line = record.position().map_or(row as u64 + 1, |p| p.line());
        let start = cell_number(source, "start_s", row, line, record.get(i_start), "a time in seconds")?;
        let rps = cell_number(source, "rps", row, line, record.get(i_rps), "a rate in requests/s ≥ 0")?;
        if let Some((col, problem)) = step_problem(&steps, start, rps) {
            return Err(Error::data(source, col, format!("row {row} (line {line}): {problem}")));
        }
        steps.push((start, rps));
    }
    if steps.is_empty() {
        return Err(Error::data(
            source,
            "rows",
            format!("no steps after the header; {EXPECTED}"),
        ));
    }
    if let Some(p) = schedule_problem(&steps) {
        return Err(Error::data(source, "rps", p));
    }
    Ok(steps)
}

/// What is wrong with appending step `(start, rps)` to `prev`, as (column, problem).
fn step_problem(prev: &[(f64, f64)], start: f64, rps: f64) -> Option<(&'static str, String)> {
    if !start.is_finite() {
        return Some(("start_s", format!("expected a finite time in seconds, got {start}")));
    }
    match prev.last() {
        None if start != 0.0 => return Some(("start_s", format!("the first step must start at 0 s, got {start}"))),
        Some(&(p, _)) if start <= p => {
            return Some((
                "start_s",
                format!("{start} s is not after the previous step's {p} s; steps must be sorted by start_s, strictly increasing"),
            ))
        }
        _ => {}
    }
    if !rps.is_finite() || rps < 0.0 {
        return Some(("rps", format!("expected a finite rate in requests/s ≥ 0, got {rps}")));
    }
    None
}

fn schedule_problem(steps: &[(f64, f64)]) -> Option<String> {
    if !steps.iter().any(|&(_, r)| r > 0.0) {
        return Some("every step has rate 0; expected at least one step with rps > 0".to_string());
    }
    None
}

/// Checks `(start_s, rps)` steps (as [`load_rate_schedule`] does), returning the problem.
pub(crate) fn check_steps(steps: &[(f64, f64)]) -> std::result::Result<(), String> {
    if steps.is_empty() {
        return Err("no steps; expected at least one (start_s, rps) step starting at 0 s".to_string());
    }
    for (i, &(start, rps)) in steps.iter().enumerate() {
        if let Some((col, p)) = step_problem(&steps[..i], start, rps) {
            return Err(format!("step {} ({col}): {p}", i + 1));
        }
    }
    schedule_problem(steps).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<(f64, f64)>> {
        parse_rate_schedule("rates.csv", s.as_bytes())
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(v) => panic!("parsed {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_schedule() {
        assert_eq!(
            parse("start_s,rps\n0,5\n60,10.5\n120,0\n").unwrap(),
            vec![(0.0, 5.0), (60.0, 10.5), (120.0, 0.0)]
        );
        assert_eq!(parse("rps,note,start_s\n3,x,0\n").unwrap(), vec![(0.0, 3.0)]);
        check_steps(&[(0.0, 0.0), (10.0, 1.0)]).unwrap();
    }

    #[test]
    fn bad_schedules() {
        assert!(err("").contains("rates.csv: `header`: empty file"));
        assert!(err("start_s,rps\n").contains("`rows`: no steps"));
        assert!(err("start,rps\n0,1\n").contains("`start_s`: missing column; the header has `start`, `rps`"));
        assert!(err("start_s,rps\n5,1\n").contains("`start_s`: row 1 (line 2): the first step must start at 0 s"));
        assert!(err("start_s,rps\n0,1\n10,2\n10,3\n").contains("`start_s`: row 3 (line 4)"));
        assert!(err("start_s,rps\n0,1\n10,2\n5,3\n").contains("strictly increasing"));
        assert!(err("start_s,rps\n0,-1\n").contains("`rps`: row 1 (line 2): expected a finite rate"));
        assert!(err("start_s,rps\n0,x\n").contains("`rps`: row 1 (line 2): expected a rate"));
        assert!(err("start_s,rps\n0,inf\n").contains("`rps`"));
        assert!(err("start_s,rps\n0,0\n10,0\n").contains("at least one step with rps > 0"));
        let e = load_rate_schedule(Path::new("/nonexistent/rates.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
        assert!(check_steps(&[]).is_err());
        assert!(check_steps(&[(1.0, 1.0)]).unwrap_err().contains("start at 0"));
        assert!(check_steps(&[(0.0, f64::NAN)]).is_err());
    }

    #[test]
    fn loads_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "start_s,rps\n0,2\n30,4\n").unwrap();
        assert_eq!(load_rate_schedule(&p).unwrap(), vec![(0.0, 2.0), (30.0, 4.0)]);
    }
}

//! Shard files, merging, ranking, the Pareto front and the sweep outputs (JSON, CSV, table).
//!
//! # Ranking
//! Configurations are ranked by: evaluated without error first; then those meeting the SLA at
//! every level of the target workload (`sla_met`); then goodput per GPU at the max SLA rate
//! (`goodput_per_gpu`, req/s/GPU, higher first); then fewer GPUs; then enumeration order. The
//! `best` configuration is rank 1 (`null` when no configuration has positive goodput).
//!
//! # Pareto front
//! Each evaluated configuration with a positive max SLA rate is a point (tokens/s/user, output
//! tokens/s/GPU) at that rate; `pareto` marks those no other point beats in both (≥ in both and
//! > in one).

use super::evaluate::{ConfigResult, RunPoint, RPS_TOLERANCE};
use super::space::Shard;
use crate::error::{read_file, Error, Result};
use crate::output::text_table;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::path::Path;

/// `format` of a shard file.
pub const SHARD_FORMAT: &str = "slasim-sweep-shard/1";

/// What a sweep run writes before the final report: the per-configuration results of one
/// shard (the whole space for an unsharded run), plus the sweep's settings to check merges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// Always [`SHARD_FORMAT`].
    pub format: String,
    /// The sweep settings (model, GPU, space, workload, SLA, search, `num_configs`,
    /// `fingerprint`); equal in every shard of one sweep.
    pub sweep: Value,
    /// Which shard this is.
    pub shard: Shard,
    /// False while the run is in progress (a checkpoint); merge refuses incomplete shards.
    pub complete: bool,
    /// Results of the configurations evaluated so far, by configuration index.
    pub results: Vec<ConfigResult>,
}

impl ShardFile {
    /// Serialises as pretty JSON with a trailing newline.
    pub fn to_text(&self) -> Result<String> {
        let mut s = serde_json::to_string_pretty(self).map_err(|e| Error::data("(shard)", "(json)", e.to_string()))?;
        s.push('\n');
        Ok(s)
    }

    /// Parses a shard file's text; `file` names it in errors.
    pub fn from_text(file: &str, text: &str) -> Result<ShardFile> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::data(file, "(json)", format!("is not valid JSON: {e}")))?;
        if v.get("format").and_then(Value::as_str) != Some(SHARD_FORMAT) {
            let hint = if v.get("configs").is_some() {
                " (this is a final sweep report; merge takes the files written with --shard I/N --json FILE)"
            } else {
                ""
            };
            return Err(Error::data(
                file,
                "format",
                format!("expected \"{SHARD_FORMAT}\"{hint}"),
            ));
        }
        let s: ShardFile = serde_json::from_value(v).map_err(|e| Error::data(file, "(shard)", e.to_string()))?;
        let n = s.num_configs(file)?;
        for r in &s.results {
            if r.config.index >= n || !s.shard.owns(r.config.index) {
                return Err(Error::data(
                    file,
                    "results",
                    format!(
                        "configuration {} (index {}) does not belong to shard {}/{}",
                        r.config.id, r.config.index, s.shard.index, s.shard.count
                    ),
                ));
            }
        }
        Ok(s)
    }

    /// Reads a shard file.
    pub fn load(path: &Path) -> Result<ShardFile> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8 text"))?;
        ShardFile::from_text(&file, text)
    }

    /// `sweep.num_configs`.
    pub fn num_configs(&self, file: &str) -> Result<usize> {
        self.sweep
            .get("num_configs")
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .ok_or_else(|| Error::data(file, "sweep.num_configs", "missing or not a count"))
    }
}

/// Combines the shards of one sweep into the complete, index-ordered results. Errors (naming
/// the file): shards of different sweeps or shard counts, duplicate or missing shards,
/// incomplete shards.
pub fn merge_shards(shards: Vec<(String, ShardFile)>) -> Result<(Value, Vec<ConfigResult>)> {
    let Some((file0, first)) = shards.first() else {
        return Err(Error::usage("merge", "give at least one shard file"));
    };
    let file0 = file0.clone();
    let header = first.sweep.clone();
    let count = first.shard.count;
    let n = first.num_configs(&file0)?;
    let mut seen = vec![false; count as usize];
    let mut out: Vec<Option<ConfigResult>> = vec![None; n];
    for (file, s) in shards {
        if s.sweep != header {
            return Err(Error::data(
                &file,
                "sweep",
                format!("comes from a different sweep than {file0} (settings or space differ)"),
            ));
        }
        if s.shard.count != count {
            return Err(Error::data(
                &file,
                "shard.count",
                format!("is {}, but {file0} has {count}", s.shard.count),
            ));
        }
        if std::mem::replace(&mut seen[s.shard.index as usize], true) {
            return Err(Error::data(
                &file,
                "shard.index",
                format!("shard {} given twice", s.shard.index),
            ));
        }
        if !s.complete {
            return Err(Error::data(
                &file,
                "complete",
                "the shard's run has not finished; rerun it with --resume to complete it",
            ));
        }
        for r in s.results {
            let i = r.config.index;
            if i >= n || out[i].is_some() {
                return Err(Error::data(
                    &file,
                    "results",
                    format!("configuration index {i} repeated or out of range"),
                ));
            }
            out[i] = Some(r);
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(Error::usage(
            "merge",
            format!(
                "shard {missing}/{count} is missing ({} of {count} given)",
                seen.iter().filter(|s| **s).count()
            ),
        ));
    }
    let results: Option<Vec<ConfigResult>> = out.into_iter().collect();
    let results = results.ok_or_else(|| Error::usage("merge", "the shards do not cover every configuration"))?;
    Ok((header, results))
}

/// A configuration with its rank and Pareto flag.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The result.
    pub result: ConfigResult,
    /// 1-based rank.
    pub rank: usize,
    /// On the Pareto front of tokens/s/GPU vs tokens/s/user.
    pub pareto: bool,
}

/// The final sweep report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Sweep settings.
    pub header: Value,
    /// Configurations in rank order.
    pub ranked: Vec<Ranked>,
    /// Id of rank 1, when it has positive goodput.
    pub best: Option<String>,
    /// Why the best wins (one sentence).
    pub why: String,
}

fn cmp_rank(a: &ConfigResult, b: &ConfigResult) -> Ordering {
    a.error
        .is_some()
        .cmp(&b.error.is_some())
        .then(b.sla_met.cmp(&a.sla_met))
        .then(b.goodput_per_gpu().total_cmp(&a.goodput_per_gpu()))
        .then(a.num_gpus.cmp(&b.num_gpus))
        .then(a.config.index.cmp(&b.config.index))
}

/// Pareto flags of `results` (same order).
pub fn pareto_flags(results: &[ConfigResult]) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].error.is_none() && results[i].max_rps_meeting_sla > 0.0)
        .collect();
    let x = |i: usize| results[i].tokens_per_s_per_user();
    let y = |i: usize| results[i].tokens_per_s_per_gpu();
    idx.sort_by(|&a, &b| x(b).total_cmp(&x(a)).then(y(b).total_cmp(&y(a))).then(a.cmp(&b)));
    let mut flags = vec![false; results.len()];
    let mut best_prev = f64::NEG_INFINITY; // max y over strictly larger x
    let mut k = 0;
    while k < idx.len() {
        let gx = x(idx[k]);
        let gmax = y(idx[k]);
        let mut j = k;
        while j < idx.len() && x(idx[j]).total_cmp(&gx) == Ordering::Equal {
            let yi = y(idx[j]);
            flags[idx[j]] = yi > best_prev && yi.total_cmp(&gmax) == Ordering::Equal;
            j += 1;
        }
        best_prev = best_prev.max(gmax);
        k = j;
    }
    flags
}

/// Ranks `results` (complete, in index order) and builds the report. Both `sweep` and `merge`
/// end here, so their outputs are identical.
pub fn finalize(header: Value, results: Vec<ConfigResult>) -> Report {
    let flags = pareto_flags(&results);
    let mut ranked: Vec<Ranked> = results
        .into_iter()
        .zip(flags)
        .map(|(result, pareto)| Ranked {
            result,
            rank: 0,
            pareto,
        })
        .collect();
    ranked.sort_by(|a, b| cmp_rank(&a.result, &b.result));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    let best = ranked
        .first()
        .filter(|r| r.result.error.is_none() && r.result.goodput_per_gpu() > 0.0)
        .map(|r| r.result.config.id.clone());
    let why = why_text(&header, &ranked, best.is_some());
    Report {
        header,
        ranked,
        best,
        why,
    }
}

fn sla_words(header: &Value) -> String {
    let f = |k: &str| header.pointer(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    format!(
        "TTFT ≤ {} ms and ITL ≤ {} ms for ≥ {}% of requests",
        f("/sla/ttft_ms"),
        f("/sla/itl_ms"),
        f("/sla/quantile") * 100.0
    )
}

fn why_text(header: &Value, ranked: &[Ranked], has_best: bool) -> String {
    let Some(b) = ranked.first().filter(|_| has_best) else {
        return format!(
            "no configuration reaches any goodput under the SLA ({}); loosen the SLA or widen the space",
            sla_words(header)
        );
    };
    let r = &b.result;
    let mut s = format!(
        "{} wins: {:.0} output tokens/s/GPU at the SLA ({}), i.e. up to {:.2} req/s on {} GPU(s) = {:.3} req/s/GPU goodput",
        r.config.id,
        r.tokens_per_s_per_gpu(),
        sla_words(header),
        r.max_rps_meeting_sla,
        r.num_gpus,
        r.goodput_per_gpu()
    );
    if !r.sla_met {
        s.push_str("; note: no configuration meets the SLA at every level of the target workload");
    } else {
        s.push_str(", and it meets the SLA at every level of the target workload");
    }
    let same = |n: &Ranked| {
        n.result.error.is_none()
            && n.result.sla_met == r.sla_met
            && n.result.goodput_per_gpu().total_cmp(&r.goodput_per_gpu()) == Ordering::Equal
    };
    let ties = ranked.iter().skip(1).take_while(|n| same(n)).count();
    if ties > 0 {
        s.push_str(&format!(
            "; {ties} configuration(s) tie with it (same goodput/GPU: knobs that do not matter here); the fewest GPUs, then the earliest in the space, is listed first"
        ));
    }
    if let Some(next) = ranked.get(1 + ties).filter(|n| n.result.error.is_none()) {
        let n = &next.result;
        let (a, bb) = (r.tokens_per_s_per_gpu(), n.tokens_per_s_per_gpu());
        if n.sla_met == r.sla_met {
            let pct = if a > 0.0 { (1.0 - bb / a) * 100.0 } else { 0.0 };
            s.push_str(&format!(
                "; next best {} gives {:.0} tokens/s/GPU ({:.3} req/s/GPU, {pct:.1}% less per GPU)",
                n.config.id,
                bb,
                n.goodput_per_gpu(),
            ));
        } else {
            s.push_str(&format!(
                "; next best {} misses the SLA at the target load",
                n.config.id
            ));
        }
    }
    s
}

fn run_point_json(p: &RunPoint) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

impl Report {
    /// The report as JSON (SPEC §7 `sweep --json`: `configs` in rank order and `best`, plus the
    /// settings and detail fields).
    pub fn to_json(&self) -> Value {
        let configs: Vec<Value> = self
            .ranked
            .iter()
            .map(|k| {
                let r = &k.result;
                let c = &r.config;
                let mut o = json!({
                    "id": c.id,
                    "mode": c.mode.to_string(),
                    "prefill": {"tp": c.prefill_tp, "workers": c.prefill_workers},
                    "decode": {"tp": c.decode_tp, "workers": c.decode_workers},
                    "num_gpus": r.num_gpus,
                    "profile_origin": r.profile_origin,
                    "goodput_per_gpu": r.goodput_per_gpu(),
                    "max_rps_meeting_sla": r.max_rps_meeting_sla,
                    "sla_met": r.sla_met,
                    "pareto": k.pareto,
                    "rank": k.rank,
                    "index": c.index,
                    "max_num_seqs": c.max_num_seqs,
                    "scheduler": c.scheduler.to_string(),
                    "profiles": {"prefill": r.prefill_profile, "decode": r.decode_profile},
                    "tokens_per_s_per_gpu": r.tokens_per_s_per_gpu(),
                    "tokens_per_s_per_user": r.tokens_per_s_per_user(),
                    "at_max_rps": r.at_max_rps.as_ref().map(run_point_json),
                    "levels": r.levels.iter().map(run_point_json).collect::<Vec<_>>(),
                    "simulations": r.simulations,
                });
                if let (Some(e), Value::Object(m)) = (&r.error, &mut o) {
                    m.insert("error".into(), json!(e));
                }
                o
            })
            .collect();
        json!({
            "sweep": self.header,
            "configs": configs,
            "best": self.best,
            "why": self.why,
        })
    }

    /// The report as pretty JSON text with a trailing newline.
    pub fn to_json_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        s.push('\n');
        s
    }

    /// One CSV row per configuration, in rank order.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| Error::data("(csv)", "(csv)", e.to_string());
        w.write_record([
            "rank",
            "id",
            "mode",
            "prefill_tp",
            "prefill_workers",
            "decode_tp",
            "decode_workers",
            "num_gpus",
            "max_num_seqs",
            "scheduler",
            "profile_origin",
            "max_rps_meeting_sla",
            "goodput_per_gpu",
            "tokens_per_s_per_gpu",
            "tokens_per_s_per_user",
            "ttft_p90_ms_at_max_rps",
            "itl_p90_ms_at_max_rps",
            "sla_met",
            "min_level_sla_hit_rate",
            "pareto",
            "error",
        ])
        .map_err(err)?;
        for k in &self.ranked {
            let r = &k.result;
            let c = &r.config;
            let at = r.at_max_rps.clone().unwrap_or_default();
            let min_hit = r.levels.iter().map(|l| l.sla_hit_rate).fold(f64::INFINITY, f64::min);
            w.write_record([
                k.rank.to_string(),
                c.id.clone(),
                c.mode.to_string(),
                c.prefill_tp.to_string(),
                c.prefill_workers.to_string(),
                c.decode_tp.to_string(),
                c.decode_workers.to_string(),
                r.num_gpus.to_string(),
                c.max_num_seqs.to_string(),
                c.scheduler.to_string(),
                r.profile_origin.clone(),
                r.max_rps_meeting_sla.to_string(),
                r.goodput_per_gpu().to_string(),
                r.tokens_per_s_per_gpu().to_string(),
                r.tokens_per_s_per_user().to_string(),
                at.ttft_ms.p90.to_string(),
                at.itl_ms.p90.to_string(),
                r.sla_met.to_string(),
                if min_hit.is_finite() {
                    min_hit.to_string()
                } else {
                    String::new()
                },
                k.pareto.to_string(),
                r.error.clone().unwrap_or_default(),
            ])
            .map_err(err)?;
        }
        w.into_inner().map_err(|e| Error::data("(csv)", "(csv)", e.to_string()))
    }

    /// The terminal table of the `top` best configurations, then the verdict.
    pub fn table(&self, top: usize) -> String {
        let mut rows = vec![vec![
            "rank".to_string(),
            "config".into(),
            "GPUs".into(),
            "origin".into(),
            "max req/s @SLA".into(),
            "goodput req/s/GPU".into(),
            "tok/s/GPU".into(),
            "tok/s/user".into(),
            "TTFT p90 ms".into(),
            "ITL p90 ms".into(),
            "target SLA".into(),
            "pareto".into(),
        ]];
        for k in self.ranked.iter().take(top) {
            let r = &k.result;
            if let Some(e) = &r.error {
                rows.push(vec![
                    k.rank.to_string(),
                    r.config.id.clone(),
                    r.num_gpus.to_string(),
                    r.profile_origin.clone(),
                    format!("error: {e}"),
                ]);
                continue;
            }
            let at = r.at_max_rps.clone().unwrap_or_default();
            let min_hit = r.levels.iter().map(|l| l.sla_hit_rate).fold(f64::INFINITY, f64::min);
            rows.push(vec![
                k.rank.to_string(),
                r.config.id.clone(),
                r.num_gpus.to_string(),
                r.profile_origin.clone(),
                format!("{:.2}", r.max_rps_meeting_sla),
                format!("{:.3}", r.goodput_per_gpu()),
                format!("{:.0}", r.tokens_per_s_per_gpu()),
                format!("{:.1}", r.tokens_per_s_per_user()),
                format!("{:.1}", at.ttft_ms.p90),
                format!("{:.2}", at.itl_ms.p90),
                if !min_hit.is_finite() {
                    "-".into()
                } else {
                    format!("{} ({:.0}%)", if r.sla_met { "met" } else { "MISSED" }, min_hit * 100.0)
                },
                if k.pareto { "*".into() } else { String::new() },
            ]);
        }
        let mut s = text_table(&rows);
        if self.ranked.len() > top {
            s.push_str(&format!("… {} more (see --json / --csv)\n", self.ranked.len() - top));
        }
        s.push_str(&format!(
            "\nmax req/s @SLA: largest Poisson rate meeting the SLA (bisection to {:.0}%); goodput, tok/s and latency \
             columns are at that rate; target SLA: every target-load level meets it (lowest hit rate shown); \
             * = Pareto front of tok/s/GPU vs tok/s/user.\n",
            RPS_TOLERANCE * 100.0
        ));
        s.push_str(&format!("{}\n", self.why));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::space::ConfigPoint;
    use crate::sim::deployment::{Mode, SchedulerKind};

    fn res(i: usize, x: f64, y: f64) -> ConfigResult {
        let c = ConfigPoint {
            index: i,
            id: format!("c{i}"),
            mode: Mode::Agg,
            prefill_tp: 1,
            prefill_workers: 1,
            decode_tp: 1,
            decode_workers: 1,
            max_num_seqs: 8,
            scheduler: SchedulerKind::Vllm,
        };
        let mut r = ConfigResult::failed(c, "analytic".into(), String::new());
        r.error = None;
        r.max_rps_meeting_sla = 1.0;
        r.at_max_rps = Some(RunPoint {
            tokens_per_s_per_user: x,
            tokens_per_s_per_gpu: y,
            goodput_per_gpu: y,
            ..Default::default()
        });
        r
    }

    #[test]
    fn pareto_front() {
        let v = vec![
            res(0, 10.0, 100.0),
            res(1, 20.0, 50.0),
            res(2, 15.0, 40.0), // dominated by 1
            res(3, 20.0, 50.0), // equal to 1: both on the front
            res(4, 5.0, 100.0), // dominated by 0 (same y, lower x)
            res(5, 30.0, 10.0),
        ];
        assert_eq!(pareto_flags(&v), [true, true, false, true, false, true]);
    }

    #[test]
    fn ranks_by_goodput_per_gpu() {
        let rep = finalize(json!({}), vec![res(0, 1.0, 5.0), res(1, 1.0, 9.0), res(2, 1.0, 7.0)]);
        let ids: Vec<&str> = rep.ranked.iter().map(|r| r.result.config.id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2", "c0"]);
        assert_eq!(rep.best.as_deref(), Some("c1"));
    }
}

//! `summary.txt`: the human-readable tables and the recommendation.
//!
//! Every number is formatted from the value stored in `comparison_results.json` by the
//! functions here, at a fixed precision: ms and % with [`MS_DECIMALS`] / [`PCT_DECIMALS`]
//! decimals, minutes with [`MIN_DECIMALS`], GPU-hours with [`GPU_HOURS_DECIMALS`], request
//! rates with [`RATE_DECIMALS`]; an SLA hit rate (a share 0..=1 in the JSON) is printed as a
//! percentage (× 100) with [`PCT_DECIMALS`]. A missing value prints as `n/a`.

use super::cost::CostSource;
use super::{MethodKind, MethodResult, RealComparison};

/// Decimals of latencies (ms).
pub const MS_DECIMALS: usize = 1;
/// Decimals of percentages (errors, MAPE, SLA hit rates × 100).
pub const PCT_DECIMALS: usize = 1;
/// Decimals of durations (minutes).
pub const MIN_DECIMALS: usize = 1;
/// Decimals of GPU-hours.
pub const GPU_HOURS_DECIMALS: usize = 3;
/// Decimals of request rates (req/s, req/s/GPU).
pub const RATE_DECIMALS: usize = 3;

/// Shown for a missing value.
pub const NA: &str = "n/a";

/// `v` with `decimals` decimals (half away from zero is not guaranteed: Rust's formatting
/// rounds half to even on the binary value); never `-0.0`.
pub fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Like [`fixed`] with an explicit `+` on positive values (signed errors).
pub fn signed(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    if s.starts_with('-') || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| NA.to_string())
}

fn ms(v: Option<f64>) -> String {
    opt(v, |x| fixed(x, MS_DECIMALS))
}

fn err(v: Option<f64>) -> String {
    opt(v, |x| signed(x, PCT_DECIMALS))
}

fn share(v: Option<f64>) -> String {
    opt(v, |x| fixed(x * 100.0, PCT_DECIMALS))
}

fn rate(v: Option<f64>) -> String {
    opt(v, |x| fixed(x, RATE_DECIMALS))
}

fn pct(v: f64) -> String {
    fixed(v, PCT_DECIMALS)
}

/// The header of the per-level table (the integration tests find the table by it).
pub const LEVEL_TABLE_HEADER: [&str; 13] = [
    "method",
    "level",
    "conc",
    "TTFT p50 pred ms",
    "TTFT p50 act ms",
    "TTFT err %",
    "ITL p50 pred ms",
    "ITL p50 act ms",
    "ITL err %",
    "SLA hit pred %",
    "SLA hit act %",
    "goodput/GPU pred",
    "goodput/GPU act",
];

/// Whether a cell is right-aligned: numbers (with sign, `%`, `x`) and [`NA`].
fn right_aligned(c: &str) -> bool {
    let t = c.trim_start_matches(['-', '+']);
    c == NA
        || (t.chars().next().is_some_and(|ch| ch.is_ascii_digit())
            && t.chars().all(|ch| ch.is_ascii_digit() || ".%x".contains(ch)))
}

/// An aligned text table (first row the header, then a rule): numbers and `n/a` right-aligned,
/// text left-aligned, columns two spaces apart.
fn text_table(rows: &[Vec<String>]) -> String {
    let ncol = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut width = vec![0usize; ncol];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    // a column is right-aligned when every body cell is
    let right: Vec<bool> = (0..ncol)
        .map(|i| rows.len() > 1 && rows[1..].iter().all(|r| r.get(i).is_none_or(|c| right_aligned(c))))
        .collect();
    let mut out = String::new();
    for (ri, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(width[i] - c.chars().count());
            if right[i] {
                line.push_str(&pad);
                line.push_str(c);
            } else {
                line.push_str(c);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if ri == 0 {
            let last = r.len().saturating_sub(1);
            // the rule spans the table, except a long free-text last column
            let total: usize = width[..last].iter().sum::<usize>() + 2 * last + r[last].chars().count();
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

fn config_text(m: &MethodResult) -> String {
    format!("P TP{} + D TP{}", m.config.prefill_tp, m.config.decode_tp)
}

fn wrap(text: &str, width: usize, indent: &str, first: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for w in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + w.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(w);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// The text of `summary.txt`.
pub fn summary_text(c: &RealComparison) -> String {
    let i = &c.inputs;
    let mut s = String::new();
    s.push_str("slasim compare-methods: real profiling results (mode \"results\")\n\n");
    s.push_str(&format!(
        "SLA: TTFT <= {} ms, ITL <= {} ms · ISL {} · OSL {} · MAX_BS {} ({}) · {} seed(s) per level\n",
        i.sla.ttft_ms, i.sla.itl_ms, i.isl, i.osl, i.max_bs, i.max_bs_source, i.seeds
    ));
    s.push_str(match &i.calibration {
        None => "Calibration: none (each method's raw profile, i.e. what the method itself predicts)\n",
        Some(_) => "Calibration: the --calibration parameters, applied to every method's profile\n",
    });
    s.push_str(
        "Error % = (predicted - actual) / actual x 100, signed (negative = under-predicted); MAPE = mean |error %| over \
         the levels with actuals.\nPredictions simulate each method's own profile: 1 prefill worker + 1 decode worker \
         at its recommended TPs, max_num_seqs = MAX_BS, closed loop.\n\n",
    );

    s.push_str("Load levels (the same for every method)\n");
    let mut rows = vec![vec![
        "level".to_string(),
        "concurrency".into(),
        "requests".into(),
        "ISL".into(),
        "OSL".into(),
        "source".into(),
    ]];
    for l in &c.levels {
        rows.push(vec![
            l.name.clone(),
            l.concurrency.to_string(),
            l.requests.to_string(),
            l.isl.to_string(),
            l.osl.to_string(),
            l.source.clone(),
        ]);
    }
    s.push_str(&text_table(&rows));
    s.push('\n');

    s.push_str("Methods\n");
    let mut rows = vec![vec![
        "method".to_string(),
        "kind".into(),
        "config".into(),
        "config source".into(),
        "GPUs".into(),
        "model".into(),
        "GPU".into(),
        "backend".into(),
        "decode KV tokens".into(),
        "validation".into(),
    ]];
    for m in &c.methods {
        rows.push(vec![
            m.label.clone(),
            m.kind.to_string(),
            config_text(m),
            m.config.source.to_string(),
            m.config.num_gpus.to_string(),
            m.profile.model.clone(),
            m.profile.gpu.clone(),
            m.profile.backend.clone(),
            fixed(m.profile.kv_capacity_tokens, 0),
            if m.has_validation {
                format!("{} run(s)", m.validation.len())
            } else {
                "none".into()
            },
        ]);
    }
    s.push_str(&text_table(&rows));
    s.push('\n');

    s.push_str("Cost of the profiling run\n");
    let mut rows = vec![vec![
        "method".to_string(),
        "cost source".into(),
        "duration min".into(),
        "GPU-h".into(),
        "deployments".into(),
    ]];
    for m in &c.methods {
        rows.push(vec![
            m.label.clone(),
            m.cost.source.to_string(),
            fixed(m.cost.duration_min, MIN_DECIMALS),
            fixed(m.cost.gpu_hours, GPU_HOURS_DECIMALS),
            m.cost.deployments.to_string(),
        ]);
    }
    s.push_str(&text_table(&rows));
    s.push('\n');

    s.push_str(
        "Predicted vs actual at each level (p50 latencies; SLA hit = share of requests meeting both targets; \
         goodput/GPU in req/s/GPU)\n",
    );
    let mut rows = vec![LEVEL_TABLE_HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for m in &c.methods {
        for l in &m.levels {
            let a = l.actual.as_ref();
            rows.push(vec![
                m.label.clone(),
                l.name.clone(),
                l.concurrency.to_string(),
                ms(l.predicted.ttft_p50_ms),
                ms(a.and_then(|a| a.ttft_p50_ms)),
                err(l.error_pct.ttft_p50_ms),
                ms(l.predicted.itl_p50_ms),
                ms(a.and_then(|a| a.itl_p50_ms)),
                err(l.error_pct.itl_p50_ms),
                share(l.predicted.sla_hit_rate),
                share(a.and_then(|a| a.sla_hit_rate)),
                rate(l.predicted.goodput_per_gpu),
                rate(a.and_then(|a| a.goodput_per_gpu)),
            ]);
        }
    }
    s.push_str(&text_table(&rows));
    s.push('\n');

    s.push_str("Accuracy (MAPE of the p50 latencies over the levels with actuals)\n");
    for m in &c.methods {
        if m.mape.levels_with_actuals == 0 {
            s.push_str(&format!(
                "{}: no validation runs, so no actual values: the accuracy of its predictions is unknown\n",
                m.label
            ));
        } else {
            s.push_str(&format!(
                "{}: TTFT p50 MAPE {} %, ITL p50 MAPE {} %, combined {} % ({} level(s))\n",
                m.label,
                opt(m.mape.ttft_p50_pct, pct),
                opt(m.mape.itl_p50_pct, pct),
                opt(m.mape.combined_pct, pct),
                m.mape.levels_with_actuals
            ));
        }
    }
    s.push('\n');

    s.push_str("Suggested operating points (profile_sla.log; batch-1 numbers, not load-level predictions)\n");
    let mut any = false;
    for m in &c.methods {
        if let Some(g) = &m.suggested {
            any = true;
            let tp = |t: Option<u32>| t.map_or_else(|| "?".to_string(), |t| t.to_string());
            s.push_str(&format!(
                "{}: prefill TP{} TTFT {} ms ({} tokens/s/GPU); decode TP{} ITL {} ms ({} tokens/s/GPU)\n",
                m.label,
                tp(g.prefill_tp),
                ms(g.ttft_ms),
                opt(g.prefill_thpt_per_gpu, |x| fixed(x, 1)),
                tp(g.decode_tp),
                ms(g.itl_ms),
                opt(g.decode_thpt_per_gpu, |x| fixed(x, 1)),
            ));
        }
    }
    if !any {
        s.push_str("none: no results folder has a profile_sla.log with a suggested operating point\n");
    }
    s.push('\n');

    s.push_str("Cost assumptions\n");
    for m in &c.methods {
        let head = format!("{} ({}): ", m.label, m.cost.source);
        let indent = " ".repeat(4);
        s.push_str(&wrap(&m.cost.assumptions.join("; "), 110, &indent, &head));
    }
    s.push('\n');

    let warnings: Vec<String> = c
        .warnings
        .iter()
        .cloned()
        .chain(
            c.methods
                .iter()
                .flat_map(|m| m.warnings.iter().map(move |w| format!("{}: {w}", m.label))),
        )
        .collect();
    if !warnings.is_empty() {
        s.push_str("Warnings\n");
        for w in &warnings {
            s.push_str(&wrap(w, 110, "  ", "- "));
        }
        s.push('\n');
    }

    s.push_str("Recommendation\n");
    for r in &c.recommendation {
        s.push_str(&wrap(r, 110, "  ", "- "));
    }
    s
}

fn kind_text(k: MethodKind) -> &'static str {
    match k {
        MethodKind::StaticEstimate => "static estimate",
        MethodKind::OnlineProfiling => "online profiling",
    }
}

/// How a set of signed errors of `what` reads: "under-predicts TTFT p50 by 82.4–97.0 %",
/// "over-predicts … by …" or "misses … by -12.0 to +8.0 %".
fn describe(what: &str, errors: &[f64]) -> String {
    let lo = errors.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = errors.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = |a: f64, b: f64| {
        if pct(a) == pct(b) {
            format!("{} %", pct(a))
        } else {
            format!("{}–{} %", pct(a), pct(b))
        }
    };
    if hi < 0.0 {
        format!("under-predicts {what} by {}", range(-hi, -lo))
    } else if lo > 0.0 {
        format!("over-predicts {what} by {}", range(lo, hi))
    } else {
        format!(
            "misses {what} by {} to {} %",
            signed(lo, PCT_DECIMALS),
            signed(hi, PCT_DECIMALS)
        )
    }
}

/// The recommendation, sentence by sentence, computed from the comparison's numbers.
pub fn recommendation(c: &RealComparison) -> Vec<String> {
    let mut out = Vec::new();
    let validated: Vec<&MethodResult> = c.methods.iter().filter(|m| m.mape.levels_with_actuals > 0).collect();
    for m in &validated {
        let t: Vec<f64> = m.levels.iter().filter_map(|l| l.error_pct.ttft_p50_ms).collect();
        let i: Vec<f64> = m.levels.iter().filter_map(|l| l.error_pct.itl_p50_ms).collect();
        let mut parts = Vec::new();
        if !t.is_empty() {
            parts.push(describe("TTFT p50", &t));
        }
        if !i.is_empty() {
            parts.push(describe("ITL p50", &i));
        }
        out.push(format!(
            "{} ({}, {}) was validated at {} load level(s): its own profile {} (MAPE {} % and {} %).",
            m.label,
            kind_text(m.kind),
            config_text(m),
            m.mape.levels_with_actuals,
            parts.join(" and "),
            opt(m.mape.ttft_p50_pct, pct),
            opt(m.mape.itl_p50_pct, pct),
        ));
        let misjudged: Vec<String> = m
            .levels
            .iter()
            .filter_map(|l| {
                let p = l.predicted.sla_hit_rate?;
                let a = l.actual.as_ref()?.sla_hit_rate?;
                (p >= 0.9 && a < 0.5).then(|| {
                    format!(
                        "{} {} % predicted vs {} % measured",
                        l.name,
                        pct(p * 100.0),
                        pct(a * 100.0)
                    )
                })
            })
            .collect();
        if !misjudged.is_empty() {
            out.push(format!(
                "{} predicted that its config meets the SLA where it did not (share of requests meeting both targets: {}).",
                m.label,
                misjudged.join("; ")
            ));
        }
        if let Some(x) = m.mape.combined_pct {
            if x > 20.0 {
                out.push(format!(
                    "{}'s latency predictions missed by {} % (mean of the TTFT and ITL p50 MAPE) here: treat its \
                     recommended config as a starting point and validate it on hardware, or fit a calibration to its \
                     validation runs (`slasim calibrate --fit`) and pass it with --calibration, before relying on its \
                     numbers.",
                    m.label,
                    pct(x)
                ));
            } else if x <= 10.0 {
                out.push(format!(
                    "{}'s predictions were within {} % (mean of the TTFT and ITL p50 MAPE) of its validation runs: \
                     accurate enough to size deployments on this case.",
                    m.label,
                    pct(x)
                ));
            }
        }
    }
    if validated.len() >= 2 {
        let mut v: Vec<&&MethodResult> = validated.iter().filter(|m| m.mape.combined_pct.is_some()).collect();
        v.sort_by(|a, b| {
            a.mape
                .combined_pct
                .unwrap_or(0.0)
                .total_cmp(&b.mape.combined_pct.unwrap_or(0.0))
        });
        if let Some(best) = v.first() {
            out.push(format!(
                "Closest to its measurements: {} ({} % mean MAPE), against {}.",
                best.label,
                opt(best.mape.combined_pct, pct),
                v[1..]
                    .iter()
                    .map(|m| format!("{} {} %", m.label, opt(m.mape.combined_pct, pct)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for m in c.methods.iter().filter(|m| m.mape.levels_with_actuals == 0) {
        let same: Vec<&str> = validated
            .iter()
            .filter(|v| {
                v.config.prefill_tp == m.config.prefill_tp
                    && v.config.decode_tp == m.config.decode_tp
                    && v.profile.backend == m.profile.backend
                    && v.profile.model == m.profile.model
            })
            .map(|v| v.label.as_str())
            .collect();
        let tail = if !same.is_empty() {
            format!(
                "; it recommends the same config as {}, whose validation runs could be compared with its predictions",
                same.join(", ")
            )
        } else if !validated.is_empty() {
            format!(
                "; it recommends {} ({} backend), a different deployment from the validated one(s), so their runs do \
                 not measure it",
                config_text(m),
                m.profile.backend
            )
        } else {
            String::new()
        };
        out.push(format!(
            "{} ({}) has no validation runs, so the accuracy of its predictions is unknown{tail}. To measure it, run \
             AIPerf on its recommended config at the levels above into {}/validation/<level>/.",
            m.label,
            kind_text(m.kind),
            m.folder
        ));
    }
    if c.methods.len() >= 2 {
        let mut by_cost: Vec<&MethodResult> = c.methods.iter().collect();
        by_cost.sort_by(|a, b| a.cost.duration_min.total_cmp(&b.cost.duration_min));
        let cheapest = by_cost[0];
        let parts: Vec<String> = by_cost
            .iter()
            .map(|m| {
                format!(
                    "{} {} min, {} GPU-h, {} deployment(s) ({})",
                    m.label,
                    fixed(m.cost.duration_min, MIN_DECIMALS),
                    fixed(m.cost.gpu_hours, GPU_HOURS_DECIMALS),
                    m.cost.deployments,
                    if m.cost.source == CostSource::Log {
                        "measured by its log"
                    } else {
                        "estimated"
                    }
                )
            })
            .collect();
        let mut sentence = format!("Cost of the profiling runs: {}.", parts.join("; "));
        if let Some(dearest) = by_cost.last().filter(|d| d.label != cheapest.label) {
            if cheapest.cost.duration_min > 0.0 {
                sentence.push_str(&format!(
                    " {} took {}x as long as {}",
                    dearest.label,
                    fixed(dearest.cost.duration_min / cheapest.cost.duration_min, 1),
                    cheapest.label
                ));
                if cheapest.cost.gpu_hours == 0.0 && dearest.cost.gpu_hours > 0.0 {
                    sentence.push_str(&format!(", and {} used no GPU.", cheapest.label));
                } else if cheapest.cost.gpu_hours > 0.0 {
                    sentence.push_str(&format!(
                        " and {}x the GPU-hours.",
                        fixed(dearest.cost.gpu_hours / cheapest.cost.gpu_hours, 1)
                    ));
                } else {
                    sentence.push('.');
                }
            }
        }
        out.push(sentence);
    }
    if let Some(s) = when_to_use(c, &validated) {
        out.push(s);
    }
    for m in &c.methods {
        if m.profile.kv_warning.is_some() {
            out.push(format!(
                "{}'s profile gives the decode engine {} KV tokens, fewer than the {} that MAX_BS full-length requests \
                 need, so its predictions at the higher levels are limited by KV space; if the real engine holds more \
                 (check the profiler's max_kv_tokens), those predictions are pessimistic.",
                m.label,
                fixed(m.profile.kv_capacity_tokens, 0),
                fixed(m.profile.kv_needed_tokens, 0)
            ));
        }
    }
    if out.is_empty() {
        out.push("Nothing to compare: no method has validation runs and there is one method.".into());
    }
    out
}

/// Errors above this mean-MAPE (%) make a method's numbers "need validation".
const LOOSE_PCT: f64 = 20.0;

/// The closing "which method when" sentence, from the cost order and the measured errors
/// (`None` with a single method).
fn when_to_use(c: &RealComparison, validated: &[&MethodResult]) -> Option<String> {
    if c.methods.len() < 2 {
        return None;
    }
    let cheapest = c
        .methods
        .iter()
        .min_by(|a, b| a.cost.duration_min.total_cmp(&b.cost.duration_min))?;
    let err = |m: &MethodResult| m.mape.combined_pct;
    let best = validated
        .iter()
        .filter(|m| err(m).is_some())
        .min_by(|a, b| err(a).unwrap_or(0.0).total_cmp(&err(b).unwrap_or(0.0)));
    let unvalidated: Vec<&str> = c
        .methods
        .iter()
        .filter(|m| m.mape.levels_with_actuals == 0)
        .map(|m| m.label.as_str())
        .collect();
    let cost = |m: &MethodResult| {
        format!(
            "{} min, {} GPU-h",
            fixed(m.cost.duration_min, MIN_DECIMALS),
            fixed(m.cost.gpu_hours, GPU_HOURS_DECIMALS)
        )
    };
    let mut s = String::from("When to use which, on this data: ");
    match (best, err(cheapest)) {
        (Some(b), _) if b.label == cheapest.label && err(b).is_some_and(|e| e <= LOOSE_PCT) => {
            s.push_str(&format!(
                "{} is the cheapest ({}) and its predictions were within {} % mean MAPE, so it is enough here",
                cheapest.label,
                cost(cheapest),
                opt(err(b), pct)
            ));
        }
        (Some(b), _) if b.label != cheapest.label => {
            s.push_str(&format!(
                "use {} ({}, {} % mean MAPE) when accuracy matters, {} ({}, {}) when a quick estimate is enough",
                b.label,
                cost(b),
                opt(err(b), pct),
                cheapest.label,
                cost(cheapest),
                match err(cheapest) {
                    Some(e) => format!("{} % mean MAPE", pct(e)),
                    None => "accuracy unmeasured".into(),
                }
            ));
        }
        (_, Some(e)) => {
            s.push_str(&format!(
                "{} ({}) gives a config quickly, but its predictions missed by {} % mean MAPE, so validate or \
                 calibrate before sizing a deployment by them",
                cheapest.label,
                cost(cheapest),
                pct(e)
            ));
        }
        (_, None) => {
            s.push_str(&format!(
                "{} is the cheapest ({}); no method's accuracy was measured",
                cheapest.label,
                cost(cheapest)
            ));
        }
    }
    let others: Vec<&str> = unvalidated.iter().copied().filter(|l| *l != cheapest.label).collect();
    if !others.is_empty() {
        s.push_str(&format!(
            "; whether the extra cost of {} buys better predictions cannot be told until {} validated",
            others.join(" and "),
            if others.len() == 1 {
                "its config is"
            } else {
                "their configs are"
            }
        ));
    }
    s.push('.');
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(1.25, 1), "1.2");
        assert_eq!(fixed(2.0, 3), "2.000");
        assert_eq!(signed(7.94, 1), "+7.9");
        assert_eq!(signed(-82.44, 1), "-82.4");
        assert_eq!(signed(0.01, 1), "0.0");
        assert_eq!(share(Some(0.95)), "95.0");
        assert_eq!(ms(None), NA);
    }

    #[test]
    fn describes_error_ranges() {
        assert_eq!(describe("T", &[-82.4, -97.0]), "under-predicts T by 82.4–97.0 %");
        assert_eq!(describe("T", &[5.0, 10.0]), "over-predicts T by 5.0–10.0 %");
        assert_eq!(describe("T", &[-5.0, 10.0]), "misses T by -5.0 to +10.0 %");
        assert_eq!(describe("T", &[-5.0]), "under-predicts T by 5.0 %");
    }

    #[test]
    fn table_alignment() {
        let t = text_table(&[
            vec!["m".into(), "v".into(), "note".into()],
            vec!["a".into(), "1.5".into(), "long text here".into()],
            vec!["bb".into(), NA.into(), "x".into()],
        ]);
        assert_eq!(t, "m     v  note\n-------------\na   1.5  long text here\nbb  n/a  x\n");
    }

    #[test]
    fn wraps_long_text() {
        let w = wrap("aaa bbb ccc ddd", 9, "  ", "- ");
        assert_eq!(w, "- aaa bbb\n  ccc ddd\n");
    }
}

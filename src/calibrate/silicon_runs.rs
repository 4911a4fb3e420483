//! AIConfigurator silicon CSVs (`calibration/silicon/` layout) as hardware runs: each row is a
//! closed-loop benchmark of one aggregated engine at its TP, concurrency, ISL and OSL, with the
//! measured **mean** TTFT and TPOT (and the mean E2E they imply, `TTFT + (OSL − 1)·TPOT`).
//!
//! The CSV does not say how many requests each row ran; a row is replayed as
//! [`silicon_requests`]`(concurrency)` — `clamp(8 × concurrency, 256, 4096)` requests of which
//! the first quarter are warm-up, left out of the means (steady state). The profile comes from
//! the deployment flags; each row's `tp_size` selects the engine (`--tp`) and its concurrency is
//! the batch cap (`max_num_seqs`). Rows with PP > 1 or a mode other than `agg` are skipped.

use super::hwrun::{HwRun, RunConfig, RunFormat, RunLoad, RunMetrics};
use crate::analytic::silicon::parse_csv;
use crate::error::Result;

/// Requests simulated for a silicon row at concurrency `c`: (measured, warm-up).
pub fn silicon_requests(c: u32) -> (u64, u64) {
    let n = (8 * c as u64).clamp(256, 4096);
    (n - n / 4, n / 4)
}

/// True when `bytes` look like a silicon CSV (a header naming `silicon_ttft_ms`).
pub fn is_silicon_csv(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    String::from_utf8_lossy(first).contains("silicon_ttft_ms")
}

/// Every usable row of a silicon CSV as a run; `file` names it in errors and run names.
pub fn silicon_runs(file: &str, bytes: &[u8]) -> Result<Vec<HwRun>> {
    let (rows, _skipped) = parse_csv(file, bytes, None)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (requests, warmup) = silicon_requests(r.concurrency);
            HwRun {
                name: format!("tp{}-c{}-isl{}-osl{}", r.tp, r.concurrency, r.isl, r.osl),
                file: file.to_string(),
                format: RunFormat::Silicon,
                config: RunConfig {
                    model: Some(r.model.clone()),
                    gpu: Some(r.gpu.clone()),
                    mode: Some("agg".into()),
                    tp: Some(r.tp),
                    max_num_seqs: Some(r.concurrency),
                    ..RunConfig::default()
                },
                load: RunLoad::Concurrency(r.concurrency),
                requests,
                warmup_requests: warmup,
                isl: r.isl,
                osl: r.osl,
                sla: None,
                metrics: RunMetrics {
                    ttft_mean_ms: Some(r.ttft_ms),
                    tpot_mean_ms: Some(r.tpot_ms),
                    e2e_mean_ms: Some(r.ttft_ms + (r.osl as f64 - 1.0) * r.tpot_ms),
                    ..RunMetrics::default()
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_closed_loop_runs_with_mean_metrics() {
        let csv =
            "id,backend,model_path,system,mode,isl,osl,batch_size,tp_size,pp_size,silicon_ttft_ms,silicon_tpot_ms\n\
                   a,sglang,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,agg,1000,100,160,1,1,1612.27,26.98\n\
                   b,sglang,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,agg,1000,100,16,2,2,1.0,1.0\n";
        assert!(is_silicon_csv(csv.as_bytes()));
        let runs = silicon_runs("s.csv", csv.as_bytes()).unwrap();
        assert_eq!(runs.len(), 1, "PP 2 is skipped");
        let r = &runs[0];
        assert_eq!(r.load, RunLoad::Concurrency(160));
        assert_eq!((r.requests, r.warmup_requests), (960, 320));
        assert_eq!(r.config.tp, Some(1));
        assert_eq!(r.metrics.ttft_mean_ms, Some(1612.27));
        assert!((r.metrics.e2e_mean_ms.unwrap() - (1612.27 + 99.0 * 26.98)).abs() < 1e-9);
        assert!(r.metrics.ttft_p50_ms.is_none());
        assert!(!is_silicon_csv(b"{\"metrics\": {}}"));
    }
}

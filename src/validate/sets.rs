//! The data sets `slasim validate` evaluates: every real measurement the project ships, paired
//! with the shipped profile that matches its model and GPU. The data is embedded in the binary,
//! so `validate` runs from any directory.

use super::runs::RunsSet;
use super::silicon::SiliconSet;
use super::SetResult;
use crate::error::Result;

/// The AIPerf runs of the deployment AIConfigurator recommended for the Dynamo comparison
/// (Qwen3-32B, H200, TRT-LLM, disagg P1×TP1 + D1×TP2), as (shipped path, bytes).
pub const AIC_ALL_RUNS: [(&str, &[u8]); 4] = crate::calibrate::embedded::RUNS;

/// The AIConfigurator silicon CSV of Llama-3.1-8B-Instruct FP8 on H200 under SGLang.
pub const LLAMA8B_H200_SGLANG: (&str, &[u8]) = (
    "calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv",
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv"
    )),
);

/// How a set's rows are simulated.
#[derive(Debug, Clone)]
pub enum SetKind {
    /// AIPerf (or template) runs of one deployment.
    Runs(RunsSet),
    /// AIConfigurator silicon operating points.
    Silicon(SiliconSet),
}

/// One data set.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Stable name.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// How it is simulated.
    pub kind: SetKind,
}

impl DataSet {
    /// Simulates every row under every condition.
    pub fn evaluate(&self, o: &super::ValidateOptions) -> Result<SetResult> {
        match &self.kind {
            SetKind::Runs(r) => r.evaluate(self, o),
            SetKind::Silicon(s) => s.evaluate(self, o),
        }
    }
}

/// Every shipped data set, in report order.
pub fn all() -> Vec<DataSet> {
    vec![
        DataSet {
            name: "qwen3-32b-h200-trtllm-disagg",
            description: "AIPerf runs (concurrency 1/4/7/8, 100 requests, ISL 2048, OSL 256) of Qwen3-32B on H200, \
                          TRT-LLM, Dynamo disagg P1xTP1 + D1xTP2 (the Dynamo comparison's aic_all deployment)",
            kind: SetKind::Runs(RunsSet::aic_all()),
        },
        DataSet {
            name: "llama-3.1-8b-h200-sglang-tp1",
            description: "AIConfigurator silicon points of Llama-3.1-8B-Instruct FP8 on one H200 under SGLang \
                          0.5.6 (16 closed-loop rows, TP1: ISL 1000-8000, OSL 100-2000, concurrency 20-352)",
            kind: SetKind::Silicon(SiliconSet::llama8b_h200_sglang_tp1()),
        },
    ]
}

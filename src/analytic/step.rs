//! The step-time model: time of one engine forward pass from FLOPs and bytes per layer.
//!
//! Notation (per GPU at tensor-parallel size `t`): `h` hidden size, `I` dense MLP intermediate,
//! `Hq = H/t` query heads, `Hk = max(K/t, 1)` KV heads (replicated when `t > K`), `d` head dim,
//! `V` vocabulary, `L` layers, `T` tokens in the forward pass, `w` bytes per weight, `a = 2`
//! bytes per activation (BF16), `k` bytes per KV element. Peaks come from the GPU catalog
//! ([`super::gpu`]): `P_g` the GEMM peak for the weight dtype, `P_16` the BF16 peak, `BW` the HBM
//! bandwidth, `LINK` the per-direction all-reduce link bandwidth; factors `e_*` from
//! [`Efficiency`].
//!
//! Every operation is a roofline: `time = max(FLOPs / (peak · e_compute), bytes / (BW · e_mem))`,
//! and a forward pass is the **sum** over its operations (kernels run one after another).
//!
//! Per layer:
//! * **Linear layers** (QKV, O, gate/up, down; MoE experts): weights per GPU
//!   `W_l = h·(Hq+2Hk)·d + Hq·d·h + 3·h·I/t` (MoE: experts split by TP like dense MLPs; a batch of
//!   `T` tokens touches `E·(1 − (1 − k_e/E)^T)` distinct experts on average under uniform routing,
//!   and each token computes `k_e` experts). FLOPs `2·T·W_active`; bytes `w·W_touched + a·T·Σ(in+out)`
//!   dims of the GEMMs. Efficiency `e_gemm(T) = g · T / (T + gemm_half_tokens)` with `g = gemm_fp8`
//!   for FP8 weights on a GPU with FP8 tensor cores, else `gemm`.
//! * **Attention**, prefill of `S` new tokens after `P` cached ones (causal):
//!   FLOPs `4·Hq·d·(S·P + S(S+1)/2)` (QKᵀ and PV, 2 FLOPs per multiply-add), at `P_16 · attn`;
//!   bytes `a·S·(2·Hq + 2·Hk)·d + k·(P + S)·2·Hk·d` (Q, O, new K/V; cached KV read, new KV written),
//!   at `BW · mem`.
//! * **Attention**, decode of `B` sequences holding `C` context tokens in total: FLOPs
//!   `4·Hq·d·C` at `P_16 · attn`; bytes `k·C·2·Hk·d + a·B·(2·Hq + 2·Hk)·d` at `BW · attn_mem`.
//! * **Element-wise** (2 fused residual-add + RMSNorm, RoPE, SiLU·mul): bytes
//!   `a·T·(8·h + 2·(Hq + Hk)·d + 3·I_active/t)` at `BW · mem`.
//! * **All-reduce** (t > 1, two per layer, after O and after down): ring all-reduce of `a·T·h`
//!   bytes, `allreduce_us + 2(t−1)/t · a·T·h / (LINK · comm)` each (NCCL ring algorithm).
//! * `layer_us` fixed per layer.
//!
//! Per forward pass: the LM head for the `n` tokens that need logits (1 per prefilled request,
//! `B` per decode step): GEMM of `V/t · h` BF16 weights (FP8 checkpoints keep it in BF16), plus
//! gathering `n·V` BF16 logits over TP; `step_ms` fixed; decode adds `seq_us` per sequence.
//!
//! A TTFT (prefill curve point) is the prefill forward pass of the whole prompt plus `ttft_ms`.
//!
//! # KV capacity
//! `max_kv_tokens = (HBM · mem_util − weights per GPU − activation reserve) / KV bytes per token
//! per GPU`, where weights per GPU = `w · (linear weights)/t + 2 B · (embedding + LM head +
//! norms)/t` (FP8 checkpoints keep embeddings, LM head and norms in 16 bit; embedding and LM head
//! are vocabulary-parallel). `mem_util` defaults to 0.9 (vLLM's `gpu_memory_utilization`
//! default) and the reserve to 3 GB: the measured vLLM capacities of the shipped profiles imply
//! 2.7 GB (Llama-3.1-8B FP8, H200, TP1) and 3.9 GB (Llama-3.3-70B FP8, H100, TP2) for activations,
//! CUDA graphs and allocator slack.

use super::efficiency::Efficiency;
use super::gpu::GpuSpec;
use super::model::{Dtype, ModelSpec};
use crate::error::{Error, Result};

/// Bytes per activation element (BF16 activations).
const ACT_BYTES: f64 = 2.0;

/// OSL of the Dynamo profiler's decode sweep (its rows sit at context ISL + OSL/2), tokens.
pub const PROFILER_DECODE_OSL: f64 = 500.0;

/// Default fraction of HBM the engine may use (vLLM `gpu_memory_utilization` default 0.9).
pub const DEFAULT_MEM_UTIL: f64 = 0.9;
/// Default memory reserved per GPU for activations, CUDA graphs and allocator slack, GB (1e9 B);
/// see the module docs for its calibration.
pub const DEFAULT_ACTIVATION_RESERVE_GB: f64 = 3.0;

/// A model on a GPU at a TP size with dtypes and efficiency factors: computes step times.
#[derive(Debug, Clone)]
pub struct Roofline {
    /// The model.
    pub model: ModelSpec,
    /// The GPU.
    pub gpu: GpuSpec,
    /// Tensor-parallel size (GPUs per engine).
    pub tp: u32,
    /// Weight dtype of the linear layers.
    pub weights: Dtype,
    /// KV-cache dtype.
    pub kv: Dtype,
    /// Efficiency factors.
    pub eff: Efficiency,
    // Per-GPU constants derived once (elements unless noted).
    attn_w: f64,
    mlp_w_dense: f64,
    hq_d: f64,
    hk_d: f64,
    gemm_io_dims: f64,
    lm_head_w: f64,
}

impl Roofline {
    /// Builds the model; checks that `tp` splits the heads (exit 2 otherwise).
    pub fn new(model: ModelSpec, gpu: GpuSpec, tp: u32, weights: Dtype, kv: Dtype, eff: Efficiency) -> Result<Self> {
        model.check_tp(tp)?;
        let t = tp as f64;
        let h = model.hidden as f64;
        let d = model.head_dim as f64;
        let hq_d = (model.heads / tp as u64) as f64 * d;
        let hk_d = model.kv_heads_per_gpu(tp) as f64 * d;
        let attn_w = h * (hq_d + 2.0 * hk_d) + hq_d * h;
        let i_t = model.intermediate as f64 / t;
        let mlp_w_dense = 3.0 * h * i_t;
        // Σ (in + out) dims over QKV, O, gate/up and down GEMMs (activation traffic per token).
        let gemm_io_dims = (h + hq_d + 2.0 * hk_d) + (hq_d + h) + (h + 2.0 * i_t) + (i_t + h);
        let lm_head_w = model.vocab as f64 / t * h;
        Ok(Roofline {
            model,
            gpu,
            tp,
            weights,
            kv,
            eff,
            attn_w,
            mlp_w_dense,
            hq_d,
            hk_d,
            gemm_io_dims,
            lm_head_w,
        })
    }

    /// The same model with other efficiency factors.
    pub fn with_eff(&self, eff: Efficiency) -> Roofline {
        Roofline { eff, ..self.clone() }
    }

    /// GEMM efficiency at `tokens` rows for weights of dtype `w` (see the module docs).
    fn gemm_eff(&self, tokens: f64, w: Dtype) -> f64 {
        let top = if w == Dtype::Fp8 && self.gpu.fp8_tflops.is_some() {
            self.eff.gemm_fp8
        } else {
            self.eff.gemm
        };
        top * tokens / (tokens + self.eff.gemm_half_tokens)
    }

    /// Linear-layer time of one layer for `tokens` tokens, s.
    fn linear_s(&self, tokens: f64) -> f64 {
        let t = self.tp as f64;
        let h = self.model.hidden as f64;
        let (w_touched, w_active, extra_io) = match &self.model.moe {
            None => (self.attn_w + self.mlp_w_dense, self.attn_w + self.mlp_w_dense, 0.0),
            Some(m) => {
                // Averaged over layers: MoE layers and the dense ones (if any).
                let frac_moe = m.moe_layers as f64 / self.model.layers as f64;
                let e = m.num_experts as f64;
                let k = m.experts_per_tok as f64;
                let per_expert = 3.0 * h * m.expert_intermediate as f64 / t;
                let shared = 3.0 * h * m.shared_intermediate as f64 / t;
                let router = h * e;
                let touched = e * (1.0 - (1.0 - k / e).powf(tokens.max(0.0)));
                let moe_touched = touched * per_expert + shared + router;
                let moe_active = k * per_expert + shared + router;
                let ie_t = m.expert_intermediate as f64 / t;
                // Expert GEMM activations: each token's k expert inputs/outputs.
                let moe_io = k * ((h + 2.0 * ie_t) + (ie_t + h));
                let dense_io =
                    (h + 2.0 * self.model.intermediate as f64 / t) + (self.model.intermediate as f64 / t + h);
                (
                    self.attn_w + frac_moe * moe_touched + (1.0 - frac_moe) * self.mlp_w_dense,
                    self.attn_w + frac_moe * moe_active + (1.0 - frac_moe) * self.mlp_w_dense,
                    frac_moe * (moe_io - dense_io),
                )
            }
        };
        let flops = 2.0 * tokens * w_active;
        let bytes = self.weights.bytes() * w_touched + ACT_BYTES * tokens * (self.gemm_io_dims + extra_io);
        let compute = flops / (self.gpu.gemm_flops(self.weights) * self.gemm_eff(tokens, self.weights));
        let memory = bytes / (self.gpu.hbm_bytes_per_s() * self.eff.mem);
        compute.max(memory)
    }

    /// Element-wise time of one layer for `tokens` tokens, s.
    fn elementwise_s(&self, tokens: f64) -> f64 {
        let h = self.model.hidden as f64;
        let i_active = match &self.model.moe {
            None => self.model.intermediate as f64,
            Some(m) => (m.experts_per_tok * m.expert_intermediate + m.shared_intermediate) as f64,
        } / self.tp as f64;
        let bytes = ACT_BYTES * tokens * (8.0 * h + 2.0 * (self.hq_d + self.hk_d) + 3.0 * i_active);
        bytes / (self.gpu.hbm_bytes_per_s() * self.eff.mem)
    }

    /// Time of the two all-reduces of one layer for `tokens` tokens, s (0 at TP 1).
    fn allreduce_s(&self, tokens: f64) -> f64 {
        if self.tp <= 1 {
            return 0.0;
        }
        let t = self.tp as f64;
        let bytes = ACT_BYTES * tokens * self.model.hidden as f64;
        let one =
            self.eff.allreduce_us * 1e-6 + 2.0 * (t - 1.0) / t * bytes / (self.gpu.link_bytes_per_s() * self.eff.comm);
        2.0 * one
    }

    /// LM head for `n` tokens needing logits (GEMM + logits gather), s.
    fn lm_head_s(&self, n: f64) -> f64 {
        let h = self.model.hidden as f64;
        let flops = 2.0 * n * self.lm_head_w;
        let bytes = ACT_BYTES * self.lm_head_w + ACT_BYTES * n * (h + self.model.vocab as f64 / self.tp as f64);
        let compute = flops / (self.gpu.bf16_flops() * self.gemm_eff(n, Dtype::Bf16));
        let memory = bytes / (self.gpu.hbm_bytes_per_s() * self.eff.mem);
        let mut s = compute.max(memory);
        if self.tp > 1 {
            let t = self.tp as f64;
            s +=
                (t - 1.0) / t * ACT_BYTES * n * self.model.vocab as f64 / (self.gpu.link_bytes_per_s() * self.eff.comm);
        }
        s
    }

    /// Engine time of a prefill of `new` prompt tokens after `cached` tokens already in the KV
    /// cache, one request, ms (without `ttft_ms`).
    pub fn prefill_engine_ms(&self, new: f64, cached: f64) -> f64 {
        if new <= 0.0 {
            return 0.0;
        }
        let (s, p) = (new, cached.max(0.0));
        let flops = 4.0 * self.hq_d * (s * p + s * (s + 1.0) / 2.0);
        let bytes = ACT_BYTES * s * (2.0 * self.hq_d + 2.0 * self.hk_d) + self.kv.bytes() * (p + s) * 2.0 * self.hk_d;
        let attn =
            (flops / (self.gpu.bf16_flops() * self.eff.attn)).max(bytes / (self.gpu.hbm_bytes_per_s() * self.eff.mem));
        let per_layer =
            self.linear_s(s) + attn + self.elementwise_s(s) + self.allreduce_s(s) + self.eff.layer_us * 1e-6;
        (self.model.layers as f64 * per_layer + self.lm_head_s(1.0)) * 1e3 + self.eff.step_ms
    }

    /// TTFT of a lone request with `isl` prompt tokens, ms: prefill engine time + `ttft_ms`.
    pub fn ttft_ms(&self, isl: f64) -> f64 {
        self.prefill_engine_ms(isl, 0.0) + self.eff.ttft_ms
    }

    /// Decode step time of `batch` sequences holding `context_tokens` KV tokens in total (the
    /// token being generated included), ms.
    pub fn decode_ms(&self, batch: f64, context_tokens: f64) -> f64 {
        if batch <= 0.0 {
            return 0.0;
        }
        let c = context_tokens.max(batch);
        let flops = 4.0 * self.hq_d * c;
        let bytes = self.kv.bytes() * c * 2.0 * self.hk_d + ACT_BYTES * batch * (2.0 * self.hq_d + 2.0 * self.hk_d);
        let attn = (flops / (self.gpu.bf16_flops() * self.eff.attn))
            .max(bytes / (self.gpu.hbm_bytes_per_s() * self.eff.attn_mem));
        let per_layer = self.linear_s(batch)
            + attn
            + self.elementwise_s(batch)
            + self.allreduce_s(batch)
            + self.eff.layer_us * 1e-6;
        (self.model.layers as f64 * per_layer + self.lm_head_s(batch)) * 1e3
            + self.eff.step_ms
            + batch * self.eff.seq_us * 1e-3
    }

    /// The ITL a Dynamo profiler decode sweep measures at `batch` concurrent requests holding
    /// `context_tokens` in total, on the sweep row of context `row_context` (= ISL + OSL/2 with
    /// the profiler's OSL [`PROFILER_DECODE_OSL`]), ms: the decode step plus the prefills of the
    /// requests replaced meanwhile, `interference · (batch − 1) · (prefill(ISL) − step_ms)`
    /// (the step's fixed cost is shared with the decode step it rides in).
    pub fn profiler_decode_ms(&self, batch: f64, context_tokens: f64, row_context: f64) -> f64 {
        let isl = row_context - PROFILER_DECODE_OSL / 2.0;
        let extra = if batch > 1.0 && isl >= 1.0 {
            self.eff.interference * (batch - 1.0) * (self.prefill_engine_ms(isl, 0.0) - self.eff.step_ms).max(0.0)
        } else {
            0.0
        };
        self.decode_ms(batch, context_tokens) + extra
    }

    /// Weight bytes each GPU holds (see the module docs).
    pub fn weight_bytes_per_gpu(&self) -> f64 {
        let m = &self.model;
        let t = self.tp as f64;
        let total = m.params_total() as f64;
        let emb = m.embedding_params() as f64;
        let norms = (m.layers * 2 * m.hidden + m.hidden) as f64;
        let linear = total - emb - norms;
        self.weights.bytes() * linear / t + 2.0 * emb / t + 2.0 * norms
    }

    /// KV-cache capacity of one engine, tokens: `(HBM · mem_util − weights per GPU − reserve) /
    /// KV bytes per token per GPU`. Errors (exit 2) when the weights do not fit.
    pub fn kv_capacity_tokens(&self, mem_util: f64, activation_reserve_gb: f64) -> Result<u64> {
        let free = self.gpu.hbm_bytes() * mem_util - self.weight_bytes_per_gpu() - activation_reserve_gb * 1e9;
        let per_token = self.model.kv_bytes_per_token_per_gpu(self.kv, self.tp);
        let tokens = (free / per_token).floor();
        if tokens.is_nan() || tokens < 1.0 {
            return Err(Error::usage(
                "--tp",
                format!(
                    "{} ({} weights) does not fit on {} × {} at memory utilisation {mem_util}: {:.1} GB of weights per GPU, {:.1} GB usable",
                    self.model.name,
                    self.weights,
                    self.tp,
                    self.gpu.name,
                    self.weight_bytes_per_gpu() / 1e9,
                    (self.gpu.hbm_bytes() * mem_util - activation_reserve_gb * 1e9) / 1e9
                ),
            ));
        }
        Ok(tokens as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::gpu::GpuCatalog;

    fn roof(model: &str, gpu: &str, tp: u32, w: Dtype) -> Roofline {
        let m = ModelSpec::resolve(model).unwrap();
        let g = GpuCatalog::builtin().unwrap().get(gpu).unwrap().clone();
        Roofline::new(m, g, tp, w, Dtype::Bf16, Efficiency::default()).unwrap()
    }

    #[test]
    fn times_grow_with_work_and_shrink_with_tp() {
        let r1 = roof("meta-llama/Llama-3.3-70B-Instruct", "h100_sxm", 2, Dtype::Fp8);
        let r8 = roof("meta-llama/Llama-3.3-70B-Instruct", "h100_sxm", 8, Dtype::Fp8);
        assert!(r1.ttft_ms(4000.0) > r1.ttft_ms(1000.0));
        assert!(r1.ttft_ms(4000.0) > r8.ttft_ms(4000.0));
        assert!(r1.decode_ms(64.0, 64000.0) > r1.decode_ms(1.0, 1000.0));
        assert!(r1.decode_ms(1.0, 1000.0) > r8.decode_ms(1.0, 1000.0));
    }

    #[test]
    fn kv_capacity_close_to_measured_vllm() {
        // Measured max_kv_tokens of the shipped vLLM profiles: 945029 (8B FP8, H200 TP1).
        let r = roof("meta-llama/Llama-3.1-8B-Instruct", "h200_sxm", 1, Dtype::Fp8);
        let k = r
            .kv_capacity_tokens(DEFAULT_MEM_UTIL, DEFAULT_ACTIVATION_RESERVE_GB)
            .unwrap() as f64;
        assert!((k / 945029.0 - 1.0).abs() < 0.03, "{k}");
    }
}

//! Model cards: the architecture of a transformer LLM, read from a Hugging Face `config.json`.
//!
//! [`ModelSpec`] holds what the roofline model needs: layers, hidden size, MLP intermediate
//! size, attention and KV heads, head dimension, vocabulary, tied embeddings, and the MoE fields
//! (`num_experts` (Qwen-MoE) or `num_local_experts` (Mixtral), `num_experts_per_tok`,
//! `moe_intermediate_size`, `shared_expert_intermediate_size`, `decoder_sparse_step`,
//! `mlp_only_layers`). Cards for common models ship embedded in the binary (`profiles/models/`,
//! see its SOURCE.md); `--model` takes one of their Hugging Face ids or a path to a
//! `config.json` (or to a directory holding one).
//!
//! # Defaults for optional keys (the Hugging Face `transformers` config classes' defaults)
//! * `num_key_value_heads` absent → `num_attention_heads` (multi-head attention; `LlamaConfig`);
//! * `head_dim` absent → `hidden_size / num_attention_heads` (`LlamaConfig`, `Qwen2Config`);
//! * `tie_word_embeddings` absent → `false` (`LlamaConfig`, `Qwen2Config`, `MixtralConfig`);
//! * QKV projections carry a bias for `model_type = "qwen2"` (Qwen2 architecture) or when
//!   `attention_bias = true`;
//! * MoE: `moe_intermediate_size` absent → `intermediate_size` (Mixtral's experts use it).
//!
//! Every other architecture key is required; a missing or invalid one is an error naming the
//! file and key (exit 2).
//!
//! # Derived sizes
//! Parameters (gated-SiLU MLP, RMSNorm, no biases except as above):
//! * embedding `V·h`, LM head `V·h` unless tied, final norm `h`;
//! * per layer: Q `h·H·d`, K and V `h·K·d` each, O `H·d·h` (+ biases `H·d + 2·K·d` when QKV has
//!   bias), two norms `2·h` (+ Qwen3's q/k norms, `2·d`, when `model_type` starts with "qwen3");
//! * dense MLP `3·h·I`; MoE layer `E·3·h·I_e + h·E` (router) `+ 3·h·I_s` (shared expert, when
//!   present, plus its `h` gate).
//!
//! KV-cache bytes per token: `2 (K and V) · layers · KV heads · head_dim · bytes per element`.

use crate::error::{read_file, Error, Result};
use serde_json::Value;
use std::path::Path;

/// Largest value accepted for any size in a card (layers, hidden size, heads, vocabulary,
/// experts…): 2^24, far above every published model (vocabularies reach ~262k, intermediate
/// sizes ~100k), so absurd cards are refused and parameter counts cannot overflow.
pub const MAX_DIM: u64 = 1 << 24;

/// Numeric data types of weights and KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// bfloat16: 2 bytes per element.
    Bf16,
    /// float16: 2 bytes per element (same speed as bf16 in this model).
    Fp16,
    /// 8-bit floating point (E4M3): 1 byte per element.
    Fp8,
}

impl Dtype {
    /// Bytes per element.
    pub fn bytes(self) -> f64 {
        match self {
            Dtype::Bf16 | Dtype::Fp16 => 2.0,
            Dtype::Fp8 => 1.0,
        }
    }

    /// Parses a dtype name: `bf16`/`bfloat16`, `fp16`/`float16`/`half`, `fp8` (and any name
    /// containing "fp8", e.g. AIConfigurator's `fp8_block`). Case-insensitive.
    pub fn parse(s: &str) -> Option<Dtype> {
        let l = s.trim().to_ascii_lowercase();
        match l.as_str() {
            "bf16" | "bfloat16" => Some(Dtype::Bf16),
            "fp16" | "float16" | "half" => Some(Dtype::Fp16),
            _ if l.contains("fp8") || l.contains("float8") => Some(Dtype::Fp8),
            _ => None,
        }
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dtype::Bf16 => "bf16",
            Dtype::Fp16 => "fp16",
            Dtype::Fp8 => "fp8",
        })
    }
}

/// Mixture-of-experts fields of a model card.
#[derive(Debug, Clone, PartialEq)]
pub struct MoeSpec {
    /// Routed experts per MoE layer (`num_experts` / `num_local_experts`).
    pub num_experts: u64,
    /// Experts each token is routed to (`num_experts_per_tok`).
    pub experts_per_tok: u64,
    /// Intermediate size of one expert's MLP (`moe_intermediate_size`, else `intermediate_size`).
    pub expert_intermediate: u64,
    /// Intermediate size of the always-active shared expert (`shared_expert_intermediate_size`),
    /// 0 when the model has none.
    pub shared_intermediate: u64,
    /// Number of layers whose MLP is an MoE block (the others use the dense `intermediate_size`).
    pub moe_layers: u64,
}

/// The architecture of one model, as the roofline model needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Hugging Face id of a shipped card, or the path the card was read from.
    pub name: String,
    /// `model_type` of the card (e.g. `llama`, `qwen3`), when given.
    pub model_type: Option<String>,
    /// Transformer layers (`num_hidden_layers`).
    pub layers: u64,
    /// Hidden size `h` (`hidden_size`), elements.
    pub hidden: u64,
    /// Dense MLP intermediate size `I` (`intermediate_size`), elements.
    pub intermediate: u64,
    /// Query heads `H` (`num_attention_heads`).
    pub heads: u64,
    /// KV heads `K` (`num_key_value_heads`).
    pub kv_heads: u64,
    /// Head dimension `d` (`head_dim`), elements.
    pub head_dim: u64,
    /// Vocabulary size `V` (`vocab_size`), tokens.
    pub vocab: u64,
    /// Whether the LM head shares the embedding matrix (`tie_word_embeddings`).
    pub tied_embeddings: bool,
    /// Whether the Q/K/V projections have biases.
    pub qkv_bias: bool,
    /// Whether each attention head normalises q and k (Qwen3's `q_norm`/`k_norm`).
    pub qk_norm: bool,
    /// Mixture-of-experts fields, `None` for a dense model.
    pub moe: Option<MoeSpec>,
    /// Longest context the model supports (`max_position_embeddings`), tokens, when given.
    pub max_position_embeddings: Option<u64>,
}

/// One shipped card: Hugging Face id and the embedded `config.json`.
struct ShippedCard {
    id: &'static str,
    bytes: &'static [u8],
}

macro_rules! card {
    ($id:literal) => {
        ShippedCard {
            id: $id,
            bytes: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/profiles/models/",
                $id,
                "/config.json"
            )),
        }
    };
}

/// The cards shipped in `profiles/models/` (public `config.json` values; see its SOURCE.md).
static SHIPPED_CARDS: &[ShippedCard] = &[
    card!("Qwen/Qwen3-32B"),
    card!("meta-llama/Llama-3.1-8B-Instruct"),
    card!("meta-llama/Llama-3.1-70B"),
    card!("meta-llama/Llama-3.3-70B-Instruct"),
    card!("meta-llama/Meta-Llama-3-70B"),
    card!("meta-llama/Llama-2-7b-hf"),
    card!("Qwen/Qwen2.5-7B-Instruct"),
    card!("Qwen/Qwen3-30B-A3B"),
    card!("mistralai/Mixtral-8x7B-v0.1"),
];

/// Hugging Face ids of the shipped model cards.
pub fn shipped_cards() -> Vec<&'static str> {
    SHIPPED_CARDS.iter().map(|c| c.id).collect()
}

impl ModelSpec {
    /// Resolves `--model`: a shipped card's Hugging Face id (exact, else case-insensitive), or a
    /// path to a `config.json` or to a directory containing one.
    pub fn resolve(spec: &str) -> Result<ModelSpec> {
        let found = SHIPPED_CARDS
            .iter()
            .find(|c| c.id == spec)
            .or_else(|| SHIPPED_CARDS.iter().find(|c| c.id.eq_ignore_ascii_case(spec)));
        if let Some(c) = found {
            return ModelSpec::from_json_bytes(c.id, &format!("profiles/models/{}/config.json", c.id), c.bytes);
        }
        let p = Path::new(spec);
        let file = if p.is_dir() {
            p.join("config.json")
        } else {
            p.to_path_buf()
        };
        if file.is_file() {
            let bytes = read_file(&file)?;
            let shown = file.display().to_string();
            return ModelSpec::from_json_bytes(&shown, &shown, &bytes);
        }
        Err(Error::usage(
            "--model",
            format!(
                "`{spec}` is neither a shipped model card ({}) nor a path to a config.json",
                shipped_cards().join(", ")
            ),
        ))
    }

    /// Parses a Hugging Face `config.json`. `name` becomes [`ModelSpec::name`]; `file` names the
    /// source in errors.
    pub fn from_json_bytes(name: &str, file: &str, bytes: &[u8]) -> Result<ModelSpec> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::data(file, "(json)", format!("is not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::data(
                file,
                "(json)",
                "expected a JSON object (a Hugging Face config.json)",
            ));
        }
        // Multimodal / nested configs keep the language model under `text_config`.
        let v = match v.get("text_config") {
            Some(t) if t.is_object() && v.get("num_hidden_layers").is_none() => t.clone(),
            _ => v,
        };
        let req = |key: &str| -> Result<u64> {
            match v.get(key) {
                None | Some(Value::Null) => Err(Error::data(
                    file,
                    key,
                    "missing; a model card needs it (see Hugging Face config.json)",
                )),
                Some(x) => x
                    .as_u64()
                    .filter(|n| (1..=MAX_DIM).contains(n))
                    .ok_or_else(|| Error::data(file, key, format!("is {x}; expected an integer in 1..={MAX_DIM}"))),
            }
        };
        let opt = |key: &str| -> Result<Option<u64>> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x
                    .as_u64()
                    .filter(|n| (1..=MAX_DIM).contains(n))
                    .map(Some)
                    .ok_or_else(|| Error::data(file, key, format!("is {x}; expected an integer in 1..={MAX_DIM}"))),
            }
        };
        let boolean = |key: &str| -> Result<Option<bool>> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x
                    .as_bool()
                    .map(Some)
                    .ok_or_else(|| Error::data(file, key, format!("is {x}; expected true or false"))),
            }
        };
        let layers = req("num_hidden_layers")?;
        let hidden = req("hidden_size")?;
        let intermediate = req("intermediate_size")?;
        let heads = req("num_attention_heads")?;
        let vocab = req("vocab_size")?;
        let kv_heads = opt("num_key_value_heads")?.unwrap_or(heads);
        if heads % kv_heads != 0 {
            return Err(Error::data(
                file,
                "num_key_value_heads",
                format!("is {kv_heads}; expected a divisor of num_attention_heads ({heads})"),
            ));
        }
        let head_dim = match opt("head_dim")? {
            Some(d) => d,
            None => {
                if hidden % heads != 0 {
                    return Err(Error::data(
                        file,
                        "head_dim",
                        format!(
                            "missing, and hidden_size ({hidden}) is not divisible by num_attention_heads ({heads}); give head_dim"
                        ),
                    ));
                }
                hidden / heads
            }
        };
        let model_type = v.get("model_type").and_then(Value::as_str).map(str::to_string);
        let mt = model_type.as_deref().unwrap_or("");
        let tied_embeddings = boolean("tie_word_embeddings")?.unwrap_or(false);
        let qkv_bias = boolean("attention_bias")?.unwrap_or(false) || mt == "qwen2" || mt == "qwen2_moe";
        let qk_norm = mt.starts_with("qwen3");
        let experts = match opt("num_experts")? {
            Some(e) => Some(e),
            None => opt("num_local_experts")?,
        };
        let moe = match experts {
            None => None,
            Some(num_experts) => {
                let experts_per_tok = req("num_experts_per_tok")?;
                if experts_per_tok > num_experts {
                    return Err(Error::data(
                        file,
                        "num_experts_per_tok",
                        format!("is {experts_per_tok}; expected at most the number of experts ({num_experts})"),
                    ));
                }
                let expert_intermediate = opt("moe_intermediate_size")?.unwrap_or(intermediate);
                let shared_intermediate = opt("shared_expert_intermediate_size")?.unwrap_or(0);
                let step = opt("decoder_sparse_step")?.unwrap_or(1);
                let dense_only: Vec<u64> = match v.get("mlp_only_layers") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|x| {
                            x.as_u64().ok_or_else(|| {
                                Error::data(file, "mlp_only_layers", "expected an array of layer indices")
                            })
                        })
                        .collect::<Result<_>>()?,
                    Some(x) => {
                        return Err(Error::data(
                            file,
                            "mlp_only_layers",
                            format!("is {x}; expected an array of layer indices"),
                        ))
                    }
                };
                // Hugging Face Qwen2-MoE/Qwen3-MoE: layer i is sparse when it is not listed in
                // `mlp_only_layers` and (i + 1) % decoder_sparse_step == 0.
                let moe_layers = (0..layers)
                    .filter(|i| !dense_only.contains(i) && (i + 1) % step == 0)
                    .count() as u64;
                Some(MoeSpec {
                    num_experts,
                    experts_per_tok,
                    expert_intermediate,
                    shared_intermediate,
                    moe_layers,
                })
            }
        };
        let max_position_embeddings = opt("max_position_embeddings")?;
        // Sizes are checked in floating point before any integer product is formed, so the
        // u64 parameter counts below cannot overflow (every term is at most the total).
        let (hf, lf) = (hidden as f64, layers as f64);
        let attn_f = hf * (heads + 2 * kv_heads) as f64 * head_dim as f64 + (heads * head_dim) as f64 * hf;
        let mlp_f = match &moe {
            None => 3.0 * hf * intermediate as f64,
            Some(m) => {
                3.0 * hf * (m.num_experts as f64 * m.expert_intermediate as f64 + m.shared_intermediate as f64)
                    + 3.0 * hf * intermediate as f64
            }
        };
        let total_f = 2.0 * vocab as f64 * hf + lf * (attn_f + mlp_f + 4.0 * hf);
        if total_f > 1e15 {
            return Err(Error::data(
                file,
                "(architecture)",
                format!("describes {total_f:.3e} parameters; expected at most 1e15"),
            ));
        }
        Ok(ModelSpec {
            name: name.to_string(),
            model_type,
            layers,
            hidden,
            intermediate,
            heads,
            kv_heads,
            head_dim,
            vocab,
            tied_embeddings,
            qkv_bias,
            qk_norm,
            moe,
            max_position_embeddings,
        })
    }

    /// Checks that the model can be split over `tp` GPUs: query heads divisible by TP, and KV
    /// heads either divisible by TP or dividing it (then each GPU holds one replicated KV head,
    /// as vLLM and TRT-LLM do).
    pub fn check_tp(&self, tp: u32) -> Result<()> {
        let t = tp as u64;
        if t == 0 {
            return Err(Error::usage("--tp", "must be ≥ 1, got 0"));
        }
        if self.heads % t != 0 {
            return Err(Error::usage(
                "--tp",
                format!(
                    "{}: {} attention heads are not divisible by TP {tp}",
                    self.name, self.heads
                ),
            ));
        }
        if self.kv_heads % t != 0 && t % self.kv_heads != 0 {
            return Err(Error::usage(
                "--tp",
                format!(
                    "{}: {} KV heads cannot be split over TP {tp} (neither divides the other)",
                    self.name, self.kv_heads
                ),
            ));
        }
        Ok(())
    }

    /// Attention-block parameters of one layer (Q, K, V, O projections and their biases, plus
    /// per-head q/k norms), elements.
    pub fn attn_params_per_layer(&self) -> u64 {
        let (h, q, kv) = (self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim);
        let mut p = h * q + 2 * h * kv + q * h;
        if self.qkv_bias {
            p += q + 2 * kv;
        }
        if self.qk_norm {
            p += 2 * self.head_dim;
        }
        p
    }

    /// MLP parameters of one MoE layer: every routed expert, the router and the shared expert.
    fn moe_params_per_layer(&self, m: &MoeSpec) -> u64 {
        let h = self.hidden;
        let mut p = m.num_experts * 3 * h * m.expert_intermediate + h * m.num_experts;
        if m.shared_intermediate > 0 {
            p += 3 * h * m.shared_intermediate + h;
        }
        p
    }

    /// Total parameters (the published model size), elements.
    pub fn params_total(&self) -> u64 {
        let h = self.hidden;
        let mut p = self.vocab * h + h; // embedding + final norm
        if !self.tied_embeddings {
            p += self.vocab * h;
        }
        let per_layer_common = self.attn_params_per_layer() + 2 * h;
        p += self.layers * per_layer_common;
        let dense_mlp = 3 * h * self.intermediate;
        match &self.moe {
            None => p += self.layers * dense_mlp,
            Some(m) => {
                p += m.moe_layers * self.moe_params_per_layer(m) + (self.layers - m.moe_layers) * dense_mlp;
            }
        }
        p
    }

    /// Parameters used for one token (MoE: only the `experts_per_tok` routed experts), elements.
    pub fn params_active(&self) -> u64 {
        match &self.moe {
            None => self.params_total(),
            Some(m) => {
                let h = self.hidden;
                let inactive = (m.num_experts - m.experts_per_tok) * 3 * h * m.expert_intermediate;
                self.params_total() - m.moe_layers * inactive
            }
        }
    }

    /// Embedding and LM-head parameters (kept in 16-bit by FP8 checkpoints), elements.
    pub fn embedding_params(&self) -> u64 {
        self.vocab * self.hidden * if self.tied_embeddings { 1 } else { 2 }
    }

    /// KV-cache bytes per token of the whole model: 2 (K, V) · layers · KV heads · head_dim ·
    /// bytes per element.
    pub fn kv_bytes_per_token(&self, kv: Dtype) -> f64 {
        2.0 * self.layers as f64 * self.kv_heads as f64 * self.head_dim as f64 * kv.bytes()
    }

    /// KV heads each GPU holds at TP `tp`: `K / tp`, or 1 (replicated) when `tp > K`.
    pub fn kv_heads_per_gpu(&self, tp: u32) -> u64 {
        (self.kv_heads / tp as u64).max(1)
    }

    /// KV-cache bytes per token on each GPU at TP `tp` (replicated KV heads counted on every GPU).
    pub fn kv_bytes_per_token_per_gpu(&self, kv: Dtype, tp: u32) -> f64 {
        2.0 * self.layers as f64 * self.kv_heads_per_gpu(tp) as f64 * self.head_dim as f64 * kv.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_cards_parse_and_match_published_sizes() {
        let published = [
            ("Qwen/Qwen3-32B", 32.8e9),
            ("meta-llama/Llama-3.1-8B-Instruct", 8.03e9),
            ("meta-llama/Llama-3.3-70B-Instruct", 70.6e9),
            ("meta-llama/Llama-2-7b-hf", 6.74e9),
            ("Qwen/Qwen3-30B-A3B", 30.5e9),
            ("mistralai/Mixtral-8x7B-v0.1", 46.7e9),
        ];
        for (id, n) in published {
            let m = ModelSpec::resolve(id).unwrap();
            let p = m.params_total() as f64;
            assert!((p / n - 1.0).abs() < 0.02, "{id}: {p} vs {n}");
        }
    }

    #[test]
    fn missing_field_names_it() {
        let e = ModelSpec::from_json_bytes("x", "x.json", br#"{"hidden_size": 8}"#).unwrap_err();
        assert!(e.to_string().contains("num_hidden_layers"), "{e}");
    }
}

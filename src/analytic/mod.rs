//! Analytic profiles: a roofline model of LLM inference that produces a [`crate::profile::Profile`]
//! for any model, GPU and TP — the "AIC-style" static estimate (SPEC §1, source 5).
//!
//! * [`model`] — model cards ([`model::ModelSpec`]) from Hugging Face `config.json` files; the
//!   shipped cards; parameter counts and KV bytes per token.
//! * [`gpu`] — the GPU catalog (peak FLOP/s, HBM capacity and bandwidth, link bandwidth),
//!   user-extendable from a TOML file.
//! * [`efficiency`] — the efficiency factors and overheads, their defaults and file format.
//! * [`step`] — the step-time model (prefill and decode forward passes as sums of per-operation
//!   rooflines; TP all-reduces; overheads) and the KV capacity from memory.
//! * [`synth`] — the prefill curve and decode surface on Dynamo's profiler grids, as a `Profile`
//!   and as a Dynamo profiler output directory (npz).
//! * [`fit`] — fitting the factors to the shipped measured profiles.
//! * [`silicon`] — fitting the factors to measured operating points (AIConfigurator silicon
//!   CSV) by simulating each row.
//! * [`optimize`] — the Nelder–Mead multi-start search both fits use.
//! * [`cli`] — `slasim profile synth` and `slasim profile fit-roofline`.

pub mod cli;
pub mod efficiency;
pub mod fit;
pub mod gpu;
pub mod model;
pub mod optimize;
pub mod silicon;
pub mod step;
pub mod synth;

pub use efficiency::Efficiency;
pub use gpu::{GpuCatalog, GpuSpec};
pub use model::{Dtype, ModelSpec};
pub use step::Roofline;
pub use synth::{synth_profile, SynthOptions};

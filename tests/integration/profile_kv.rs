//! KV capacities of the shipped profiles against the memory arithmetic (weights, GPU memory,
//! vLLM's 0.9 memory utilisation, the 3.92 GB per-GPU reserve the measured Llama-3.3-70B TP2
//! capacity implies): every engine's capacity must be what its model and GPU can hold, so a
//! profile can no longer give every TP the same capacity.

use slasim::analytic::{Dtype, Efficiency, GpuCatalog, ModelSpec, Roofline};
use slasim::profile::shipped;

/// Reserve per GPU implied by the measured TP2 capacity (see the 70B manifest), GB.
const RESERVE_GB: f64 = 3.92;

#[test]
fn every_shipped_engine_holds_what_its_memory_allows() {
    let catalog = GpuCatalog::builtin().expect("catalog");
    let mut checked = 0;
    for name in shipped::names() {
        let m = shipped::manifest(name).expect("manifest").expect("parses");
        let Some(card) = &m.model_card else { continue };
        let model = ModelSpec::resolve(card).expect("card");
        let gpu = catalog.get(&m.gpu).expect("gpu").clone();
        let weights = Dtype::parse(m.weight_dtype.as_deref().unwrap_or("bf16")).expect("weight dtype");
        let kv = Dtype::parse(m.kv_dtype.as_deref().unwrap_or("bf16")).expect("kv dtype");
        let p = shipped::by_name(name).expect("profile").expect("loads");
        for e in p.engines.iter().filter(|e| e.decode.is_some()) {
            let r =
                Roofline::new(model.clone(), gpu.clone(), e.tp, weights, kv, Efficiency::default()).expect("roofline");
            let want = r.kv_capacity_tokens(0.9, RESERVE_GB).expect("fits") as f64;
            let got = e.kv_capacity_tokens().expect("capacity");
            let err = (got - want) / want;
            eprintln!(
                "{name} TP{}: capacity {got:.0} tokens, memory arithmetic {want:.0} ({:+.1} %)",
                e.tp,
                err * 100.0
            );
            // AIConfigurator's estimate is its own (max batch × tokens); measured and computed
            // capacities must match the arithmetic
            let tol = if m.origin == slasim::profile::Origin::AicEstimate {
                0.5
            } else {
                0.06
            };
            assert!(
                err.abs() <= tol,
                "{name} TP{}: {got} vs {want} ({:+.1} %)",
                e.tp,
                err * 100.0
            );
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} engines checked");
}

#[test]
fn llama_70b_capacity_grows_with_tp() {
    let p = shipped::by_name("llama-3.3-70b-fp8/h100/vllm")
        .expect("profile")
        .expect("loads");
    let cap = |tp| {
        p.agg_engine(Some(tp), "--tp")
            .expect("engine")
            .kv_capacity_tokens()
            .expect("capacity")
    };
    assert_eq!(cap(2), 224133.0);
    assert_eq!(cap(4), 669992.0);
    assert_eq!(cap(8), 1561709.0);
    // the surfaces keep the file's scale on their kv_usage axis
    for tp in [2, 4, 8] {
        let e = p.agg_engine(Some(tp), "--tp").expect("engine");
        assert_eq!(e.kv_scale_tokens(), Some(224133.0));
    }
}

//! `cargo bench`: the simulator core on the reference scenario (SPEC §6), scaled down so
//! criterion can repeat it; `slasim bench` runs the full 1M-request scenario.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slasim::bench::{reference_spec, saturation_rps};
use slasim::sim::{simulate, MetricsMode};
use slasim::workload::{ArrivalPattern, LoadSpec};

fn reference(c: &mut Criterion) {
    let rps = saturation_rps().expect("pilot run") * 0.9;
    let mut g = c.benchmark_group("reference_scenario");
    g.sample_size(10);
    for requests in [10_000u64, 100_000] {
        let spec = reference_spec(
            requests,
            LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps }),
            MetricsMode::Streaming,
        )
        .expect("reference spec");
        g.throughput(Throughput::Elements(requests));
        g.bench_function(format!("{requests}_requests"), |b| {
            b.iter(|| simulate(&spec).expect("simulate"))
        });
    }
    g.finish();
}

criterion_group!(benches, reference);
criterion_main!(benches);

//! Parse time of the embedded catalog (`Catalog::builtin()` pays it once per process; the
//! binary and every test binary do). The full VM tables dominate: 1,782 sizes and 65,053
//! size-region prices. Figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::catalog::Catalog;

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("catalog");
    g.sample_size(20);
    g.bench_function("parse_embedded", |b| {
        b.iter(|| match Catalog::parse_embedded() {
            Ok(cat) => cat.vm_skus().count(),
            Err(e) => panic!("{e}"),
        })
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);

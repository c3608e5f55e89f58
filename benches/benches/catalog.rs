//! Parse time of the embedded catalog (`Catalog::builtin()` pays it once per process; the
//! binary and every test binary do). The full VM tables hold 1,782 sizes and 65,053
//! size-region prices; since the prices are parsed per size on first read, loading splits
//! the price table into blocks and pricing a size parses its block. The CSV tables are
//! split into records and blocks at build time (`parse_embedded`); `parse_embedded_text`
//! is the same load tokenising the text at run time, the path taken when the build could
//! not split a table. Figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use poolcast_model::catalog::Catalog;
use poolcast_model::scenario::Os;

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("catalog");
    g.sample_size(20);
    // What every process pays: load, no price read yet.
    g.bench_function("parse_embedded", |b| {
        b.iter(|| match Catalog::parse_embedded() {
            Ok(cat) => cat.vm_skus().count(),
            Err(e) => panic!("{e}"),
        })
    });
    // The same load from the text alone, every table tokenised at run time.
    g.bench_function("parse_embedded_text", |b| {
        b.iter(|| match Catalog::parse_embedded_text() {
            Ok(cat) => cat.vm_skus().count(),
            Err(e) => panic!("{e}"),
        })
    });
    // A run: load, then price three sizes in one region.
    g.bench_function("parse_embedded_price_3_sizes", |b| {
        b.iter(|| match Catalog::parse_embedded() {
            Ok(cat) => ["Standard_D4s_v5", "Standard_D8s_v5", "Standard_D2s_v3"]
                .iter()
                .filter_map(|n| cat.vm_sku(n)?.price("southcentralus", Os::Linux))
                .count(),
            Err(e) => panic!("{e}"),
        })
    });
    // `catalog skus` or a search over every size: load, then every size's prices (the
    // whole table, as every load did before).
    g.bench_function("parse_embedded_all_prices", |b| {
        b.iter(|| match Catalog::parse_embedded() {
            Ok(cat) => cat.vm_skus().map(|s| s.prices.len()).sum::<usize>(),
            Err(e) => panic!("{e}"),
        })
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);

//! Splitting the plain full VM tables (`data/vm-sizes.csv`, `data/vm-prices.csv`) into rows
//! and per-size blocks, without reading any value. The runtime text path uses it, and
//! `crates/model/build.rs` compiles this same file to split the embedded tables at build
//! time (`docs/catalogs.md`, "Split at build time"), so both paths split alike. It needs
//! nothing but `std`.

/// Header of the full size table.
pub(crate) const SIZE_COLUMNS: &str = "name,family,vcpus,vcpus_available,memory_gib,arch,premium_io,ephemeral_os_disk,temp_disk_gib,accelerated_networking,gpus,uncached_disk_mbps,uncached_disk_iops,aks,aks_system,spec";
/// Header of the full price table.
pub(crate) const PRICE_COLUMNS: &str = "name,region,linux,windows,windows_basis,spot";

/// Why a table could not be split: the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One non-blank row of the size table after its header: its 1-based line and its
/// comma-separated fields (the table has no quoting).
pub(crate) type SizeRow<'a> = (usize, Vec<&'a str>);

/// Checks the size table's header and splits the other non-blank lines into fields.
pub(crate) fn size_rows(sizes: &str) -> Result<Vec<SizeRow<'_>>, SplitError> {
    let mut lines = sizes.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim_end() == SIZE_COLUMNS => {}
        _ => {
            return Err(SplitError {
                line: 1,
                message: format!("unexpected header; expected {SIZE_COLUMNS}"),
            })
        }
    }
    Ok(lines
        .filter_map(|(i, line)| {
            let line = line.trim_end();
            (!line.is_empty()).then(|| (i + 1, line.split(',').collect()))
        })
        .collect())
}

/// One size's consecutive rows of the price table: byte range in the table and the line
/// number of its first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriceBlock<'a> {
    /// Size name as the rows spell it.
    pub name: &'a str,
    /// Byte offset of the block's first row.
    pub start: usize,
    /// Byte offset just past the block (the next block's start, or the table's end).
    pub end: usize,
    /// Line number of the block's first row.
    pub line: usize,
}

/// Splits the price table into one block per size (rows are grouped by size), checking
/// the header and that no size comes back after another's rows.
pub(crate) fn price_blocks(prices: &str) -> Result<Vec<PriceBlock<'_>>, SplitError> {
    let mut blocks: Vec<PriceBlock<'_>> = Vec::with_capacity(2048);
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut offset = 0;
    let mut start = 0;
    let mut current: Option<(&str, usize)> = None;
    for (i, raw) in prices.split_inclusive('\n').enumerate() {
        let here = offset;
        offset += raw.len();
        if i == 0 {
            if raw.trim_end() != PRICE_COLUMNS {
                return Err(SplitError {
                    line: 1,
                    message: format!("unexpected header; expected {PRICE_COLUMNS}"),
                });
            }
            start = offset;
            continue;
        }
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let name = line.split(',').next().unwrap_or_default();
        if current.is_some_and(|(n, _)| n == name) {
            continue;
        }
        if let Some((n, first)) = current {
            blocks.push(PriceBlock {
                name: n,
                start,
                end: here,
                line: first,
            });
        }
        if !seen.insert(name) {
            return Err(SplitError {
                line: i + 1,
                message: format!("{name}: rows of one size must be consecutive"),
            });
        }
        current = Some((name, i + 1));
        start = here;
    }
    if let Some((n, first)) = current {
        blocks.push(PriceBlock {
            name: n,
            start,
            end: prices.len(),
            line: first,
        });
    }
    Ok(blocks)
}

/// The region column of every row of a price block, in order, repeats included.
pub(crate) fn block_regions(block: &str) -> impl Iterator<Item = &str> {
    block.lines().filter_map(|line| line.split(',').nth(1))
}

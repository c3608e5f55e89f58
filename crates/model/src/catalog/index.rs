//! The embedded tables split at build time (`docs/catalogs.md`, "Split at build time").
//!
//! `crates/model/build.rs` splits the SKU CSV into records, the full size table into rows
//! and the full price table into one block per size, with the same code the text path
//! runs ([`super::csv`], [`super::split`]), and writes the pieces as static data into
//! `$OUT_DIR/catalog_index.rs`, included here. [`super::Catalog::parse_embedded`] then only
//! reads values. When a table cannot be split at build time the generated file holds `None`
//! and the text path runs, so the table's error is reported at run time as before.

/// One size's block of the embedded price table.
#[derive(Debug)]
pub(crate) struct BlockIndex {
    /// Size name as the rows spell it.
    pub name: &'static str,
    /// Byte range of the block in the table.
    pub start: usize,
    /// End of that range (exclusive).
    pub end: usize,
    /// Line number of the block's first row.
    pub line: usize,
    /// Bit set over [`EmbeddedIndex::price_regions`]: the regions the block's rows name.
    pub regions: &'static [u64],
}

/// The embedded tables, split.
#[derive(Debug)]
pub(crate) struct EmbeddedIndex {
    /// Byte lengths of the SKU, size and price tables the index was built from.
    pub lengths: [usize; 3],
    /// The SKU CSV's records, header first: line and unquoted fields.
    pub sku_records: &'static [(usize, &'static [&'static str])],
    /// The size table's non-blank rows after its header: line and fields.
    pub size_rows: &'static [(usize, &'static [&'static str])],
    /// Every region the price table names, sorted.
    pub price_regions: &'static [&'static str],
    /// The price table's blocks, in table order.
    pub price_blocks: &'static [BlockIndex],
}

include!(concat!(env!("OUT_DIR"), "/catalog_index.rs"));

//! Plain aligned text tables for the terminal.

/// A table: a header row and data rows, columns left-aligned and padded to their widest
/// cell, two spaces apart.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with `header`.
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| (*s).to_owned()).collect()],
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The rendered lines, each indented by `indent` spaces, without trailing spaces.
    pub fn render(&self, indent: usize) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; cols];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in &self.rows {
            let mut line = " ".repeat(indent);
            for (i, c) in r.iter().enumerate() {
                line.push_str(c);
                if i + 1 < r.len() {
                    line.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A millisecond span for people, to 0.1 s: `0.9s`, `12.3s`, `36m18.6s`, `1h02m05.0s`.
/// The one duration format of every table, summary and report; JSON keeps milliseconds.
pub fn fmt_ms(ms: u64) -> String {
    poolcast_model::Duration(ms).readable()
}

/// A duration written the scenario's way (`36m18s550ms`, the sim's target texts) shown
/// with [`fmt_ms`]; any other text (`95%`, `3 pods`) is returned as it is.
pub fn readable_duration(text: &str) -> String {
    match text.parse::<poolcast_model::Duration>() {
        Ok(d) => fmt_ms(d.0),
        Err(_) => text.to_owned(),
    }
}

/// The unit of a size column: every cell of a column is written in the same unit, named
/// once in its header, so `1931000000`, `2250000Ki` and `69Mi` never share a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    /// Mebibytes, one decimal.
    MiB,
    /// Gibibytes, two decimals.
    GiB,
}

impl SizeUnit {
    /// MiB when every size in the column is below 10 GiB, else GiB.
    pub fn for_column(sizes: impl IntoIterator<Item = u64>) -> SizeUnit {
        let max = sizes.into_iter().max().unwrap_or(0);
        if max < 10 << 30 {
            SizeUnit::MiB
        } else {
            SizeUnit::GiB
        }
    }

    /// `name (MiB)`.
    pub fn header(self, name: &str) -> String {
        format!("{name} ({})", self.symbol())
    }

    /// `MiB` or `GiB`.
    pub fn symbol(self) -> &'static str {
        match self {
            SizeUnit::MiB => "MiB",
            SizeUnit::GiB => "GiB",
        }
    }

    /// The number of units in `bytes`, without the symbol: `1841.6`, `2.14`.
    pub fn fmt(self, bytes: u64) -> String {
        match self {
            SizeUnit::MiB => format!("{:.1}", bytes as f64 / (1u64 << 20) as f64),
            SizeUnit::GiB => format!("{:.2}", bytes as f64 / (1u64 << 30) as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_durations_read_well() {
        let mut t = Table::new(&["A", "BB"]);
        t.row(vec!["long".into(), "x".into()]);
        assert_eq!(t.render(2), "  A     BB\n  long  x\n");
        assert_eq!(fmt_ms(850), "0.9s");
        assert_eq!(fmt_ms(12_345), "12.3s");
        assert_eq!(fmt_ms(245_000), "4m05.0s");
        assert_eq!(fmt_ms(2_178_550), "36m18.6s");
        assert_eq!(fmt_ms(3_725_000), "1h02m05.0s");
        assert_eq!(fmt_ms(59_960), "1m00.0s");
        assert_eq!(readable_duration("36m18s550ms"), "36m18.6s");
        assert_eq!(readable_duration("95%"), "95%");
    }

    #[test]
    fn one_size_unit_per_column() {
        let col = [1_931_000_000u64, 2_250_000 * 1024, 69 << 20];
        let u = SizeUnit::for_column(col);
        assert_eq!(u, SizeUnit::MiB);
        assert_eq!(u.header("compressed"), "compressed (MiB)");
        let cells: Vec<String> = col.iter().map(|b| u.fmt(*b)).collect();
        assert_eq!(cells, ["1841.5", "2197.3", "69.0"]);
        assert_eq!(SizeUnit::for_column([12u64 << 30]).fmt(12 << 30), "12.00");
    }
}

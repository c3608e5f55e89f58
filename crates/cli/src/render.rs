//! Printing diagnostics: compiler-style text for people, JSON for scripts.

use std::fmt::Write as _;

use poolcast_model::Diagnostic;
use serde::Serialize;

/// One diagnostic as text:
/// `file:12:7: error[aks.windows-pool-name]: pools[1].name: message` and, if there is a
/// hint, `  hint: ...` on the next line.
pub fn diagnostic_text(d: &Diagnostic) -> String {
    let mut s = String::new();
    if d.line > 0 {
        let _ = write!(s, "{}:{}:{}: ", d.file, d.line, d.column);
    } else {
        let _ = write!(s, "{}: ", d.file);
    }
    let _ = write!(s, "{}[{}]: ", d.severity, d.code);
    if !d.path.is_root() {
        let _ = write!(s, "{}: ", d.path);
    }
    s.push_str(&d.message);
    if let Some(h) = &d.hint {
        let _ = write!(s, "\n  hint: {h}");
    }
    s
}

/// What `validate` found in one file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The path as given.
    pub file: String,
    /// No errors (warnings allowed).
    pub valid: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// Everything found, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// The `validate --format json` document.
#[derive(Debug, Serialize)]
pub struct ValidateReport {
    /// `poolcast.validate/v1`.
    pub schema: &'static str,
    /// Per file, in the order given.
    pub files: Vec<FileReport>,
    /// Errors over all files.
    pub errors: usize,
    /// Warnings over all files.
    pub warnings: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolcast_model::{diagnostic::codes, FieldPath};

    #[test]
    fn text_lines() {
        let mut d = Diagnostic::error(
            codes::AKS_WINDOWS_POOL_NAME,
            FieldPath::root().key("pools").index(1).key("name"),
            "Windows pool name 'winpool1' is 8 characters; AKS allows 1-6",
        )
        .with_hint("shorten it");
        d.file = "scenarios/x.yaml".into();
        d.line = 12;
        d.column = 7;
        assert_eq!(
            diagnostic_text(&d),
            "scenarios/x.yaml:12:7: error[aks.windows-pool-name]: pools[1].name: Windows pool name 'winpool1' is 8 characters; AKS allows 1-6\n  hint: shorten it"
        );
        let mut d = Diagnostic::warning("io.read", FieldPath::root(), "cannot read");
        d.file = "f".into();
        assert_eq!(diagnostic_text(&d), "f: warning[io.read]: cannot read");
    }
}

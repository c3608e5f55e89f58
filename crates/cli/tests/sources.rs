//! Citations users can follow: no tracked file under `crates/`, `docs/`, `scenarios/`,
//! `README.md` or `ARCHITECTURE.md` may name the team's internal research notes, which
//! users never get. Code, docs, data files and scenarios cite the primary sources instead
//! (repository + file + commit or issue, URL, document, date), listed in `docs/sources.md`.
//!
//! This file is the one exception: it has to spell the names it looks for.

use std::process::Command;

use crate::common::workspace;

/// The note files and the folder that holds them (`/work/shared/data`, next to the team's
/// `DESIGN.md` and `STYLE.md`), as a citation would spell them. A bare `shared/` is not
/// enough: image names such as `contoso.azurecr.io/shared/svc` are ordinary text. Nor is
/// `azure-vm-skus.csv`: it is also the name of the repository's own VM table
/// (`crates/model/data/`, sources in its README), which users have; a citation of the note
/// copy names `shared/data/`.
const NOTE_NAMES: [&str; 13] = [
    "facts.md",
    "io-costs.md",
    "aks-system-pods.md",
    "azure-vm-catalog.md",
    "azure-vm-skus.md",
    "azure-vm-prices-",
    "azure-vm-sizes-all",
    "pull-measurements",
    "windows-price-rule",
    "/work/shared",
    "shared/data",
    "shared/DESIGN.md",
    "shared/STYLE.md",
];

/// What `git ls-files` is asked for.
const SCOPE: [&str; 5] = [
    "crates",
    "docs",
    "scenarios",
    "README.md",
    "ARCHITECTURE.md",
];

/// This file, which names the notes on purpose.
const THIS_FILE: &str = "crates/cli/tests/sources.rs";

/// The note names `line` cites. A name counts only where it starts a word, so
/// `artifacts.md`, `embergershared/aks-wincont-imgpull-opt` or a repository called
/// `djtools-azure-vm-sku-locator` is not a hit.
fn cited_notes(line: &str) -> Vec<&'static str> {
    NOTE_NAMES
        .iter()
        .copied()
        .filter(|name| {
            line.match_indices(name).any(|(at, _)| {
                line[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'))
            })
        })
        .collect()
}

#[test]
fn cited_notes_finds_note_names_and_nothing_else() {
    assert_eq!(cited_notes("(facts.md §5)"), ["facts.md"]);
    assert_eq!(
        cited_notes("# Converted from /work/shared/data/aks-system-pods.md"),
        ["aks-system-pods.md", "/work/shared", "shared/data"]
    );
    assert_eq!(cited_notes("see shared/STYLE.md"), ["shared/STYLE.md"]);
    assert_eq!(cited_notes("io-costs.md §5.2 [U]"), ["io-costs.md"]);
    assert_eq!(
        cited_notes("see pull-measurements.csv"),
        ["pull-measurements"]
    );
    assert_eq!(
        cited_notes("the `azure-vm-skus.md` caveats"),
        ["azure-vm-skus.md"]
    );
    assert!(cited_notes("include_str!(\"../../data/azure-vm-skus.csv\")").is_empty());
    assert!(cited_notes("artifacts.md and unshared/data paths").is_empty());
    assert!(cited_notes("image: contoso.azurecr.io/shared/svc:1.0").is_empty());
    assert!(cited_notes("github.com/embergershared/aks-wincont-imgpull-opt").is_empty());
    assert!(cited_notes("DarrenJohns/djtools-azure-vm-sku-locator@823a920").is_empty());
    assert!(cited_notes("AKSDOCS `node-resource-reservations.md` (2026-06-11)").is_empty());
}

#[test]
fn no_tracked_file_cites_the_internal_research_notes() {
    let root = workspace();
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "-z", "--"])
        .args(SCOPE)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed: {out:?}");
    let files: Vec<String> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    assert!(
        files.iter().any(|f| f == "docs/sources.md"),
        "git ls-files listed no docs/sources.md: run from the poolcast checkout"
    );

    let mut hits = Vec::new();
    for file in files.iter().filter(|f| *f != THIS_FILE) {
        // Fonts and other binary files are read lossily: a note name is ASCII.
        let bytes = std::fs::read(root.join(file)).expect("a tracked file is readable");
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            let notes = cited_notes(line);
            if !notes.is_empty() {
                hits.push(format!("{file}:{}: {}", n + 1, notes.join(", ")));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "{} line(s) cite internal research notes users do not have; cite the primary \
         source the note names and list it in docs/sources.md:\n{}",
        hits.len(),
        hits.join("\n")
    );
}

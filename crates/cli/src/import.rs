//! `poolcast import`: reads a cluster dump (`kubectl get nodes,pods -A -o json`) and/or
//! manifest files and folders, translates them with `poolcast_model::import`, and writes the
//! commented scenario YAML to a file (atomically) or stdout.
//!
//! This module owns the file side only: reading, JSON/YAML parsing of the dump with located
//! errors, walking manifest folders in a stable order, and the write. Nothing is written when
//! any input is malformed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Args;
use poolcast_model::import::{
    import, render_yaml, DumpSource, ImportOptions, Imported, ManifestSource, NoteKind,
};
use poolcast_model::Scenario;
use serde_json::Value;

/// Arguments of `poolcast import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Output of `kubectl get nodes -o json` (a combined `kubectl get nodes,pods -A -o json`
    /// List works too). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub nodes: Vec<PathBuf>,
    /// Output of `kubectl get pods -A -o json`. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub pods: Vec<PathBuf>,
    /// Manifest files or folders (YAML, multi-document, or JSON; Helm-rendered output
    /// works). Folders are read recursively, `.yaml`, `.yml` and `.json` files in name order.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub manifests: Vec<PathBuf>,
    /// Write the scenario here (atomically) instead of to stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Scenario name (`metadata.name`); default `imported`.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// Runs `poolcast import`. Returns the exit code: 0 when the scenario was written.
pub fn run_import(args: &ImportArgs) -> anyhow::Result<i32> {
    if args.nodes.is_empty() && args.pods.is_empty() && args.manifests.is_empty() {
        bail!("nothing to import: give --nodes/--pods (kubectl get ... -o json) and/or --manifests PATH...");
    }
    let mut source_names = Vec::new();
    let mut dump = Vec::new();
    for path in args.nodes.iter().chain(&args.pods) {
        let text = read(path)?;
        dump.push(DumpSource {
            name: path.display().to_string(),
            value: parse_dump(path, &text)?,
        });
        source_names.push(path.display().to_string());
    }
    let mut manifests = Vec::new();
    for path in &args.manifests {
        for file in manifest_files(path)? {
            manifests.push(ManifestSource {
                name: file.display().to_string(),
                text: read(&file)?,
            });
        }
        source_names.push(path.display().to_string());
    }
    if !args.manifests.is_empty() && manifests.is_empty() {
        bail!(
            "no .yaml, .yml or .json file under {}",
            join_paths(&args.manifests)
        );
    }

    let options = ImportOptions {
        scenario_name: args.name.clone(),
        source_names,
    };
    let imported = import(&dump, &manifests, &options)?;
    // Freeing a 150,000-pod JSON tree takes seconds (millions of small allocations) and
    // nothing below needs it: it is freed on a detached thread while the YAML is written.
    // The command does not wait for it; when the process exits the OS takes the rest back.
    drop(std::thread::spawn(move || drop(dump)));
    let text = render_yaml(&imported)?;
    // The YAML must load back as the same scenario; a difference is a poolcast bug, and
    // writing such a file would only move the failure to the next command.
    let back: Scenario = serde_yaml_ng::from_str(&text)
        .context("internal error: the imported scenario does not load back")?;
    if back != imported.scenario {
        bail!("internal error: the imported scenario changes when loaded back");
    }

    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("writing to stdout")?;
            out.flush().context("writing to stdout")?;
        }
    }
    eprintln!("{}", summary(&imported, args.output.as_deref()));
    Ok(0)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Parses a dump file: JSON (what `kubectl get -o json` writes), or YAML (`-o yaml`).
fn parse_dump(path: &Path, text: &str) -> anyhow::Result<Value> {
    let body = text.trim_start_matches('\u{feff}');
    if body.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(body).map_err(|e| {
            let msg = e.to_string();
            let msg = msg
                .rfind(" at line ")
                .map_or(msg.as_str(), |i| &msg[..i])
                .to_owned();
            anyhow::anyhow!("{}:{}:{}: {msg}", path.display(), e.line(), e.column())
        })
    } else {
        serde_yaml_ng::from_str(body).map_err(|e| match e.location() {
            Some(l) => anyhow::anyhow!("{}:{}:{}: {e}", path.display(), l.line(), l.column()),
            None => anyhow::anyhow!("{}: {e}", path.display()),
        })
    }
}

/// The manifest files under `path`: the file itself, or a folder's `.yaml`/`.yml`/`.json`
/// files, recursively, sorted by path so the import is reproducible. Hidden entries
/// (`.git`, `.helmignore`) are skipped.
fn manifest_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading folder {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading folder {}", dir.display()))?;
            let p = entry.path();
            let hidden = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            let ft = entry
                .file_type()
                .with_context(|| format!("reading {}", p.display()))?;
            if ft.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes to a temporary file in the target's folder, then renames it over the target, so a
/// reader never sees half a scenario and a failed import leaves no file behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".poolcast-import-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary(imported: &Imported, output: Option<&Path>) -> String {
    let s = &imported.scenario;
    let nodes: usize = s.pools.iter().map(|p| p.nodes.len()).sum();
    let count = |k: NoteKind| imported.notes.iter().filter(|n| n.kind == k).count();
    format!(
        "imported {} pool(s) with {nodes} node(s), {} workload(s), {} image(s); {} FILL IN, {} warning(s), {} ignored field(s) -> {}",
        s.pools.len(),
        s.workloads.len(),
        s.images.len(),
        count(NoteKind::FillIn),
        count(NoteKind::Warning),
        imported.ignored.len(),
        output.map_or_else(|| "stdout".to_owned(), |p| p.display().to_string()),
    )
}

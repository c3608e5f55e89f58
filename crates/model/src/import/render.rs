//! Writes an imported scenario as YAML with the import's notes as comments: scenario-wide
//! notes and the ignored-field list in a header, the rest right above the `cluster:` section
//! or the pool, image or workload they are about. Comments do not change what the YAML
//! loads as, so the text round-trips to the same `Scenario`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{ImportError, Imported, Note, NoteKind, Subject};

/// Renders `imported` as commented YAML.
pub fn render_yaml(imported: &Imported) -> Result<String, ImportError> {
    let body = serde_yaml_ng::to_string(&imported.scenario)
        .map_err(|e| ImportError::Render(e.to_string()))?;

    let mut header = String::new();
    header.push_str("# poolcast scenario written by `poolcast import`.\n");
    if let Some(d) = &imported.scenario.metadata.description {
        let _ = writeln!(header, "# {}", one_line(d));
    }
    header.push_str(
        "# Comments marked FILL IN name what the input did not say; `inferred` marks values\n\
         # derived from indirect evidence. Check both before relying on a run.\n",
    );
    let scenario_notes: Vec<&Note> = imported
        .notes
        .iter()
        .filter(|n| n.subject == Subject::Scenario)
        .collect();
    for kind in [NoteKind::FillIn, NoteKind::Warning, NoteKind::Inferred] {
        for n in scenario_notes.iter().filter(|n| n.kind == kind) {
            let _ = writeln!(header, "# {}: {}", kind.label(), one_line(&n.message));
        }
    }
    let per_item = imported.notes.len() - scenario_notes.len();
    let fill_ins = imported
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::FillIn && n.subject != Subject::Scenario)
        .count();
    if per_item > 0 {
        let _ = writeln!(
            header,
            "# {per_item} more note(s) below, next to what they are about ({fill_ins} FILL IN)."
        );
    }
    if !imported.ignored.is_empty() {
        header.push_str(
            "#\n# Ignored: input fields poolcast does not model, each listed once\n\
             # (kind, field path, number of objects, first object):\n",
        );
        for f in &imported.ignored {
            let _ = writeln!(
                header,
                "#   {} {} x{} (first: {})",
                f.kind,
                f.path,
                f.count,
                one_line(&f.first)
            );
        }
    }
    header.push('\n');

    // Notes by the subject they attach to.
    let mut by_subject: HashMap<&Subject, Vec<&Note>> = HashMap::new();
    for n in &imported.notes {
        if n.subject != Subject::Scenario {
            by_subject.entry(&n.subject).or_default().push(n);
        }
    }
    let mut out = String::with_capacity(header.len() + body.len() + 64 * imported.notes.len());
    out.push_str(&header);
    let mut section = "";
    for line in body.lines() {
        if !line.starts_with(' ') && !line.starts_with('-') {
            if let Some(key) = line.strip_suffix(':').or_else(|| line.split(": ").next()) {
                section = match key {
                    "cluster" => "cluster",
                    "pools" => "pools",
                    "images" => "images",
                    "workloads" => "workloads",
                    _ => "",
                };
            }
            if section == "cluster" {
                push_notes(&mut out, by_subject.get(&Subject::Cluster), "");
            }
        } else if let Some(raw) = line.strip_prefix("- name: ") {
            let subject = match section {
                "pools" => Some(Subject::Pool(unquote(raw))),
                "images" => Some(Subject::Image(unquote(raw))),
                "workloads" => Some(Subject::Workload(unquote(raw))),
                _ => None,
            };
            if let Some(s) = subject {
                push_notes(&mut out, by_subject.get(&s), "");
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

fn push_notes(out: &mut String, notes: Option<&Vec<&Note>>, indent: &str) {
    let Some(notes) = notes else { return };
    for kind in [NoteKind::FillIn, NoteKind::Warning, NoteKind::Inferred] {
        for n in notes.iter().filter(|n| n.kind == kind) {
            let _ = writeln!(out, "{indent}# {}: {}", kind.label(), one_line(&n.message));
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The plain value of a YAML scalar as serde_yaml_ng writes a name (plain, 'single' or
/// "double" quoted).
fn unquote(raw: &str) -> String {
    let t = raw.trim();
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return t[1..t.len() - 1].replace("''", "'");
    }
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        if let Ok(s) = serde_yaml_ng::from_str::<String>(t) {
            return s;
        }
    }
    t.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_yaml_scalars() {
        assert_eq!(unquote("web"), "web");
        assert_eq!(unquote("'123'"), "123");
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("\"a\\tb\""), "a\tb");
    }
}

#[cfg(test)]
mod placement_tests {
    use super::super::{import, ImportOptions, ManifestSource};
    use super::*;

    #[test]
    fn notes_sit_above_what_they_are_about() {
        let src = ManifestSource {
            name: "m.yaml".into(),
            text: "kind: Job\nmetadata: {name: 'it''s'}\nspec:\n  template:\n    spec:\n      \
                   containers: [{image: 'contoso.azurecr.io/x:1'}]\n"
                .into(),
        };
        let imported = import(&[], &[src], &ImportOptions::default()).unwrap();
        let text = render_yaml(&imported).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let at = |needle: &str| lines.iter().position(|l| *l == needle).unwrap();
        let job = at("- name: it's");
        assert!(lines[job - 1].starts_with("# FILL IN: duration"), "{text}");
        let image = at("- name: contoso.azurecr.io/x:1");
        assert!(
            lines[..image]
                .iter()
                .rev()
                .take_while(|l| l.starts_with('#'))
                .any(|l| l.contains("layers")),
            "{text}"
        );
        let system = at("- name: system");
        assert!(
            lines[system - 1].starts_with("# FILL IN: no nodes in the input"),
            "{text}"
        );
        let cluster = at("cluster:");
        assert!(lines[cluster - 1].contains("kubernetesVersion"), "{text}");
    }
}

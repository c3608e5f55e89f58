//! Loading a scenario from text: parse, locate, deserialize piece by piece, validate.
//!
//! The loader reports every problem in one pass, each with a line and column:
//! 1. the text is parsed to a generic value (`serde_yaml_ng`, or `serde_json` for JSON so
//!    that JSON syntax errors read like JSON errors); a syntax error is fatal;
//! 2. the same text is indexed by path with an event parser that keeps marks
//!    ([`index`]); duplicate keys and extra documents found there are fatal too;
//! 3. the top-level mapping and then each item of each list (`pools[i]`, `workloads[i]`,
//!    ...) are deserialized on their own, each reporting all its bad fields ([`recover`]);
//! 4. if everything deserialized, the semantic checks of [`crate::validate`] run.
//!
//! No I/O: the caller reads the file and passes its name as `origin`.

mod index;
mod recover;

use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use crate::diagnostic::{codes, Diagnostic, FieldPath};
use crate::scenario::{
    DisruptionBudget, Event, Image, Pool, PriorityClass, Scenario, Workload, API_VERSION, KIND,
};
use crate::validate::validate;

use self::index::{Pos, SourceIndex};
pub(crate) use self::recover::did_you_mean;
use self::recover::{classify, deserialize_all};

/// The syntax of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2 (the default for any extension but `.json`).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a file name implies: `.json` is JSON, anything else YAML.
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Parses and validates a scenario.
///
/// `origin` names the text in diagnostics (usually the file path). On success returns the
/// scenario with its warnings; on failure every diagnostic found, errors and warnings,
/// sorted by position. Never panics, whatever the input.
///
/// ```
/// use poolcast_model::load::{parse_scenario, Format};
/// let text = "apiVersion: poolcast/v1\nkind: Scenario\nmetadata: {name: x}\n\
///             cluster: {kubernetesVersion: \"1.33\"}\npools: []\nworkloads: []\n";
/// let errors = parse_scenario(text, Format::Yaml, "x.yaml").unwrap_err();
/// assert_eq!(errors[0].code, "aks.system-pool-missing");
/// ```
pub fn parse_scenario(
    text: &str,
    format: Format,
    origin: &str,
) -> Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let index = SourceIndex::build(text);
    let scenario = load(text, format, &index, &mut diags);
    for d in &mut diags {
        d.file = origin.to_owned();
        if d.line == 0 {
            let at_key = d.code == codes::UNKNOWN_FIELD;
            let pos = index
                .locate(&d.path, at_key)
                .unwrap_or(Pos { line: 1, column: 1 });
            d.line = pos.line;
            d.column = pos.column;
        }
    }
    diags.sort_by(|a, b| {
        (a.line, a.column, b.severity)
            .cmp(&(b.line, b.column, a.severity))
            .then_with(|| a.path.cmp(&b.path))
    });
    match scenario {
        Some(s) if !diags.iter().any(Diagnostic::is_error) => Ok((s, diags)),
        _ => Err(diags),
    }
}

/// Steps 1-4; diagnostics come out unlocated unless the parser gave a position.
fn load(
    text: &str,
    format: Format,
    index: &SourceIndex,
    diags: &mut Vec<Diagnostic>,
) -> Option<Scenario> {
    let mut value = parse_value(text, format, index, diags)?;
    let (dup_code, dup_what) = match format {
        Format::Yaml => (codes::YAML_DUPLICATE_KEY, "key"),
        Format::Json => (codes::JSON_DUPLICATE_KEY, "member"),
    };
    for d in &index.duplicates {
        let mut diag = Diagnostic::error(
            dup_code,
            d.path.clone(),
            format!("duplicate {dup_what} (first at line {})", d.first.line),
        )
        .with_hint("each key may appear once per mapping; remove or rename one");
        diag.line = d.again.line;
        diag.column = d.again.column;
        diags.push(diag);
    }
    for pos in &index.extra_documents {
        let mut diag = Diagnostic::error(
            codes::YAML_MULTIPLE_DOCUMENTS,
            FieldPath::root(),
            "a scenario file holds one YAML document; found another",
        )
        .with_hint("remove the `---` line and what follows, or split the file");
        diag.line = pos.line;
        diag.column = pos.column;
        diags.push(diag);
    }
    if !diags.is_empty() {
        return None;
    }
    if let Err(e) = value.apply_merge() {
        diags.push(Diagnostic::error(
            codes::YAML_MERGE,
            FieldPath::root(),
            format!("cannot apply merge key '<<': {e}"),
        ));
        return None;
    }
    let scenario = deserialize_sections(&value, diags);
    if !diags.is_empty() {
        return None;
    }
    let scenario = scenario?;
    diags.extend(validate(&scenario));
    Some(scenario)
}

/// Step 1: text to a generic value. Only syntax errors here.
fn parse_value(
    text: &str,
    format: Format,
    index: &SourceIndex,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    match format {
        Format::Yaml => match serde_yaml_ng::from_str::<Value>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                // Multiple documents and duplicate keys are reported with better positions
                // by the index; let it speak.
                if !index.extra_documents.is_empty() || !index.duplicates.is_empty() {
                    return Some(Value::Null);
                }
                let mut msg = e.to_string();
                if let Some(cut) = msg.find(" at line ") {
                    msg.truncate(cut);
                }
                let mut d = Diagnostic::error(codes::YAML_SYNTAX, FieldPath::root(), msg);
                if let Some(loc) = e.location() {
                    d.line = loc.line();
                    d.column = loc.column();
                } else {
                    d.line = 1;
                    d.column = 1;
                }
                diags.push(d);
                None
            }
        },
        Format::Json => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(j) => match serde_yaml_ng::to_value(&j) {
                Ok(v) => Some(v),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        codes::JSON_SYNTAX,
                        FieldPath::root(),
                        e.to_string(),
                    ));
                    None
                }
            },
            Err(e) => {
                let mut msg = e.to_string();
                if let Some(cut) = msg.find(" at line ") {
                    msg.truncate(cut);
                }
                let mut d = Diagnostic::error(codes::JSON_SYNTAX, FieldPath::root(), msg);
                d.line = e.line().max(1);
                d.column = e.column().max(1);
                diags.push(d);
                None
            }
        },
    }
}

/// The top-level lists whose items are deserialized one by one.
const LISTS: [&str; 6] = [
    "pools",
    "images",
    "priorityClasses",
    "disruptionBudgets",
    "workloads",
    "events",
];

/// Step 3: the scenario with every list item checked on its own.
fn deserialize_sections(root: &Value, diags: &mut Vec<Diagnostic>) -> Option<Scenario> {
    let Value::Mapping(map) = root else {
        let what = match root {
            Value::Null => "the file is empty",
            Value::Sequence(_) => "the file holds a list",
            _ => "the file holds a single value",
        };
        diags.push(
            Diagnostic::error(
                codes::NOT_A_MAPPING,
                FieldPath::root(),
                format!("a scenario is a mapping of apiVersion, kind, metadata, cluster, pools, ...; {what}"),
            )
            .with_hint("start from scenarios/hybrid-medchart.yaml"),
        );
        return None;
    };
    check_header(map, diags);
    // The top level with every list emptied: reports unknown top-level keys, missing
    // required ones and the non-list sections. Lists that are not sequences stay, so their
    // type error is reported here.
    let mut top = map.clone();
    for key in LISTS {
        if let Some(v @ Value::Sequence(_)) = top.get_mut(key) {
            *v = Value::Sequence(Vec::new());
        }
    }
    let before = diags.len();
    deserialize_all::<Scenario>(&Value::Mapping(top), &FieldPath::root(), diags);
    // The header check speaks about apiVersion and kind in its own words.
    let mut i = before;
    while i < diags.len() {
        let p = diags[i].path.to_string();
        if (p == "apiVersion" || p == "kind") && diags[i].code != codes::MISSING_FIELD {
            diags.remove(i);
        } else {
            i += 1;
        }
    }
    for key in LISTS {
        if let Some(Value::Sequence(items)) = map.get(key) {
            let base = FieldPath::root().key(key);
            for (i, item) in items.iter().enumerate() {
                let at = base.index(i);
                match key {
                    "pools" => check_item::<Pool>(item, &at, diags),
                    "images" => check_item::<Image>(item, &at, diags),
                    "priorityClasses" => check_item::<PriorityClass>(item, &at, diags),
                    "disruptionBudgets" => check_item::<DisruptionBudget>(item, &at, diags),
                    "workloads" => check_item::<Workload>(item, &at, diags),
                    _ => check_item::<Event>(item, &at, diags),
                }
            }
        }
    }
    if !diags.is_empty() {
        return None;
    }
    match serde_path_to_error::deserialize::<_, Scenario>(root) {
        Ok(s) => Some(s),
        Err(e) => {
            // Unreachable when the pieces above cover the schema; kept so a field added to
            // the schema without being split out here still gets a located error.
            diags.push(classify(
                index::from_serde_path(e.path()),
                &e.inner().to_string(),
            ));
            None
        }
    }
}

fn check_item<T: DeserializeOwned>(item: &Value, at: &FieldPath, diags: &mut Vec<Diagnostic>) {
    let _ = deserialize_all::<T>(item, at, diags);
}

fn check_header(map: &serde_yaml_ng::Mapping, diags: &mut Vec<Diagnostic>) {
    for (key, want, code) in [
        ("apiVersion", API_VERSION, codes::API_VERSION),
        ("kind", KIND, codes::KIND),
    ] {
        let Some(v) = map.get(key) else { continue };
        let got = match v {
            Value::String(s) => s.clone(),
            other => serde_yaml_ng::to_string(other)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
        };
        if got != want {
            let d = Diagnostic::error(
                code,
                FieldPath::root().key(key),
                format!("'{got}' is not a poolcast scenario {key}; expected {want}"),
            );
            let d = if did_you_mean(&got, &[want]).is_some() {
                d.with_hint(format!("did you mean '{want}'?"))
            } else {
                d.with_hint(format!("write {key}: {want}"))
            };
            diags.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "apiVersion: poolcast/v1
kind: Scenario
metadata: {name: t}
cluster: {kubernetesVersion: \"1.32\"}
pools:
  - name: system
    mode: System
    os: linux
    vmSize: {cpu: 4, memory: 16Gi, pricePerHour: 0.5}
    count: 3
images:
  - name: nginx
    os: linux
    layers: [{digest: sha256:a, size: 60MB}]
workloads:
  - name: web
    kind: Deployment
    replicas: 2
    image: nginx
    nodeSelector: {kubernetes.io/os: linux}
";

    fn codes_of(r: &Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>>) -> Vec<&'static str> {
        match r {
            Ok((_, w)) => w.iter().map(|d| d.code).collect(),
            Err(e) => e.iter().map(|d| d.code).collect(),
        }
    }

    #[test]
    fn good_scenario_loads_clean() {
        let r = parse_scenario(GOOD, Format::Yaml, "good.yaml");
        assert_eq!(codes_of(&r), Vec::<&str>::new());
        assert!(r.is_ok());
    }

    #[test]
    fn table() {
        type Want<'a> = &'a [(&'a str, usize, &'a str)];
        let cases: [(&str, Format, Want); 8] = [
            (
                "a: [1\nb: 2\n",
                Format::Yaml,
                &[(codes::YAML_SYNTAX, 2, "")],
            ),
            ("{\"a\": 1,,}", Format::Json, &[(codes::JSON_SYNTAX, 1, "")]),
            ("", Format::Yaml, &[(codes::NOT_A_MAPPING, 1, "")]),
            (
                "a: 1\na: 2\n",
                Format::Yaml,
                &[(codes::YAML_DUPLICATE_KEY, 2, "a")],
            ),
            (
                "{\"a\": 1,\n\"a\": 2}",
                Format::Json,
                &[(codes::JSON_DUPLICATE_KEY, 2, "a")],
            ),
            (
                "a: 1\n---\nb: 2\n",
                Format::Yaml,
                &[(codes::YAML_MULTIPLE_DOCUMENTS, 2, "")],
            ),
            (
                &GOOD.replace("poolcast/v1", "poolcast/v2"),
                Format::Yaml,
                &[(codes::API_VERSION, 1, "apiVersion")],
            ),
            (
                &GOOD
                    .replace("replicas: 2", "replica: 2")
                    .replace("count: 3", "count: -1"),
                Format::Yaml,
                &[
                    (codes::INVALID_VALUE, 10, "pools[0].count"),
                    (codes::UNKNOWN_FIELD, 18, "workloads[0].replica"),
                ],
            ),
        ];
        for (text, format, want) in cases {
            let got = match parse_scenario(text, format, "f") {
                Ok((_, w)) => w,
                Err(e) => e,
            };
            let got: Vec<_> = got
                .iter()
                .map(|d| (d.code, d.line, d.path.to_string()))
                .collect();
            let want: Vec<_> = want
                .iter()
                .map(|(c, l, p)| (*c, *l, (*p).to_owned()))
                .collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn json_and_yaml_of_one_scenario_are_equal() {
        let (y, _) = parse_scenario(GOOD, Format::Yaml, "a.yaml").unwrap();
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(GOOD).unwrap();
        let json = serde_json::to_string_pretty(&v).unwrap();
        let (j, _) = parse_scenario(&json, Format::Json, "a.json").unwrap();
        assert_eq!(y, j);
    }

    #[test]
    fn merge_keys_apply() {
        let text = GOOD
            .replace("  - name: system\n", "  - &sys\n    name: system\n")
            .replace(
                "    count: 3\n",
                "    count: 3\n  - <<: *sys\n    name: user\n    mode: User\n",
            );
        let (s, warnings) = parse_scenario(&text, Format::Yaml, "m.yaml").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(s.pools.len(), 2);
        assert_eq!(s.pools[1].name, "user");
        assert_eq!(s.pools[1].vm_size, s.pools[0].vm_size);
    }
}

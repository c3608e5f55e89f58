//! Deserializing one section or list item and reporting every bad field in it, not only
//! the first.
//!
//! serde stops at the first error. To go on, the loader removes the offending key from a
//! copy of the item and tries again, until the item deserializes or nothing is left to
//! remove. Removing a required key makes the next attempt fail with `missing field` for
//! that key; serde derive reports missing fields only after it has visited every present
//! key, so that error means the rest of the mapping was fine, and the loader removes the
//! enclosing key in turn. Sequence elements are never removed (that would shift the
//! indices of later errors): an error inside `taints[1]` removes `taints`.
//!
//! Known limit: serde reports one missing required field per mapping at a time.

use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use crate::diagnostic::{codes, Diagnostic, FieldPath, PathSeg};
use crate::load::index::from_serde_path;

/// Upper bound on attempts per item, so a pathological input cannot make loading quadratic
/// in a large way; every attempt removes a key, so real files end far sooner.
const MAX_ATTEMPTS: usize = 64;

/// Deserializes `value` (which sits at `base` in the document) as a `T`, pushing one
/// diagnostic per problem. Returns the value only when there was none.
pub(crate) fn deserialize_all<T: DeserializeOwned>(
    value: &Value,
    base: &FieldPath,
    out: &mut Vec<Diagnostic>,
) -> Option<T> {
    let first = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => return Some(t),
        Err(e) => e,
    };
    let mut work = value.clone();
    let mut removed: Vec<FieldPath> = Vec::new();
    let mut next = Some(first);
    for _ in 0..MAX_ATTEMPTS {
        let Some(err) = next.take() else { break };
        let rel = from_serde_path(err.path());
        let msg = err.inner().to_string();
        let target = if let Some(field) = missing_field(&msg) {
            let missing = rel.key(field);
            if !removed.contains(&missing) {
                out.push(classify(base.join(&missing), &msg));
            }
            rel
        } else {
            out.push(classify(base.join(&rel), &msg));
            rel
        };
        let Some(target) = deepest_key(&target) else {
            break;
        };
        if !remove(&mut work, &target) {
            break;
        }
        removed.push(target);
        match serde_path_to_error::deserialize::<_, T>(&work) {
            Ok(_) => break,
            Err(e) => next = Some(e),
        }
    }
    None
}

/// The path truncated after its last key (sequence steps below it dropped); `None` when the
/// path holds no key.
fn deepest_key(p: &FieldPath) -> Option<FieldPath> {
    let n = p
        .segments()
        .iter()
        .rposition(|s| matches!(s, PathSeg::Key(_)))?;
    Some(FieldPath(p.segments()[..=n].to_vec()))
}

/// Removes the mapping entry at `path` (which ends with a key). False if absent.
fn remove(root: &mut Value, path: &FieldPath) -> bool {
    let Some((last, parents)) = path.segments().split_last() else {
        return false;
    };
    let mut cur = root;
    for seg in parents {
        let next = match (seg, cur) {
            (PathSeg::Key(k), Value::Mapping(m)) => m.get_mut(k.as_str()),
            (PathSeg::Index(i), Value::Sequence(s)) => s.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (PathSeg::Key(k), Value::Mapping(m)) => m.shift_remove(k.as_str()).is_some(),
        _ => false,
    }
}

fn missing_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")?.strip_suffix('`')
}

/// The names between backticks in a serde message (`unknown field `x`, expected one of
/// `a`, `b``): the first is what was written, the rest are what is allowed.
fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// The closest allowed name to `written`, if any is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(written: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let w = written.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for cand in allowed {
        let score = strsim::normalized_damerau_levenshtein(&w, &cand.to_lowercase());
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((cand, score));
        }
    }
    best.filter(|(_, s)| *s >= 0.6).map(|(c, _)| c)
}

/// Turns a serde message into a diagnostic: a code, a message in poolcast's words and a
/// hint where one helps.
pub(crate) fn classify(path: FieldPath, msg: &str) -> Diagnostic {
    if let Some(field) = missing_field(msg) {
        return Diagnostic::error(
            codes::MISSING_FIELD,
            path,
            format!("missing required field '{field}'"),
        );
    }
    for (prefix, code, what) in [
        ("unknown field `", codes::UNKNOWN_FIELD, "unknown field"),
        ("unknown variant `", codes::UNKNOWN_VARIANT, "unknown value"),
    ] {
        if msg.starts_with(prefix) {
            let names = backticked(msg);
            let written = names.first().copied().unwrap_or("");
            let allowed = names.get(1..).unwrap_or(&[]);
            let d = Diagnostic::error(code, path, format!("{what} '{written}'"));
            return match did_you_mean(written, allowed) {
                Some(m) => d.with_hint(format!("did you mean '{m}'?")),
                None if allowed.is_empty() => d.with_hint("nothing is allowed here"),
                None => d.with_hint(format!("expected one of: {}", allowed.join(", "))),
            };
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let d = Diagnostic::error(codes::INVALID_TYPE, path, format!("wrong type: {rest}"));
        let found_scalar = rest.starts_with("floating point")
            || rest.starts_with("integer")
            || rest.starts_with("boolean");
        return if found_scalar && rest.ends_with("expected a string") {
            let why = if rest.starts_with("floating point") {
                " (YAML reads 1.30 as the number 1.3)"
            } else {
                ""
            };
            d.with_hint(format!("quote the value so it is read as text{why}"))
        } else {
            d
        };
    }
    if msg.contains("did not match any variant of untagged enum IntOrPercent") {
        return Diagnostic::error(
            codes::INVALID_TYPE,
            path,
            "expected a whole number or a percentage such as \"50%\"",
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        return Diagnostic::error(codes::INVALID_VALUE, path, format!("invalid value: {rest}"));
    }
    Diagnostic::error(codes::INVALID_VALUE, path, msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Pool, Workload};

    fn run<T: DeserializeOwned>(yaml: &str) -> (Option<T>, Vec<(String, &'static str)>) {
        let v: Value = serde_yaml_ng::from_str(yaml).unwrap();
        let mut out = Vec::new();
        let t = deserialize_all::<T>(&v, &FieldPath::root().key("w").index(0), &mut out);
        (
            t,
            out.into_iter()
                .map(|d| (d.path.to_string(), d.code))
                .collect(),
        )
    }

    #[test]
    fn reports_every_bad_field_of_an_item() {
        let (w, diags) = run::<Workload>(
            "name: a\nkind: Deploymen\nimage: x\nreplica: 3\nrequests: {cpu: abc}\nstartup: -5s\n",
        );
        assert!(w.is_none());
        assert_eq!(
            diags,
            vec![
                ("w[0].kind".to_owned(), codes::UNKNOWN_VARIANT),
                ("w[0].replica".to_owned(), codes::UNKNOWN_FIELD),
                ("w[0].requests.cpu".to_owned(), codes::INVALID_VALUE),
                ("w[0].startup".to_owned(), codes::INVALID_VALUE),
            ]
        );
    }

    #[test]
    fn a_removed_required_field_is_not_reported_missing() {
        let (_, diags) =
            run::<Pool>("name: a\nos: Linux\nvmSize: {cpu: x, memory: 1Gi}\nmaxPods: many\n");
        assert_eq!(
            diags,
            vec![
                ("w[0].os".to_owned(), codes::UNKNOWN_VARIANT),
                ("w[0].vmSize.cpu".to_owned(), codes::INVALID_VALUE),
                ("w[0].maxPods".to_owned(), codes::INVALID_TYPE),
            ]
        );
    }

    #[test]
    fn genuinely_missing_fields_are_reported_at_their_path() {
        let (_, diags) = run::<Workload>("name: a\nimage: x\n");
        assert_eq!(diags, vec![("w[0].kind".to_owned(), codes::MISSING_FIELD)]);
    }

    #[test]
    fn good_items_pass() {
        let (w, diags) = run::<Workload>("name: a\nkind: Job\nimage: x\n");
        assert!(w.is_some());
        assert!(diags.is_empty());
    }

    #[test]
    fn hints() {
        let cases = [
            (
                "unknown field `replica`, expected one of `name`, `replicas`",
                Some("did you mean 'replicas'?"),
            ),
            (
                "unknown variant `windows`, expected one of `Linux`, `Windows`",
                Some("did you mean 'Windows'?"),
            ),
            (
                "unknown field `zzz`, expected one of `name`, `replicas`",
                Some("expected one of: name, replicas"),
            ),
            (
                "invalid type: floating point `1.3`, expected a string",
                Some("quote the value so it is read as text (YAML reads 1.30 as the number 1.3)"),
            ),
            ("invalid type: sequence, expected struct Resources", None),
        ];
        for (msg, hint) in cases {
            let d = classify(FieldPath::root(), msg);
            assert_eq!(d.hint.as_deref(), hint, "{msg}");
        }
    }

    #[test]
    fn did_you_mean_ignores_case_and_rejects_far_names() {
        assert_eq!(did_you_mean("vmsize", &["vmSize", "os"]), Some("vmSize"));
        assert_eq!(
            did_you_mean("maxPod", &["maxPods", "mode"]),
            Some("maxPods")
        );
        assert_eq!(did_you_mean("colour", &["vmSize", "os"]), None);
    }
}

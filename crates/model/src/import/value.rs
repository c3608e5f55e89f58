//! Typed, located reads from `serde_json::Value` trees: Kubernetes objects as the import
//! sees them. Paths are only formatted when something is wrong, so the happy path over
//! 150,000 pods allocates nothing for them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ImportError;
use crate::scenario::v1::Resources;
use crate::units::{Bytes, Cpu};

/// Where an object sits in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `items[i]` of a List.
    Item(usize),
    /// Document `n` (1-based) of a multi-document file.
    Document(usize),
    /// The whole source is this one object.
    Whole,
}

/// The object being read: its source, place and identity, for error messages. The label is
/// only formatted when an error or a note needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc<'a> {
    pub(crate) source: &'a str,
    pub(crate) place: Place,
    pub(crate) kind: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
}

impl Loc<'_> {
    /// `items[12] (Pod default/web-1)`, `document 3 (Deployment web)`.
    pub(crate) fn object(&self) -> String {
        let id = if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        };
        match self.place {
            Place::Item(i) => format!("items[{i}] ({id})"),
            Place::Document(n) => format!("document {n} ({id})"),
            Place::Whole => id,
        }
    }

    /// An `Invalid` error at `path` inside this object.
    pub(crate) fn invalid(
        &self,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError::Invalid {
            source_name: self.source.to_owned(),
            object: self.object(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// `v[key]` as a string, if present and a string.
pub(crate) fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` as an array; absent or null is empty.
pub(crate) fn arr<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    match v.get(key) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// Checks that `v[key]`, when present and not null, is a list.
pub(crate) fn expect_array(
    v: &Value,
    key: &str,
    loc: &Loc,
    path: impl FnOnce() -> String,
) -> Result<(), ImportError> {
    match v.get(key) {
        None | Some(Value::Null) | Some(Value::Array(_)) => Ok(()),
        Some(x) => Err(loc.invalid(path(), format!("expected a list, found {}", describe(x)))),
    }
}

/// A short description of a JSON value's kind.
pub(crate) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string-to-string map (labels, nodeSelector); absent or null is empty.
pub(crate) fn string_map(
    v: &Value,
    key: &str,
    loc: &Loc,
    path: impl Fn() -> String,
) -> Result<BTreeMap<String, String>, ImportError> {
    let mut out = BTreeMap::new();
    match v.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, val) in m {
                let s = match val {
                    Value::String(s) => s.clone(),
                    // YAML writes `enabled: true` or `tier: 1` unquoted; Kubernetes would
                    // refuse it, but the intent is plain.
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    other => {
                        return Err(loc.invalid(
                            format!("{}.{k}", path()),
                            format!("expected a string, found {}", describe(other)),
                        ))
                    }
                };
                out.insert(k.clone(), s);
            }
        }
        Some(other) => {
            return Err(loc.invalid(
                path(),
                format!("expected a map of strings, found {}", describe(other)),
            ))
        }
    }
    Ok(out)
}

/// The text of a quantity: a string, or a bare number in hand-written YAML.
fn quantity_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A parsed `ResourceList` (requests, limits, capacity, allocatable, overhead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResourceList {
    pub(crate) cpu: Option<Cpu>,
    pub(crate) memory: Option<Bytes>,
    pub(crate) ephemeral_storage: Option<Bytes>,
    pub(crate) pods: Option<u32>,
    /// Names of other resources (GPUs, hugepages, attachable volumes).
    pub(crate) others: Vec<String>,
}

impl ResourceList {
    pub(crate) fn to_resources(&self) -> Resources {
        Resources {
            cpu: self.cpu,
            memory: self.memory,
            ephemeral_storage: self.ephemeral_storage,
            pods: self.pods,
        }
    }
}

/// Reads `v[key]` as a `ResourceList`. Absent or null is `None`.
pub(crate) fn resource_list(
    v: &Value,
    key: &str,
    loc: &Loc,
    path: impl Fn() -> String,
) -> Result<Option<ResourceList>, ImportError> {
    let m = match v.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(loc.invalid(
                path(),
                format!("expected a resource map, found {}", describe(other)),
            ))
        }
    };
    let mut out = ResourceList::default();
    for (name, q) in m {
        let text = quantity_text(q).ok_or_else(|| {
            loc.invalid(
                format!("{}.{name}", path()),
                format!("expected a quantity, found {}", describe(q)),
            )
        })?;
        let bad = |e: crate::units::UnitError| loc.invalid(format!("{}.{name}", path()), e.message);
        match name.as_str() {
            "cpu" => out.cpu = Some(text.parse::<Cpu>().map_err(bad)?),
            "memory" => out.memory = Some(text.parse::<Bytes>().map_err(bad)?),
            "ephemeral-storage" => {
                out.ephemeral_storage = Some(text.parse::<Bytes>().map_err(bad)?)
            }
            "pods" => {
                let n = text.parse::<Bytes>().map_err(bad)?.get();
                out.pods = Some(u32::try_from(n).map_err(|_| {
                    loc.invalid(format!("{}.{name}", path()), "pod count is too large")
                })?);
            }
            _ => out.others.push(name.clone()),
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LOC: Loc = Loc {
        source: "f.json",
        place: Place::Item(0),
        kind: "Pod",
        namespace: "default",
        name: "p",
    };

    #[test]
    fn resource_lists() {
        let v = json!({"r": {"cpu": "250m", "memory": "1Gi", "pods": "110",
                              "ephemeral-storage": 1000, "nvidia.com/gpu": "1"}});
        let r = resource_list(&v, "r", &LOC, || "spec.r".into())
            .unwrap()
            .unwrap();
        assert_eq!(r.cpu, Some(Cpu(250)));
        assert_eq!(r.memory, Some(Bytes::gib(1)));
        assert_eq!(r.pods, Some(110));
        assert_eq!(r.ephemeral_storage, Some(Bytes(1000)));
        assert_eq!(r.others, vec!["nvidia.com/gpu".to_owned()]);
        assert_eq!(resource_list(&v, "x", &LOC, || "x".into()).unwrap(), None);
    }

    #[test]
    fn bad_quantity_is_located() {
        let v = json!({"r": {"cpu": "5x"}});
        let e = resource_list(&v, "r", &LOC, || {
            "spec.containers[0].resources.requests".into()
        })
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(
                "f.json: items[0] (Pod default/p): spec.containers[0].resources.requests.cpu: "
            ),
            "{text}"
        );
    }

    #[test]
    fn string_maps_accept_scalars_refuse_objects() {
        let v = json!({"l": {"a": "x", "b": true, "c": 3}, "bad": {"a": {"b": 1}}});
        let m = string_map(&v, "l", &LOC, || "l".into()).unwrap();
        assert_eq!(m.get("b").map(String::as_str), Some("true"));
        assert_eq!(m.get("c").map(String::as_str), Some("3"));
        assert!(string_map(&v, "bad", &LOC, || "bad".into()).is_err());
        assert!(string_map(&v, "none", &LOC, || "none".into())
            .unwrap()
            .is_empty());
    }
}

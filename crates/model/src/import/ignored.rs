//! The record of input fields poolcast does not model. Each distinct (object kind, field
//! path) is listed once, with how often it occurred and where first, so a user sees what
//! the simulation leaves out instead of losing it silently.

use std::collections::BTreeMap;

/// A field of the input that the scenario does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredField {
    /// Kubernetes kind of the object it was found in (`Deployment`, `Pod`, ...).
    pub kind: String,
    /// Field path without indexes, e.g. `spec.template.spec.containers[].livenessProbe`.
    pub path: String,
    /// How many objects had it. For a cluster dump, objects are workloads: each is read
    /// from one of its pods.
    pub count: usize,
    /// The first object that had it, e.g. `app.yaml document 2 (Deployment web)`.
    pub first: String,
}

/// Collects ignored fields; ordered by kind then path for a stable listing.
#[derive(Debug, Default)]
pub(crate) struct Ignored {
    map: BTreeMap<(String, String), (usize, String)>,
}

impl Ignored {
    /// Records that `kind` object `at` had field `path`.
    pub(crate) fn record(&mut self, kind: &str, path: &str, at: impl FnOnce() -> String) {
        if let Some(entry) = self.map.get_mut(&(kind.to_owned(), path.to_owned())) {
            entry.0 += 1;
            return;
        }
        self.map
            .insert((kind.to_owned(), path.to_owned()), (1, at()));
    }

    pub(crate) fn into_vec(self) -> Vec<IgnoredField> {
        self.map
            .into_iter()
            .map(|((kind, path), (count, first))| IgnoredField {
                kind,
                path,
                count,
                first,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_listed_once_with_count_and_first_place() {
        let mut ig = Ignored::default();
        ig.record("Deployment", "spec.strategy", || "a.yaml document 1".into());
        ig.record("Deployment", "spec.strategy", || "b.yaml document 4".into());
        ig.record("Pod", "spec.volumes", || "p.yaml document 1".into());
        let v = ig.into_vec();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].kind, "Deployment");
        assert_eq!(v[0].count, 2);
        assert_eq!(v[0].first, "a.yaml document 1");
        assert_eq!(v[1].path, "spec.volumes");
    }
}

//! Label sets with interned keys and values.
//!
//! Every label key and value the scheduler matches is interned once, process-wide, as a
//! `Ustr` (the `ustr` crate: a pointer into a global cache that never frees, so two
//! handles are equal exactly when their strings are). A `Labels` keeps the string map,
//! which outputs, snapshots and copies read in key order as before, and beside it the same
//! pairs as handles, sorted by the key's address, so that matching a selector against a
//! node or a template compares integers: a binary search on a dozen pairs and a pointer
//! comparison per value, not a `BTreeMap<String, String>` walk with string comparisons.
//!
//! The address order is only ever used to look a key up: nothing iterates the handles, so
//! outputs do not depend on where the cache put a string. Selectors intern their own keys
//! and values when they are compiled (`helper::Requirement`), so a value no node carries yet
//! still matches the node that brings it later.

use std::collections::BTreeMap;

use ustr::Ustr;

/// The interned handle of `s`.
pub fn intern(s: &str) -> Ustr {
    Ustr::from(s)
}

/// A label set: its string map and the same pairs interned.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    map: BTreeMap<String, String>,
    /// (key, value) handles by the key's address.
    interned: Vec<(Ustr, Ustr)>,
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl Eq for Labels {}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Labels {
        let mut l = Labels {
            map,
            interned: Vec::new(),
        };
        l.reintern();
        l
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

fn address(u: Ustr) -> usize {
    u.as_char_ptr() as usize
}

impl Labels {
    /// The string map, for a caller that changes it and builds a new set.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.map.clone()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// The value of the interned `key`, interned.
    #[inline]
    pub fn get_interned(&self, key: Ustr) -> Option<Ustr> {
        let a = address(key);
        self.interned
            .binary_search_by_key(&a, |&(k, _)| address(k))
            .ok()
            .map(|i| self.interned[i].1)
    }

    /// True without labels.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let old = self.map.insert(key, value);
        self.reintern();
        old
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let old = self.map.remove(key);
        self.reintern();
        old
    }

    /// Removes every label.
    pub fn clear(&mut self) {
        self.map.clear();
        self.interned.clear();
    }

    fn reintern(&mut self) {
        self.interned.clear();
        self.interned.reserve_exact(self.map.len());
        for (k, v) in &self.map {
            self.interned.push((intern(k), intern(v)));
        }
        self.interned.sort_unstable_by_key(|&(k, _)| address(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::btree_map;
    use proptest::prelude::{prop_assert_eq, proptest};

    proptest! {
        /// Interned look-ups agree with the string map for every key asked, present or
        /// not, after inserts and removals.
        #[test]
        fn interned_lookups_agree_with_the_map(
            map in btree_map("[a-e]{1,3}", "[a-c]{0,2}", 0..12),
            asked in proptest::collection::vec("[a-e]{1,3}", 0..12),
            extra in ("[a-e]{1,3}", "[a-c]{0,2}"),
        ) {
            let mut l = Labels::from(map);
            for k in &asked {
                prop_assert_eq!(l.get_interned(intern(k)).map(|v| v.as_str()), l.get(k));
            }
            l.insert(extra.0.clone(), extra.1.clone());
            l.remove(&asked.first().cloned().unwrap_or_default());
            for k in asked.iter().chain([&extra.0]) {
                prop_assert_eq!(l.get_interned(intern(k)).map(|v| v.as_str()), l.get(k));
            }
        }
    }

    #[test]
    fn equal_strings_are_one_handle_and_sets_compare_by_content() {
        assert_eq!(
            intern("kubernetes.io/os"),
            intern(&String::from("kubernetes.io/os"))
        );
        assert_ne!(intern("linux"), intern("windows"));
        let a = Labels::from(BTreeMap::from([("a".to_owned(), "1".to_owned())]));
        let mut b = Labels::default();
        b.insert("a".into(), "1".into());
        assert_eq!(a, b);
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.get_interned(intern("a")), None);
    }
}

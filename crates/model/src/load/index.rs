//! A map from field path to line and column, built from the YAML event stream.
//!
//! `serde_yaml_ng::Value` keeps no positions, so the loader reads the text a second time
//! with `yaml-rust2`'s event parser, whose events carry marks. JSON is YAML too, so one
//! index serves both formats. While walking the events the index also finds duplicate keys
//! (every one of them, where a deserializer stops at the first) and counts documents.

use std::collections::{BTreeMap, BTreeSet};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostic::{FieldPath, PathSeg};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_marker(m: Marker) -> Pos {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// Where one node of the document sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    /// The key that introduces the node, when the node is a mapping value.
    pub key: Option<Pos>,
    /// The node itself (for a block mapping or sequence: its first entry).
    pub value: Pos,
}

/// A key seen twice in one mapping.
#[derive(Debug, Clone)]
pub(crate) struct DuplicateKey {
    pub path: FieldPath,
    pub first: Pos,
    pub again: Pos,
}

/// The index of one text.
#[derive(Debug, Default)]
pub(crate) struct SourceIndex {
    nodes: BTreeMap<FieldPath, Node>,
    /// Duplicate keys, in document order.
    pub duplicates: Vec<DuplicateKey>,
    /// Start of each document after the first.
    pub extra_documents: Vec<Pos>,
}

impl SourceIndex {
    /// Indexes `text`. A text the event parser refuses yields an empty index: the syntax
    /// error itself is reported from the deserializer, whose messages users know.
    pub fn build(text: &str) -> SourceIndex {
        let mut b = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut b, true).is_err() {
            return SourceIndex::default();
        }
        SourceIndex {
            nodes: b.nodes,
            duplicates: b.duplicates,
            extra_documents: b.extra_documents,
        }
    }

    /// The position to report for `path`: the key when `at_key` and the node is a mapping
    /// value, else the node; for a path the index does not hold (a value that came through
    /// an alias or merge key, a missing field), the nearest ancestor it holds.
    pub fn locate(&self, path: &FieldPath, at_key: bool) -> Option<Pos> {
        let mut p = path.clone();
        loop {
            if let Some(n) = self.nodes.get(&p) {
                return Some(if at_key {
                    n.key.unwrap_or(n.value)
                } else {
                    n.value
                });
            }
            if p.is_root() {
                return None;
            }
            p = p.parent();
        }
    }
}

#[derive(Debug)]
enum Frame {
    Seq {
        path: FieldPath,
        next: usize,
    },
    Map {
        path: FieldPath,
        /// The key read and waiting for its value.
        pending: Option<(String, Pos)>,
        seen: BTreeMap<String, Pos>,
    },
    /// Inside a complex key (a mapping or sequence used as a key): nesting depth.
    ComplexKey(usize),
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: BTreeMap<FieldPath, Node>,
    duplicates: Vec<DuplicateKey>,
    documents: usize,
    extra_documents: Vec<Pos>,
    /// Keys already reported as duplicates (a key repeated three times is reported twice).
    reported: BTreeSet<(FieldPath, Pos)>,
}

/// What the next node is: a key of the mapping on top, or a value at a path.
enum Slot {
    Key,
    Value(FieldPath, Option<Pos>),
    Skip,
}

impl Builder {
    fn slot(&mut self) -> Slot {
        match self.stack.last_mut() {
            None => Slot::Value(FieldPath::root(), None),
            Some(Frame::Seq { path, next }) => {
                let p = path.index(*next);
                *next += 1;
                Slot::Value(p, None)
            }
            Some(Frame::Map { path, pending, .. }) => match pending.take() {
                None => Slot::Key,
                Some((k, pos)) => Slot::Value(path.key(&k), Some(pos)),
            },
            Some(Frame::ComplexKey(_)) => Slot::Skip,
        }
    }

    fn key(&mut self, key: String, pos: Pos) {
        if let Some(Frame::Map {
            path,
            pending,
            seen,
        }) = self.stack.last_mut()
        {
            if seen.is_empty() {
                // yaml-rust2 marks a block mapping's start after its first key; the first
                // key is where a reader sees the mapping begin.
                if let Some(n) = self.nodes.get_mut(path) {
                    n.value = n.value.min(pos);
                }
            }
            if let Some(first) = seen.get(&key) {
                let p = path.key(&key);
                if self.reported.insert((p.clone(), pos)) {
                    self.duplicates.push(DuplicateKey {
                        path: p,
                        first: *first,
                        again: pos,
                    });
                }
            } else {
                seen.insert(key.clone(), pos);
            }
            *pending = Some((key, pos));
        }
    }

    fn record(&mut self, path: FieldPath, key: Option<Pos>, value: Pos) {
        self.nodes.entry(path).or_insert(Node { key, value });
    }

    fn start_collection(&mut self, is_map: bool, pos: Pos) {
        match self.slot() {
            Slot::Skip => {
                if let Some(Frame::ComplexKey(d)) = self.stack.last_mut() {
                    *d += 1;
                }
            }
            Slot::Key => self.stack.push(Frame::ComplexKey(1)),
            Slot::Value(path, key) => {
                self.record(path.clone(), key, pos);
                self.stack.push(if is_map {
                    Frame::Map {
                        path,
                        pending: None,
                        seen: BTreeMap::new(),
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
        }
    }

    fn end_collection(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::ComplexKey(d)) if *d > 1 => *d -= 1,
            Some(Frame::ComplexKey(_)) => {
                self.stack.pop();
                // The complex key is done; its value follows under a placeholder key that
                // cannot collide with a real one.
                if let Some(Frame::Map { pending, .. }) = self.stack.last_mut() {
                    *pending = Some(("?".to_owned(), Pos { line: 0, column: 0 }));
                }
            }
            _ => {
                self.stack.pop();
            }
        }
    }

    fn leaf(&mut self, text: Option<String>, pos: Pos) {
        match self.slot() {
            Slot::Skip => {}
            Slot::Key => self.key(text.unwrap_or_else(|| "*".to_owned()), pos),
            Slot::Value(path, key) => self.record(path, key, pos),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        if self.documents > 1 && !matches!(ev, Event::DocumentStart) {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.extra_documents.push(pos);
                }
            }
            Event::Scalar(text, ..) => self.leaf(Some(text), pos),
            Event::Alias(_) => self.leaf(None, pos),
            Event::MappingStart(..) => self.start_collection(true, pos),
            Event::SequenceStart(..) => self.start_collection(false, pos),
            Event::MappingEnd | Event::SequenceEnd => self.end_collection(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// The segments of a `serde_path_to_error` path, for lookup in the index. Unknown steps
/// (a non-string key) end the path there.
pub(crate) fn from_serde_path(p: &serde_path_to_error::Path) -> FieldPath {
    let mut out = Vec::new();
    for seg in p.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.push(PathSeg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => out.push(PathSeg::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => {
                out.push(PathSeg::Key(variant.clone()))
            }
            serde_path_to_error::Segment::Unknown => break,
        }
    }
    FieldPath(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> FieldPath {
        FieldPath(
            s.iter()
                .map(|x| match x.parse::<usize>() {
                    Ok(i) => PathSeg::Index(i),
                    Err(_) => PathSeg::Key((*x).to_owned()),
                })
                .collect(),
        )
    }

    #[test]
    fn block_yaml_positions() {
        let text = "a: 1\nlist:\n  - name: x\n    cpu: 2\n  - name: y\nmap:\n  k: v\n";
        let idx = SourceIndex::build(text);
        let cases: [(&[&str], bool, (usize, usize)); 7] = [
            (&["a"], false, (1, 4)),
            (&["a"], true, (1, 1)),
            (&["list", "0", "cpu"], false, (4, 10)),
            (&["list", "0", "cpu"], true, (4, 5)),
            (&["list", "1", "name"], false, (5, 11)),
            (&["map", "k"], true, (7, 3)),
            // not in the file: the nearest ancestor
            (&["list", "1", "missing"], false, (5, 5)),
        ];
        for (path, at_key, (line, column)) in cases {
            let got = idx.locate(&p(path), at_key);
            assert_eq!(got, Some(Pos { line, column }), "{path:?}");
        }
    }

    #[test]
    fn json_positions() {
        let text = "{\n  \"pools\": [\n    {\"name\": \"a\", \"maxPods\": 500}\n  ]\n}\n";
        let idx = SourceIndex::build(text);
        assert_eq!(
            idx.locate(&p(&["pools", "0", "maxPods"]), false),
            Some(Pos {
                line: 3,
                column: 30
            })
        );
    }

    #[test]
    fn finds_every_duplicate_key() {
        let text = "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n";
        let idx = SourceIndex::build(text);
        let got: Vec<_> = idx
            .duplicates
            .iter()
            .map(|d| (d.path.to_string(), d.first.line, d.again.line))
            .collect();
        assert_eq!(got, vec![("b.c".into(), 3, 4), ("a".into(), 1, 5)]);
    }

    #[test]
    fn complex_keys_and_aliases_do_not_derail_the_walk() {
        let text = "base: &b {x: 1}\n? [k1, k2]\n: v\nuse: *b\nafter: 2\n";
        let idx = SourceIndex::build(text);
        assert_eq!(
            idx.locate(&p(&["use"]), false),
            Some(Pos { line: 4, column: 6 })
        );
        assert_eq!(
            idx.locate(&p(&["after"]), false),
            Some(Pos { line: 5, column: 8 })
        );
        assert!(idx.duplicates.is_empty());
    }

    #[test]
    fn counts_documents() {
        let idx = SourceIndex::build("a: 1\n---\nb: 2\n");
        assert_eq!(idx.extra_documents.len(), 1);
        assert_eq!(idx.extra_documents[0].line, 2);
    }
}

//! The what-if grid of `poolcast sweep`: `--set PATH=VALUES` axes, their cartesian
//! product in a fixed order, deterministic shards, and setting a value at a path of the
//! scenario (as a JSON tree, so any field of the schema can be swept and the schema's own
//! deserialisation and validation check the result).

use std::fmt;

use serde_json::{Map, Value};

/// Most values one axis may have.
pub const MAX_AXIS_VALUES: usize = 10_000;
/// Most points one sweep may have.
pub const MAX_POINTS: usize = 1_000_000;

/// One `--set PATH=VALUES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The path as written (`pools.win22.count`).
    pub path: String,
    /// Its segments.
    pub segments: Vec<String>,
    /// The values, as written (`2`, `100MiB/s`).
    pub values: Vec<String>,
}

/// Splits a path on dots; `[...]` holds a segment verbatim (keys with dots or slashes:
/// `workloads.web.nodeSelector[kubernetes.io/os]`).
pub fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars();
    let mut closed = false;
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if cur.is_empty() && !closed {
                    return Err(format!("path '{path}' has an empty segment"));
                }
                if !cur.is_empty() {
                    segs.push(std::mem::take(&mut cur));
                }
                closed = false;
            }
            '[' => {
                if !cur.is_empty() {
                    segs.push(std::mem::take(&mut cur));
                }
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(c) => inner.push(c),
                        None => return Err(format!("path '{path}' has an unclosed '['")),
                    }
                }
                if inner.is_empty() {
                    return Err(format!("path '{path}' has an empty '[]'"));
                }
                segs.push(inner);
                closed = true;
            }
            c => {
                if closed {
                    return Err(format!("path '{path}': put a '.' after ']'"));
                }
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        segs.push(cur);
    } else if !closed {
        return Err(format!("path '{path}' is empty or ends with '.'"));
    }
    Ok(segs)
}

/// Parses the values of an axis: `A..B` or `A..B step S` (integers, inclusive), or a
/// comma-separated list.
pub fn parse_values(spec: &str) -> Result<Vec<String>, String> {
    let spec = spec.trim();
    if let Some((range, step)) = split_range(spec) {
        let (a, b) = range;
        let parse = |s: &str, what: &str| -> Result<i64, String> {
            s.trim().parse::<i64>().map_err(|_| {
                format!("{what} '{}' of '{spec}' is not an integer; ranges are integer, list other values with commas", s.trim())
            })
        };
        let (a, b) = (parse(a, "start")?, parse(b, "end")?);
        let step = match step {
            Some(s) => parse(s, "step")?,
            None => 1,
        };
        if step <= 0 {
            return Err(format!("step of '{spec}' must be positive"));
        }
        if b < a {
            return Err(format!("range '{spec}' ends before it starts"));
        }
        let count = (b - a) / step + 1;
        if count as u64 > MAX_AXIS_VALUES as u64 {
            return Err(format!(
                "range '{spec}' has {count} values; at most {MAX_AXIS_VALUES}"
            ));
        }
        return Ok((0..count).map(|k| (a + k * step).to_string()).collect());
    }
    let values: Vec<String> = spec.split(',').map(|v| v.trim().to_owned()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!("'{spec}' has an empty value"));
    }
    if values.len() > MAX_AXIS_VALUES {
        return Err(format!(
            "'{spec}' has {} values; at most {MAX_AXIS_VALUES}",
            values.len()
        ));
    }
    Ok(values)
}

type RangeParts<'a> = ((&'a str, &'a str), Option<&'a str>);

fn split_range(spec: &str) -> Option<RangeParts<'_>> {
    let (a, rest) = spec.split_once("..")?;
    match rest.split_once(" step ") {
        Some((b, s)) => Some(((a, b), Some(s))),
        None => Some(((a, rest), None)),
    }
}

impl Axis {
    /// Parses `PATH=VALUES`.
    pub fn parse(arg: &str) -> Result<Axis, String> {
        let (path, values) = arg.split_once('=').ok_or_else(|| {
            format!("--set '{arg}' is not PATH=VALUES (e.g. pools.win22.count=2..12)")
        })?;
        let path = path.trim();
        Ok(Axis {
            path: path.to_owned(),
            segments: parse_path(path)?,
            values: parse_values(values)?,
        })
    }
}

/// The cartesian product of the axes; the first axis varies slowest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// Axes in command-line order.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// A grid over `axes`, refusing more than [`MAX_POINTS`] points or a path set twice.
    pub fn new(axes: Vec<Axis>) -> Result<Grid, String> {
        if axes.is_empty() {
            return Err("give at least one --set PATH=VALUES".to_owned());
        }
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.segments == a.segments) {
                return Err(format!("--set {} is given twice", a.path));
            }
        }
        let mut n: usize = 1;
        for a in &axes {
            n = n
                .checked_mul(a.values.len())
                .filter(|&n| n <= MAX_POINTS)
                .ok_or_else(|| format!("the grid has more than {MAX_POINTS} points"))?;
        }
        Ok(Grid { axes })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Value index per axis of point `i` (mixed radix, last axis fastest).
    pub fn coords(&self, mut i: usize) -> Vec<usize> {
        let mut c = vec![0; self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            let n = a.values.len().max(1);
            c[k] = i % n;
            i /= n;
        }
        c
    }

    /// `(path, value)` of every axis at point `i`.
    pub fn settings(&self, i: usize) -> Vec<(&Axis, &str)> {
        self.coords(i)
            .into_iter()
            .zip(&self.axes)
            .map(|(v, a)| (a, a.values[v].as_str()))
            .collect()
    }
}

/// `--shard INDEX/COUNT`: this process runs the points `i` with `i % COUNT == INDEX`
/// (round-robin, so every shard gets a similar mix of cheap and expensive points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based, below `count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard '{s}' is not INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/8)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether point `i` is this shard's.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count as usize == self.index as usize
    }
}

/// A value as JSON, typed like the value it replaces (a string field stays a string even
/// when the new value looks like a number, e.g. `kubernetesVersion=1.30`), else as YAML
/// would read it (`2` a number, `true` a boolean, `100MiB/s` a string).
pub fn typed_value(token: &str, existing: Option<&Value>) -> Value {
    let guess = || match serde_yaml_ng::from_str::<Value>(token) {
        Ok(v) if v.is_number() || v.is_boolean() => v,
        _ => Value::String(token.to_owned()),
    };
    match existing {
        Some(Value::String(_)) => Value::String(token.to_owned()),
        Some(Value::Number(_)) => match serde_json::from_str::<Value>(token) {
            Ok(v) if v.is_number() => v,
            _ => guess(),
        },
        _ => guess(),
    }
}

fn names(items: &[Value]) -> String {
    let n: Vec<&str> = items
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    if n.is_empty() {
        format!("{} items", items.len())
    } else {
        n.join(", ")
    }
}

/// Sets `token` at `segments` in `root`. In a list a segment is an index or the `name` of
/// an item; in a map a missing key is created (with maps on the way), so an absent
/// optional block (`registry`) can be swept too.
pub fn set_path(root: &mut Value, segments: &[String], token: &str) -> Result<(), String> {
    let mut cur = root;
    let mut at = String::new();
    for (k, seg) in segments.iter().enumerate() {
        let last = k + 1 == segments.len();
        let here = if at.is_empty() {
            seg.clone()
        } else {
            format!("{at}.{seg}")
        };
        match cur {
            Value::Array(items) => {
                let idx = match seg.parse::<usize>() {
                    Ok(i) if i < items.len() => i,
                    Ok(i) => {
                        return Err(format!(
                            "{at} has {} items; index {i} is out of range",
                            items.len()
                        ))
                    }
                    Err(_) => items
                        .iter()
                        .position(|v| v.get("name").and_then(Value::as_str) == Some(seg.as_str()))
                        .ok_or_else(|| {
                            format!("{at} has no item named '{seg}' (have: {})", names(items))
                        })?,
                };
                if last {
                    let v = typed_value(token, items.get(idx));
                    items[idx] = v;
                    return Ok(());
                }
                cur = &mut items[idx];
            }
            Value::Object(map) => {
                if last {
                    let v = typed_value(token, map.get(seg.as_str()));
                    map.insert(seg.clone(), v);
                    return Ok(());
                }
                cur = map
                    .entry(seg.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Value::Null => {
                *cur = Value::Object(Map::new());
                if let Value::Object(map) = cur {
                    if last {
                        map.insert(seg.clone(), typed_value(token, None));
                        return Ok(());
                    }
                    cur = map
                        .entry(seg.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
            }
            other => {
                return Err(format!(
                    "{at} is a value ({}), not a map or list; '{seg}' cannot be set inside it",
                    other
                ))
            }
        }
        at = here;
    }
    Err("empty path".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        let ok: &[(&str, &[&str])] = &[
            ("pools.win22.count", &["pools", "win22", "count"]),
            ("registry.bandwidth", &["registry", "bandwidth"]),
            (
                "workloads.web.nodeSelector[kubernetes.io/os]",
                &["workloads", "web", "nodeSelector", "kubernetes.io/os"],
            ),
            ("pools[0].count", &["pools", "0", "count"]),
        ];
        for (p, want) in ok {
            assert_eq!(parse_path(p).unwrap(), *want, "{p}");
        }
        for bad in ["", "a..b", "a.", "a[b", "a[]", "a[b]c"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values() {
        assert_eq!(parse_values("2..5").unwrap(), ["2", "3", "4", "5"]);
        assert_eq!(
            parse_values("10..100 step 30").unwrap(),
            ["10", "40", "70", "100"]
        );
        assert_eq!(
            parse_values("50MiB/s, 100MiB/s,200MiB/s").unwrap(),
            ["50MiB/s", "100MiB/s", "200MiB/s"]
        );
        assert_eq!(parse_values("auto").unwrap(), ["auto"]);
        for bad in [
            "5..2",
            "1..3 step 0",
            "a..b",
            "1,,2",
            "0..20000",
            "1MiB..2MiB",
        ] {
            assert!(parse_values(bad).is_err(), "{bad}");
        }
        assert!(Axis::parse("pools.a.count").is_err());
        let a = Axis::parse("pools.a.count=1..2").unwrap();
        assert_eq!((a.path.as_str(), a.values.len()), ("pools.a.count", 2));
    }

    #[test]
    fn grid_order_and_shards() {
        let g = Grid::new(vec![
            Axis::parse("a=1..2").unwrap(),
            Axis::parse("b=x,y,z").unwrap(),
        ])
        .unwrap();
        assert_eq!(g.len(), 6);
        let pts: Vec<(String, String)> = (0..6)
            .map(|i| {
                let s = g.settings(i);
                (s[0].1.to_owned(), s[1].1.to_owned())
            })
            .collect();
        assert_eq!(pts[0], ("1".into(), "x".into()));
        assert_eq!(pts[2], ("1".into(), "z".into()));
        assert_eq!(pts[3], ("2".into(), "x".into()));
        let shards: Vec<Shard> = (0..4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for i in 0..6 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        assert!(shards[1].owns(5) && !shards[1].owns(4));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert!(Grid::new(vec![
            Axis::parse("a=1").unwrap(),
            Axis::parse("a=2").unwrap()
        ])
        .is_err());
        assert!(Grid::new(vec![
            Axis::parse("a=0..9999").unwrap(),
            Axis::parse("b=0..9999").unwrap()
        ])
        .is_err());
    }

    #[test]
    fn setting_values() {
        let mut v = json!({
            "pools": [{"name": "sys", "count": 3}, {"name": "win22", "count": 2}],
            "cluster": {"kubernetesVersion": "1.33"},
            "sim": {"seed": 1}
        });
        set_path(&mut v, &parse_path("pools.win22.count").unwrap(), "7").unwrap();
        assert_eq!(v["pools"][1]["count"], json!(7));
        set_path(&mut v, &parse_path("pools[0].count").unwrap(), "auto").unwrap();
        assert_eq!(v["pools"][0]["count"], json!("auto"));
        set_path(
            &mut v,
            &parse_path("cluster.kubernetesVersion").unwrap(),
            "1.30",
        )
        .unwrap();
        assert_eq!(v["cluster"]["kubernetesVersion"], json!("1.30"));
        set_path(
            &mut v,
            &parse_path("registry.bandwidth").unwrap(),
            "50MiB/s",
        )
        .unwrap();
        assert_eq!(v["registry"]["bandwidth"], json!("50MiB/s"));
        let e = set_path(&mut v, &parse_path("pools.win19.count").unwrap(), "1").unwrap_err();
        assert!(
            e.contains("no item named 'win19'") && e.contains("sys, win22"),
            "{e}"
        );
        let e = set_path(&mut v, &parse_path("sim.seed.x").unwrap(), "1").unwrap_err();
        assert!(e.contains("not a map or list"), "{e}");
        let e = set_path(&mut v, &parse_path("pools.5.count").unwrap(), "1").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }
}

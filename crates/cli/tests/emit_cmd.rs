//! `poolcast emit` and `plan --emit`: what AKS accepts. Existing pools are scaled or
//! updated, new ones added; autoscaled pools carry their range; reserved labels never
//! appear; and every Bicep property is checked against the agentPool schema subset of
//! the API version it names (`tests/data/agentpool-schema-2025-05-01.json`, copied from
//! Azure/azure-rest-api-specs with its source).

use std::collections::BTreeMap;

use poolcast_model::catalog::aks::is_reserved_node_label;

use crate::common::{code, poolcast, test_data, workspace};

fn stdout(args: &[&str]) -> String {
    let out = poolcast(args);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fixture() -> String {
    test_data("data/emit-existing.yaml")
        .to_str()
        .unwrap()
        .to_owned()
}

fn command<'a>(az: &'a str, verb: &str, pool: &str) -> Option<&'a str> {
    az.lines().find(|l| {
        l.starts_with(&format!("az aks nodepool {verb} ")) && l.contains(&format!("--name {pool}"))
    })
}

#[test]
fn existing_pools_are_scaled_new_ones_added_and_reserved_labels_left_out() {
    let az = stdout(&["emit", &fixture(), "--format", "az"]);
    let sys = command(&az, "scale", "system").unwrap_or_else(|| panic!("{az}"));
    assert!(sys.contains("--node-count 3"), "{sys}");
    assert!(command(&az, "add", "system").is_none(), "{az}");
    let upd = command(&az, "update", "system").unwrap_or_else(|| panic!("{az}"));
    assert!(upd.contains("--labels tier=system"), "{upd}");
    assert!(
        upd.contains("--node-taints CriticalAddonsOnly=true:NoSchedule"),
        "{upd}"
    );

    let web = command(&az, "add", "web").unwrap_or_else(|| panic!("{az}"));
    assert!(
        web.contains("--enable-cluster-autoscaler --min-count 3 --max-count 9"),
        "{web}"
    );
    assert!(web.contains("--zones 1 2 3"), "{web}");
    assert!(web.contains("--labels tier=web"), "{web}");
    // No command carries a reserved label; the comment says which were left out.
    for line in az.lines().filter(|l| l.starts_with("az ")) {
        if let Some((_, rest)) = line.split_once("--labels ") {
            for kv in rest.split(" --").next().unwrap().split(' ') {
                let key = kv.split('=').next().unwrap();
                assert!(!is_reserved_node_label(key), "{key} in {line}");
            }
        }
    }
    assert!(
        az.contains("labels left out, reserved") && az.contains("kubernetes.azure.com/mode"),
        "{az}"
    );

    let win = command(&az, "add", "win").unwrap_or_else(|| panic!("{az}"));
    assert!(
        win.contains("--os-type Windows --os-sku Windows2022"),
        "{win}"
    );
    assert!(az.contains("# win: 2 node(s) over 3 zones"), "{az}");
}

#[test]
fn emit_refuses_pools_marked_for_sizing() {
    let f = workspace().join("scenarios/plan-hybrid-estate.yaml");
    let out = poolcast(&["emit", f.to_str().unwrap(), "--format", "az"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plan --emit"), "{err}");
}

/// One agentPools resource of a Bicep file, as `name -> value` (nested objects as their
/// `key: value` lines).
#[derive(Debug)]
struct Resource {
    api_version: String,
    name: String,
    props: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
}

fn unquote(v: &str) -> String {
    v.trim()
        .trim_start_matches('\'')
        .trim_end_matches('\'')
        .to_owned()
}

/// Parses the subset of Bicep the emitter writes.
fn resources(bicep: &str) -> Vec<Resource> {
    let mut out = Vec::new();
    let mut lines = bicep.lines();
    while let Some(l) = lines.next() {
        let Some(rest) = l.strip_prefix("resource pool_") else {
            continue;
        };
        let ty = rest.split('\'').nth(1).unwrap();
        let (rtype, api) = ty.split_once('@').unwrap();
        assert_eq!(
            rtype,
            "Microsoft.ContainerService/managedClusters/agentPools"
        );
        let mut r = Resource {
            api_version: api.to_owned(),
            name: String::new(),
            props: BTreeMap::new(),
            labels: BTreeMap::new(),
        };
        let mut in_props = false;
        let mut in_labels = false;
        for l in lines.by_ref() {
            let t = l.trim();
            if l == "}" {
                break;
            }
            if in_labels {
                if t == "}" {
                    in_labels = false;
                } else {
                    let (k, v) = t.split_once(": ").unwrap();
                    r.labels.insert(unquote(k), unquote(v));
                }
                continue;
            }
            if t == "properties: {" {
                in_props = true;
                continue;
            }
            if in_props && t == "}" {
                in_props = false;
                continue;
            }
            let (k, v) = t.split_once(": ").unwrap_or((t, ""));
            if !in_props {
                if k == "name" {
                    r.name = unquote(v);
                }
                continue;
            }
            if k == "nodeLabels" {
                in_labels = true;
                r.props.insert(k.to_owned(), "{}".to_owned());
                continue;
            }
            r.props.insert(k.to_owned(), v.to_owned());
        }
        out.push(r);
    }
    out
}

fn check_against_schema(bicep: &str) -> usize {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(test_data("data/agentpool-schema-2025-05-01.json")).unwrap(),
    )
    .unwrap();
    let props = schema["properties"].as_object().unwrap();
    let rs = resources(bicep);
    for r in &rs {
        assert_eq!(r.api_version, schema["apiVersion"].as_str().unwrap());
        // namePattern ^[a-z][a-z0-9]{0,11}$
        assert!(
            r.name.len() <= 12
                && r.name.starts_with(|c: char| c.is_ascii_lowercase())
                && r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "name {}",
            r.name
        );
        for (k, v) in &r.props {
            let def = props.get(k).unwrap_or_else(|| {
                panic!("{}: property {k} is not in the agentPool schema", r.name)
            });
            match def["type"].as_str().unwrap() {
                "integer" => assert!(v.parse::<i64>().is_ok(), "{k}: {v}"),
                "boolean" => assert!(v == "true" || v == "false", "{k}: {v}"),
                "string" => {
                    assert!(v.starts_with('\'') && v.ends_with('\''), "{k}: {v}");
                    if let Some(e) = def["enum"].as_array() {
                        let val = unquote(v);
                        assert!(
                            e.iter().any(|x| x.as_str() == Some(val.as_str())),
                            "{}: {k} = {val} is not one of {e:?}",
                            r.name
                        );
                    }
                }
                "array" => assert!(v.starts_with('[') && v.ends_with(']'), "{k}: {v}"),
                "object" => assert_eq!(v, "{}"),
                t => panic!("schema type {t}"),
            }
        }
        for k in r.labels.keys() {
            assert!(!is_reserved_node_label(k), "{}: reserved label {k}", r.name);
        }
        if r.props.contains_key("enableAutoScaling") {
            assert!(r.props.contains_key("minCount") && r.props.contains_key("maxCount"));
        }
    }
    rs.len()
}

#[test]
fn bicep_matches_the_agent_pool_schema() {
    let bicep = stdout(&["emit", &fixture(), "--format", "bicep"]);
    assert_eq!(check_against_schema(&bicep), 3, "{bicep}");
    let web = resources(&bicep)
        .into_iter()
        .find(|r| r.name == "web")
        .unwrap();
    assert_eq!(web.props["enableAutoScaling"], "true");
    assert_eq!(web.props["minCount"], "3");
    assert_eq!(web.props["maxCount"], "9");
    assert_eq!(web.labels.get("tier").map(String::as_str), Some("web"));
    assert!(bicep.contains("// system: existing pool, updated in place"));

    let f = workspace().join("scenarios/plan-hybrid-estate.yaml");
    let planned = stdout(&["plan", f.to_str().unwrap(), "--emit", "bicep"]);
    assert_eq!(check_against_schema(&planned), 3, "{planned}");
}

//! YAML and JSON of one scenario load into equal models.

use poolcast_model::{parse_scenario, Format};

use crate::common::workspace;

#[test]
fn json_and_yaml_of_the_example_scenario_are_equal() {
    let path = workspace().join("scenarios/hybrid-medchart.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    let (from_yaml, warnings) =
        parse_scenario(&yaml, Format::Yaml, "hybrid-medchart.yaml").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");

    // The same document written as JSON, the way a tool would emit it.
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let (from_json, _) = parse_scenario(&json, Format::Json, "hybrid-medchart.json").unwrap();
    assert_eq!(from_yaml, from_json);

    // And the model written back out loads to itself.
    let again = serde_json::to_string(&from_yaml).unwrap();
    let (round, _) = parse_scenario(&again, Format::Json, "round.json").unwrap();
    assert_eq!(from_yaml, round);
}

#[test]
fn json_errors_read_like_json_errors() {
    let errs =
        parse_scenario("{\"apiVersion\": \"poolcast/v1\",}", Format::Json, "x.json").unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code, "json.syntax");
    assert_eq!((errs[0].line, errs[0].column), (1, 30));
    assert!(
        errs[0].message.contains("trailing comma"),
        "{}",
        errs[0].message
    );
}

//! The Group Policy templates (contrib/windows/policies) against the code: well-formed XML,
//! exactly the policies `policy::PolicyName` reads, under the key the code reads, each with the
//! registry type the code expects, and every string and presentation in both languages.

use fe2_license::policy::{PolicyKind, PolicyName, REGISTRY_KEY};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/windows/policies")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `$(string.X)` / `$(presentation.X)` references of an attribute value.
fn reference<'a>(value: &'a str, table: &str) -> Option<&'a str> {
    value
        .strip_prefix(&format!("$({table}."))
        .and_then(|rest| rest.strip_suffix(')'))
}

/// The ids of one table (`string` or `presentation`) of an ADML file.
fn adml_ids(text: &str, element: &str) -> BTreeSet<String> {
    let doc = roxmltree::Document::parse(text).expect("well-formed ADML");
    doc.descendants()
        .filter(|n| n.has_tag_name(element))
        .map(|n| n.attribute("id").expect("id").to_string())
        .collect()
}

#[test]
fn the_templates_name_exactly_the_policies_the_code_reads() {
    let admx = read(&policies_dir().join("fe2-license.admx"));
    let doc = roxmltree::Document::parse(&admx).expect("well-formed ADMX");
    let mut strings = BTreeSet::new();
    let mut presentations = BTreeSet::new();
    for node in doc.descendants() {
        for attribute in node.attributes() {
            if let Some(id) = reference(attribute.value(), "string") {
                strings.insert(id.to_string());
            }
            if let Some(id) = reference(attribute.value(), "presentation") {
                presentations.insert(id.to_string());
            }
        }
    }

    let mut seen = BTreeSet::new();
    for policy in doc.descendants().filter(|n| n.has_tag_name("policy")) {
        let name = policy.attribute("name").expect("policy name");
        let code = PolicyName::ALL
            .iter()
            .find(|n| n.as_str() == name)
            .unwrap_or_else(|| panic!("the template has {name}, which the code does not read"));
        assert_eq!(policy.attribute("key"), Some(REGISTRY_KEY), "{name}");
        assert_eq!(policy.attribute("class"), Some("Both"), "{name}");
        // The value the policy writes: its own valueName (a switch) or its one element's.
        let element = policy
            .descendants()
            .find(|n| n.attribute("valueName").is_some() && n != &policy);
        let (value_name, element_kind) = match element {
            Some(e) => (e.attribute("valueName"), e.tag_name().name()),
            None => (policy.attribute("valueName"), "switch"),
        };
        assert_eq!(value_name, Some(name), "{name}");
        let expected = match code.kind() {
            PolicyKind::Dword => &["decimal", "switch"][..],
            PolicyKind::Text => &["text", "enum"][..],
            PolicyKind::List => &["multiText"][..],
        };
        assert!(
            expected.contains(&element_kind),
            "{name}: {element_kind} is not {expected:?}"
        );
        if element_kind == "switch" {
            // A switch writes 1 when enabled and 0 when disabled, as the code reads it.
            let value = |tag: &str| {
                policy
                    .descendants()
                    .find(|n| n.has_tag_name(tag))
                    .and_then(|n| n.descendants().find(|d| d.has_tag_name("decimal")))
                    .and_then(|d| d.attribute("value"))
            };
            assert_eq!(value("enabledValue"), Some("1"), "{name}");
            assert_eq!(value("disabledValue"), Some("0"), "{name}");
        }
        if element_kind == "decimal" {
            let decimal = element.unwrap();
            assert_eq!(decimal.attribute("minValue"), Some("0"), "{name}");
            assert_eq!(decimal.attribute("maxValue"), Some("366"), "{name}");
        }
        assert!(seen.insert(name.to_string()), "{name} twice");
    }
    let code: BTreeSet<String> = PolicyName::ALL
        .iter()
        .map(|n| n.as_str().to_string())
        .collect();
    assert_eq!(seen, code, "the template and PolicyName differ");

    for language in ["de-DE", "en-US"] {
        let adml = read(&policies_dir().join(language).join("fe2-license.adml"));
        let ids = adml_ids(&adml, "string");
        let missing: Vec<_> = strings.difference(&ids).collect();
        assert!(missing.is_empty(), "{language} lacks strings {missing:?}");
        let unused: Vec<_> = ids.difference(&strings).collect();
        assert!(
            unused.is_empty(),
            "{language} has unused strings {unused:?}"
        );
        let shown = adml_ids(&adml, "presentation");
        assert_eq!(shown, presentations, "{language} presentations");
        // Every control of a presentation points at an element of its policy.
        let doc = roxmltree::Document::parse(&adml).unwrap();
        for control in doc.descendants().filter(|n| n.attribute("refId").is_some()) {
            let presentation = control.parent().and_then(|p| p.attribute("id")).unwrap();
            assert_eq!(control.attribute("refId"), Some(presentation), "{language}");
        }
    }
}

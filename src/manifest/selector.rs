//! Kubernetes label selectors (`matchLabels` + `matchExpressions`) as the API server evaluates
//! them: every requirement must hold; `In`/`NotIn`/`Exists`/`DoesNotExist`.
//!
//! Shared by the NetworkPolicy model (`netpol/`) and the `network-policy/` rules, so a selector
//! means one thing everywhere. Pure: labels in, a verdict out.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

pub use super::labels::Labels;

/// Why a selector cannot be evaluated: the API server rejects it (an unknown operator, or
/// values where the operator takes none). Callers report it; it never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSelector {
    pub index: usize,
    pub message: String,
}

/// True when `selector` selects an object with `labels`. An empty selector (`{}`) selects
/// everything; an invalid one selects nothing.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    if let Some(required) = &selector.match_labels
        && required.iter().any(|(k, v)| labels.get(k) != Some(v))
    {
        return false;
    }
    selector
        .match_expressions
        .iter()
        .flatten()
        .all(|req| requirement_holds(req, labels).unwrap_or(false))
}

/// True when the selector has no requirement at all (`{}`): it selects every object.
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

/// The expressions the API server would reject, with their index in `matchExpressions`.
pub fn validate(selector: &LabelSelector) -> Vec<InvalidSelector> {
    let mut problems = Vec::new();
    for (index, req) in selector.match_expressions.iter().flatten().enumerate() {
        let values = req.values.as_deref().unwrap_or_default();
        let message = match req.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => Some(format!(
                "operator {} needs at least one value",
                req.operator
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => Some(format!(
                "operator {} takes no values (found {})",
                req.operator,
                values.len()
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
            other => Some(format!(
                "unknown operator {other:?} (In, NotIn, Exists or DoesNotExist)"
            )),
        };
        if let Some(message) = message {
            problems.push(InvalidSelector { index, message });
        }
    }
    problems
}

/// `None` when the requirement is invalid.
fn requirement_holds(req: &LabelSelectorRequirement, labels: &Labels) -> Option<bool> {
    let value = labels.get(&req.key);
    let values = req.values.as_deref().unwrap_or_default();
    match req.operator.as_str() {
        "In" if !values.is_empty() => Some(value.is_some_and(|v| values.contains(v))),
        "NotIn" if !values.is_empty() => Some(value.is_none_or(|v| !values.contains(v))),
        "Exists" if values.is_empty() => Some(value.is_some()),
        "DoesNotExist" if values.is_empty() => Some(value.is_none()),
        _ => None,
    }
}

/// The selector as people write it in prose: `app=web, tier in (a, b), !legacy`; `all` for `{}`.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.as_deref().unwrap_or_default().join(", ");
        parts.push(match req.operator.as_str() {
            "In" => format!("{} in ({values})", req.key),
            "NotIn" => format!("{} notin ({values})", req.key),
            "Exists" => req.key.clone(),
            "DoesNotExist" => format!("!{}", req.key),
            other => format!("{} {other} ({values})", req.key),
        });
    }
    if parts.is_empty() {
        "all".to_string()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn empty_selector_selects_everything() {
        let all = LabelSelector::default();
        assert!(is_empty(&all));
        assert!(matches(&all, &Labels::new()));
        assert!(matches(&all, &labels(&[("app", "web")])));
        assert_eq!(describe(&all), "all");
    }

    #[test]
    fn match_labels_and_expressions_must_all_hold() {
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "edge"]),
                req("legacy", "DoesNotExist", &[]),
                req("env", "NotIn", &["prod"]),
                req("team", "Exists", &[]),
            ]),
        };
        let good = labels(&[("app", "web"), ("tier", "edge"), ("team", "a")]);
        assert!(matches(&sel, &good));
        let mut prod = good.clone();
        prod.insert("env".into(), "prod".into());
        assert!(!matches(&sel, &prod));
        let mut legacy = good.clone();
        legacy.insert("legacy".into(), "".into());
        assert!(!matches(&sel, &legacy));
        assert!(!matches(&sel, &labels(&[("app", "web"), ("tier", "back")])));
        assert!(!matches(
            &sel,
            &labels(&[("app", "api"), ("tier", "edge"), ("team", "a")])
        ));
        assert_eq!(
            describe(&sel),
            "app=web, tier in (front, edge), !legacy, env notin (prod), team"
        );
    }

    #[test]
    fn invalid_requirements_select_nothing_and_are_reported() {
        let sel = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![
                req("a", "In", &[]),
                req("b", "Exists", &["x"]),
                req("c", "Equals", &["x"]),
            ]),
        };
        assert!(!matches(
            &sel,
            &labels(&[("a", "x"), ("b", "x"), ("c", "x")])
        ));
        let problems = validate(&sel);
        assert_eq!(problems.len(), 3);
        assert_eq!(problems[2].index, 2);
        assert!(problems[2].message.contains("unknown operator"));
    }
}

//! Which rules run: `select`, `extend-select` and `ignore` (from the configuration file, then
//! from the command line), by rule id or family prefix, resolved the way ruff resolves them.
//!
//! Owns the selector syntax and the resolution order; it never reads files or flags itself
//! (`crate::config` and `crate::cli` hand it what the user wrote).
//!
//! Resolution: every rule starts enabled. Each layer (the configuration file, then the command
//! line) is applied in turn: within a layer the most specific selector naming a rule decides
//! (an id beats a family, a family beats `ALL`; on a tie `ignore` wins); a rule no selector of
//! the layer names is disabled when the layer has a `select` list, and otherwise keeps the
//! state the earlier layers gave it.

use std::fmt;

/// A rule id (`pod-security/privileged`), a family (`pod-security`) or `ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Parses what a user wrote; unknown ids and families are errors, so that a typo cannot
    /// silently select or ignore nothing.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "ALL" {
            return Ok(Self(text.to_string()));
        }
        let rules = super::all();
        let known = if text.contains('/') {
            rules.iter().any(|r| r.id() == text)
        } else {
            rules.iter().any(|r| super::family(r.id()) == text)
        };
        if known {
            Ok(Self(text.to_string()))
        } else if text.is_empty() {
            Err("empty rule selector; write a rule id (pod-security/privileged), a family (pod-security) or ALL".into())
        } else {
            Err(format!(
                "unknown rule or family {text:?}; `kubenudge rules` lists them"
            ))
        }
    }

    /// How specifically this selector names `rule`: `None` when it does not name it.
    fn specificity(&self, rule: &str) -> Option<u8> {
        if self.0 == "ALL" {
            Some(0)
        } else if self.0 == rule {
            Some(2)
        } else if super::family(rule) == self.0 {
            Some(1)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One source of selectors (the configuration file or the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionLayer {
    /// Replaces the rules enabled so far when given.
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

impl SelectionLayer {
    pub fn is_empty(&self) -> bool {
        self.select.is_none() && self.extend_select.is_empty() && self.ignore.is_empty()
    }

    /// This layer's verdict on `rule`, or `None` when it leaves the rule as it was.
    fn decide(&self, rule: &str) -> Option<bool> {
        let most_specific =
            |selectors: &[Selector]| selectors.iter().filter_map(|s| s.specificity(rule)).max();
        let enable = most_specific(self.select.as_deref().unwrap_or_default())
            .max(most_specific(&self.extend_select));
        let disable = most_specific(&self.ignore);
        match (enable, disable) {
            (Some(e), Some(d)) => Some(e > d),
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => self.select.is_some().then_some(false),
        }
    }
}

/// The layers in the order they apply; the default enables every rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSelection {
    layers: Vec<SelectionLayer>,
}

impl RuleSelection {
    /// Adds a layer that applies after the ones already there (the command line after the
    /// configuration file).
    pub fn push(&mut self, layer: SelectionLayer) {
        if !layer.is_empty() {
            self.layers.push(layer);
        }
    }

    pub fn enables(&self, rule: &str) -> bool {
        self.layers
            .iter()
            .fold(true, |enabled, layer| layer.decide(rule).unwrap_or(enabled))
    }

    /// True when every rule runs (nothing was narrowed).
    pub fn is_all(&self) -> bool {
        self.layers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(list: &[&str]) -> Vec<Selector> {
        list.iter().map(|s| Selector::parse(s).unwrap()).collect()
    }

    fn layer(select: Option<&[&str]>, extend: &[&str], ignore: &[&str]) -> SelectionLayer {
        SelectionLayer {
            select: select.map(sel),
            extend_select: sel(extend),
            ignore: sel(ignore),
        }
    }

    const PRIV: &str = "pod-security/privileged";
    const RORF: &str = "hardening/read-only-root-filesystem";

    #[test]
    fn everything_runs_by_default() {
        let s = RuleSelection::default();
        assert!(s.enables(PRIV) && s.enables(RORF));
    }

    #[test]
    fn select_by_family_disables_the_other_families() {
        let mut s = RuleSelection::default();
        s.push(layer(Some(&["pod-security"]), &[], &[]));
        assert!(s.enables(PRIV));
        assert!(!s.enables(RORF));
    }

    #[test]
    fn the_more_specific_selector_wins_and_ignore_wins_ties() {
        let mut s = RuleSelection::default();
        s.push(layer(Some(&["pod-security"]), &[], &[PRIV]));
        assert!(!s.enables(PRIV));
        assert!(s.enables("pod-security/run-as-non-root"));
        let mut s = RuleSelection::default();
        s.push(layer(Some(&[PRIV]), &[], &["pod-security"]));
        assert!(s.enables(PRIV));
        assert!(!s.enables("pod-security/run-as-non-root"));
        let mut s = RuleSelection::default();
        s.push(layer(None, &[PRIV], &[PRIV]));
        assert!(!s.enables(PRIV));
    }

    #[test]
    fn a_later_layer_select_replaces_and_extend_select_adds() {
        let mut s = RuleSelection::default();
        s.push(layer(Some(&["hardening"]), &[], &[]));
        s.push(layer(None, &[PRIV], &[]));
        assert!(s.enables(PRIV) && s.enables(RORF));
        assert!(!s.enables("pod-security/run-as-non-root"));
        s.push(layer(Some(&["pod-security"]), &[], &[]));
        assert!(!s.enables(RORF));
        assert!(s.enables("pod-security/run-as-non-root"));
    }

    #[test]
    fn a_later_layer_without_select_keeps_earlier_ignores() {
        let mut s = RuleSelection::default();
        s.push(layer(None, &[], &["hardening"]));
        s.push(layer(None, &[], &[PRIV]));
        assert!(!s.enables(RORF) && !s.enables(PRIV));
        assert!(s.enables("pod-security/run-as-non-root"));
    }

    #[test]
    fn unknown_selectors_are_refused_with_a_hint() {
        let e = Selector::parse("pod-security/privilegd").unwrap_err();
        assert!(
            e.contains("unknown rule or family \"pod-security/privilegd\""),
            "{e}"
        );
        assert!(Selector::parse("podsecurity").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("ALL").is_ok());
    }
}

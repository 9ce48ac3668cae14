//! Comparison of a normalized expected JSON value against a normalized actual one.
//!
//! Objects: every expected key must be present with a matching value (extra actual keys are fine:
//! AWS adds fields to its responses over time). Lists: exact multisets: the same number of items,
//! unordered, every expected item matched to a distinct actual item. The assignment is a maximum
//! bipartite matching (augmenting paths), because greedy first-fit can fail where an assignment
//! exists. A list whose key the normalization table marks open (a catalog AWS grows, a history a
//! fixture cannot reproduce) may hold more actual items than expected. Numbers compare by value
//! (5 == 5.0). null and missing differ.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// JSONPath-like location, e.g. `$.Table.KeySchema[1].KeyType`.
    pub path: String,
    pub message: String,
}

/// What the normalization table lets differ, as predicates over object keys.
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    /// Keys that may be missing on the actual side.
    pub may_be_absent: &'a dyn Fn(&str) -> bool,
    /// List keys whose actual list may hold more items than the expected one.
    pub open_list: &'a dyn Fn(&str) -> bool,
}

fn never(_: &str) -> bool {
    false
}

impl Policy<'static> {
    /// No key may be absent, every list is closed.
    pub fn strict() -> Policy<'static> {
        Policy {
            may_be_absent: &never,
            open_list: &never,
        }
    }
}

impl Policy<'_> {
    fn open(&self, key: Option<&str>) -> bool {
        key.is_some_and(|k| (self.open_list)(k))
    }
}

/// True when `expected` matches `actual` under the strict policy.
pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    subset(expected, actual, None, &Policy::strict())
}

/// True when `expected` matches `actual` under `policy`.
pub fn matches(expected: &Value, actual: &Value, policy: &Policy) -> bool {
    subset(expected, actual, None, policy)
}

/// `key` is the object key the values sit under (list items inherit their list's key).
fn subset(e: &Value, a: &Value, key: Option<&str>, p: &Policy) -> bool {
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => em.iter().all(|(k, ev)| match am.get(k) {
            Some(av) => subset(ev, av, Some(k), p),
            None => (p.may_be_absent)(k),
        }),
        (Value::Array(el), Value::Array(al)) => {
            let sizes_ok = if p.open(key) {
                el.len() <= al.len()
            } else {
                el.len() == al.len()
            };
            sizes_ok && matching(el, al, key, p).iter().all(Option::is_some)
        }
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        _ => e == a,
    }
}

fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// For each expected item, the index of the actual item assigned to it (maximum matching).
fn matching(el: &[Value], al: &[Value], key: Option<&str>, p: &Policy) -> Vec<Option<usize>> {
    let adj: Vec<Vec<usize>> = el
        .iter()
        .map(|e| {
            (0..al.len())
                .filter(|&j| subset(e, &al[j], key, p))
                .collect()
        })
        .collect();
    max_matching(&adj, al.len())
}

/// Kuhn's augmenting-path algorithm: `adj[i]` lists the right vertices left vertex `i` may take.
pub fn max_matching(adj: &[Vec<usize>], right: usize) -> Vec<Option<usize>> {
    fn augment(
        i: usize,
        adj: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &j in &adj[i] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|o| augment(o, adj, seen, owner)) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for i in 0..adj.len() {
        let mut seen = vec![false; right];
        augment(i, adj, &mut seen, &mut owner);
    }
    let mut out = vec![None; adj.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(i) = o {
            out[*i] = Some(j);
        }
    }
    out
}

/// All mismatches of `expected` against `actual` (empty means they match).
pub fn compare(expected: &Value, actual: &Value, policy: &Policy) -> Vec<Mismatch> {
    let mut out = Vec::new();
    diff_into(expected, actual, "$", None, policy, &mut out);
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn diff_into(
    e: &Value,
    a: &Value,
    path: &str,
    key: Option<&str>,
    p: &Policy,
    out: &mut Vec<Mismatch>,
) {
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => {
            for (k, ev) in em {
                let sub = format!("{path}.{k}");
                match am.get(k) {
                    Some(av) => diff_into(ev, av, &sub, Some(k), p, out),
                    None if (p.may_be_absent)(k) => {}
                    None => out.push(Mismatch {
                        path: sub,
                        message: format!("missing (expected {})", compact(ev)),
                    }),
                }
            }
        }
        (Value::Array(el), Value::Array(al)) => {
            let m = matching(el, al, key, p);
            let used: Vec<usize> = m.iter().flatten().copied().collect();
            for (i, slot) in m.iter().enumerate() {
                if slot.is_some() {
                    continue;
                }
                let ip = format!("{path}[{i}]");
                // Explain against the closest unassigned actual item.
                let best = (0..al.len())
                    .filter(|j| !used.contains(j))
                    .map(|j| {
                        let mut sub = Vec::new();
                        diff_into(&el[i], &al[j], &ip, key, p, &mut sub);
                        sub
                    })
                    .min_by_key(Vec::len);
                match best {
                    Some(sub) if !sub.is_empty() => out.extend(sub),
                    _ => out.push(Mismatch {
                        path: ip,
                        message: format!(
                            "no matching item among {} actual item(s) (expected {})",
                            al.len(),
                            compact(&el[i])
                        ),
                    }),
                }
            }
            if al.len() > el.len() && !p.open(key) {
                let extra: Vec<String> = (0..al.len())
                    .filter(|j| !used.contains(j))
                    .take(al.len() - el.len())
                    .map(|j| compact(&al[j]))
                    .collect();
                out.push(Mismatch {
                    path: path.to_string(),
                    message: format!(
                        "{} actual item(s) where the example shows {} (the list is closed); unmatched: {}",
                        al.len(),
                        el.len(),
                        extra.join(", ")
                    ),
                });
            }
        }
        _ => {
            if !subset(e, a, key, p) {
                let message = if kind(e) != kind(a) {
                    format!(
                        "expected {} {}, got {} {}",
                        kind(e),
                        compact(e),
                        kind(a),
                        compact(a)
                    )
                } else {
                    format!("expected {}, got {}", compact(e), compact(a))
                };
                out.push(Mismatch {
                    path: path.to_string(),
                    message,
                });
            }
        }
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// `actual` reduced to the parts `expected` talks about, with list items in the matched order
/// (unmatched actual items of a closed list follow): what a reader needs for a readable diff.
pub fn project(expected: &Value, actual: &Value, policy: &Policy) -> Value {
    project_at(expected, actual, None, policy)
}

fn project_at(expected: &Value, actual: &Value, key: Option<&str>, p: &Policy) -> Value {
    match (expected, actual) {
        (Value::Object(em), Value::Object(am)) => Value::Object(
            em.iter()
                .filter_map(|(k, ev)| {
                    am.get(k)
                        .map(|av| (k.clone(), project_at(ev, av, Some(k), p)))
                })
                .collect(),
        ),
        (Value::Array(el), Value::Array(al)) => {
            let m = matching(el, al, key, p);
            let mut used: Vec<usize> = m.iter().flatten().copied().collect();
            let mut items = Vec::new();
            for (i, slot) in m.iter().enumerate() {
                let j = match slot {
                    Some(j) => Some(*j),
                    None => {
                        let free = (0..al.len()).find(|j| !used.contains(j));
                        if let Some(f) = free {
                            used.push(f);
                        }
                        free
                    }
                };
                if let Some(j) = j {
                    items.push(project_at(&el[i], &al[j], key, p));
                }
            }
            if p.open(key) {
                let extra = al.len().saturating_sub(items.len());
                if extra > 0 {
                    items.push(Value::String(format!(
                        "<{extra} more actual item(s), allowed: open list>"
                    )));
                }
            } else {
                // A closed list shows every surplus item: they are what fails.
                items.extend(
                    (0..al.len())
                        .filter(|j| !used.contains(j))
                        .map(|j| al[j].clone()),
                );
            }
            Value::Array(items)
        }
        _ => actual.clone(),
    }
}

/// Unified diff of pretty JSON with sorted keys.
pub fn unified_diff(expected: &Value, actual: &Value) -> String {
    let e = pretty_sorted(expected);
    let a = pretty_sorted(actual);
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

pub fn pretty_sorted(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<_> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sort(v)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STRICT: Policy<'static> = Policy {
        may_be_absent: &never,
        open_list: &never,
    };

    fn open_events(k: &str) -> bool {
        k == "Events"
    }

    #[test]
    fn greedy_fails_matching_succeeds() {
        // Greedy would give actual[0] to expected[0] ({"a":1} fits it) and leave expected[1]
        // ({"a":1,"b":2}) with nothing; the maximum matching swaps them.
        let e = json!([{"a": 1}, {"a": 1, "b": 2}]);
        let a = json!([{"a": 1, "b": 2}, {"a": 1, "c": 3}]);
        assert!(is_subset(&e, &a));
        assert!(compare(&e, &a, &STRICT).is_empty());
        let a2 = json!([{"a": 1, "b": 2}, {"a": 2}]);
        assert!(!is_subset(&e, &a2));
    }

    #[test]
    fn each_expected_item_needs_its_own_actual_item() {
        assert!(!is_subset(&json!([1, 1]), &json!([1, 2])));
        assert!(is_subset(&json!([2, 1]), &json!([1, 2])));
        assert!(is_subset(&json!([1, 1, 2]), &json!([1, 2, 1])));
        assert!(!is_subset(&json!([1, 1, 2]), &json!([1, 2, 2])));
    }

    #[test]
    fn closed_lists_need_the_same_number_of_items() {
        // A surplus actual item fails, at any depth, and the mismatch names the list.
        assert!(!is_subset(&json!([2, 1]), &json!([1, 2, 3])));
        let e = json!({"Table": {"AttributeDefinitions": [{"AttributeName": "A"}]}});
        let a = json!({"Table": {"AttributeDefinitions": [{"AttributeName": "A"}, {"AttributeName": "B"}]}});
        assert!(!is_subset(&e, &a));
        let m = compare(&e, &a, &STRICT);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].path, "$.Table.AttributeDefinitions");
        assert!(m[0]
            .message
            .contains("2 actual item(s) where the example shows 1"));
        assert!(m[0].message.contains("\"B\""), "{}", m[0].message);
        // Fewer actual items fail too.
        assert!(!is_subset(&json!({"L": [1, 2]}), &json!({"L": [1]})));
        // The projection keeps the surplus item in view for the diff.
        assert_eq!(
            project(
                &json!([{"k": 1}]),
                &json!([{"k": 2, "x": 0}, {"k": 1, "x": 0}]),
                &STRICT
            ),
            json!([{"k": 1}, {"k": 2, "x": 0}])
        );
    }

    #[test]
    fn open_lists_allow_more_actual_items_but_still_match_each_expected_one() {
        let p = Policy {
            may_be_absent: &never,
            open_list: &open_events,
        };
        let e = json!({"Events": [{"Id": 1}, {"Id": 2}], "Other": [1]});
        let a = json!({"Events": [{"Id": 3}, {"Id": 2}, {"Id": 1}], "Other": [1]});
        assert!(matches(&e, &a, &p));
        assert!(compare(&e, &a, &p).is_empty());
        assert!(!matches(&e, &a, &STRICT));
        // Only the named key is open: the same surplus elsewhere fails.
        let a2 = json!({"Events": [{"Id": 1}, {"Id": 2}], "Other": [1, 2]});
        assert!(!matches(&e, &a2, &p));
        assert_eq!(compare(&e, &a2, &p)[0].path, "$.Other");
        // Open is not loose: every expected item still needs its own actual item.
        let a3 = json!({"Events": [{"Id": 1}, {"Id": 1}, {"Id": 3}], "Other": [1]});
        assert!(!matches(&e, &a3, &p));
        assert_eq!(
            project(&e, &a, &p)["Events"],
            json!([{"Id": 1}, {"Id": 2}, "<1 more actual item(s), allowed: open list>"])
        );
    }

    #[test]
    fn null_versus_missing() {
        let e = json!({"a": null});
        assert!(is_subset(&e, &json!({"a": null})));
        assert!(!is_subset(&e, &json!({})));
        let m = compare(&e, &json!({}), &STRICT);
        assert_eq!(m[0].path, "$.a");
        assert!(m[0].message.starts_with("missing"));
        let absent_a = |k: &str| k == "a";
        let p = Policy {
            may_be_absent: &absent_a,
            open_list: &never,
        };
        assert!(compare(&e, &json!({}), &p).is_empty());
        assert!(!is_subset(&json!({"a": 0}), &json!({"a": null})));
    }

    #[test]
    fn numbers_by_value() {
        assert!(is_subset(&json!({"n": 5}), &json!({"n": 5.0})));
        assert!(is_subset(&json!(1.0), &json!(1)));
        assert!(!is_subset(&json!(5), &json!("5")));
        assert!(!is_subset(&json!(5), &json!(5.5)));
    }

    #[test]
    fn nested_paths_are_reported() {
        let e = json!({"Table": {"KeySchema": [{"AttributeName": "A", "KeyType": "HASH"}], "ItemCount": 0}});
        let a = json!({"Table": {"KeySchema": [{"AttributeName": "A", "KeyType": "RANGE"}], "ItemCount": 0, "X": 1}});
        let m = compare(&e, &a, &STRICT);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, "$.Table.KeySchema[0].KeyType");
        assert!(m[0].message.contains("\"HASH\""));
    }

    #[test]
    fn duplicate_keys_in_golden_are_rejected() {
        // Golden outputs parse through strict_json, so a duplicate key cannot hide an expectation.
        assert!(crate::strict_json::parse(r#"{"A": 1, "A": 2}"#).is_err());
    }

    #[test]
    fn empty_expected_list_matches_only_an_empty_list() {
        assert!(is_subset(&json!({"L": []}), &json!({"L": []})));
        assert!(!is_subset(&json!({"L": []}), &json!({"L": [1]})));
        assert!(!is_subset(&json!({"L": []}), &json!({})));
    }

    #[test]
    fn projection_orders_items_like_expected() {
        let e = json!([{"k": 2}, {"k": 1}]);
        let a = json!([{"k": 1, "x": 0}, {"k": 2, "x": 0}]);
        assert_eq!(project(&e, &a, &STRICT), json!([{"k": 2}, {"k": 1}]));
        assert!(unified_diff(&json!({"a": 1}), &json!({"a": 2})).contains("-  \"a\": 1"));
    }
}

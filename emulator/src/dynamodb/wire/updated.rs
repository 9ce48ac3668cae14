//! UpdateItem's `UPDATED_OLD` / `UPDATED_NEW` answer cut down to the document paths the update
//! writes. DynamoDB Local answers a nested `SET parent.child = :v` with the whole top-level
//! `parent` map; AWS answers only the fragment the update changed (`{"parent": {"M": {"child":
//! ...}}}`, its siblings left out), as recorded against AWS in paritysuite/dynamodb-conformance
//! (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier1/updateItem/basic.test.ts,
//! "UPDATED_NEW on a nested SET returns only the changed fragment", and
//! https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier1/updateItem/paths.test.ts,
//! two SETs under one map answer both children). Paths through a list index are left as
//! DynamoDB Local answers them (whole top-level attribute): what AWS answers there is not
//! recorded for UpdateItem.
//!
//! A PartiQL `UPDATE ... RETURNING MODIFIED OLD|NEW *` is cut the same way (`modified`), list
//! indices included: each path the statement names is read in the item (old or new) and a
//! list contributes the elements its named indices still reach, packed densely in ascending
//! index order (a path past the end contributes nothing; after a REMOVE the index reaches the
//! shifted element), as AWS answered nubo-db/dynamodb-conformance
//! `tests/tier2/partiql/executeStatement.test.ts` (eu-west-2).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One element of a document path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Elem {
    Key(String),
    Index(usize),
}

#[derive(Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Punct(char),
}

/// An update expression's words (names, placeholders, keywords) and punctuation.
pub(super) fn tokens(expr: &str) -> Vec<Tok> {
    let mut out = vec![];
    let mut chars = expr.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_alphanumeric() || c == '_' || c == '#' || c == ':' {
            let mut w = String::new();
            w.push(c);
            chars.next();
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || d == '-' && w.starts_with([':', '#']) {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w));
        } else {
            out.push(Tok::Punct(c));
            chars.next();
        }
    }
    out
}

fn is_section(w: &str) -> bool {
    ["SET", "REMOVE", "ADD", "DELETE"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(w))
}

/// The target path of every action of an update expression (`#names` resolved), in order.
fn targets(expr: &str, names: &Value) -> Vec<Vec<Elem>> {
    let toks = tokens(expr);
    let name = |w: &str| -> String {
        if w.starts_with('#') {
            names[w].as_str().unwrap_or(w).to_string()
        } else {
            w.to_string()
        }
    };
    let mut out = vec![];
    let mut depth = 0i32;
    let mut expect_target = false;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Word(w) if depth == 0 && is_section(w) => {
                expect_target = true;
                i += 1;
            }
            Tok::Word(w) if expect_target => {
                let mut path = vec![Elem::Key(name(w))];
                i += 1;
                loop {
                    match (toks.get(i), toks.get(i + 1)) {
                        (Some(Tok::Punct('.')), Some(Tok::Word(n))) => {
                            path.push(Elem::Key(name(n)));
                            i += 2;
                        }
                        (Some(Tok::Punct('[')), Some(Tok::Word(n))) => {
                            path.push(Elem::Index(n.parse().unwrap_or(usize::MAX)));
                            i += 3;
                        }
                        _ => break,
                    }
                }
                out.push(path);
                expect_target = false;
            }
            Tok::Punct('(') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct(')') => {
                depth -= 1;
                i += 1;
            }
            Tok::Punct(',') if depth == 0 => {
                expect_target = true;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// `value` (an attribute value) projected to the paths in `chains` (each non-empty): a map
/// keeps the named members, a list the elements at the named indices, densely in ascending
/// index order; `None` when none of them resolves.
fn project(value: &Value, chains: &[&[Elem]]) -> Option<Value> {
    if let Some(list) = value.get("L").and_then(Value::as_array) {
        let mut by_index: BTreeMap<usize, Vec<&[Elem]>> = BTreeMap::new();
        for c in chains {
            if let Some(Elem::Index(n)) = c.first() {
                by_index.entry(*n).or_default().push(&c[1..]);
            }
        }
        let out: Vec<Value> = by_index
            .into_iter()
            .filter_map(|(n, rest)| narrow(list.get(n)?, &rest))
            .collect();
        return (!out.is_empty()).then(|| serde_json::json!({ "L": out }));
    }
    let m = value.get("M").and_then(Value::as_object)?;
    let mut by_head: BTreeMap<&str, Vec<&[Elem]>> = BTreeMap::new();
    for c in chains {
        if let Some(Elem::Key(k)) = c.first() {
            by_head.entry(k.as_str()).or_default().push(&c[1..]);
        }
    }
    let mut out = Map::new();
    for (k, rest) in by_head {
        if let Some(v) = m.get(k).and_then(|child| narrow(child, &rest)) {
            out.insert(k.to_string(), v);
        }
    }
    if out.is_empty() {
        None
    } else {
        let mut v = Map::new();
        v.insert("M".into(), Value::Object(out));
        Some(Value::Object(v))
    }
}

/// `child` whole when one of the paths ends at it, else projected to the rest of them.
fn narrow(child: &Value, rest: &[&[Elem]]) -> Option<Value> {
    if rest.iter().any(|r| r.is_empty()) {
        Some(child.clone())
    } else {
        project(child, rest)
    }
}

/// Cuts every top-level attribute of `attrs` that a path of `paths` names below its top to
/// the part those paths reach (`skip_lists`: keep whole an attribute written through a list
/// index); an attribute nothing is left of is dropped.
fn cut(attrs: &mut Map<String, Value>, paths: &[Vec<Elem>], skip_lists: bool) {
    let names: Vec<String> = attrs.keys().cloned().collect();
    for top in names {
        let mine: Vec<&[Elem]> = paths
            .iter()
            .filter(|p| p.first() == Some(&Elem::Key(top.clone())))
            .map(|p| &p[1..])
            .collect();
        // Not named (kept as answered), written whole, or (UpdateItem) through a list index.
        let through_list = |p: &&[Elem]| p.iter().any(|e| matches!(e, Elem::Index(_)));
        if mine.is_empty()
            || mine.iter().any(|p| p.is_empty())
            || skip_lists && mine.iter().any(through_list)
        {
            continue;
        }
        match project(&attrs[&top], &mine) {
            Some(v) => attrs[&top] = v,
            None => {
                attrs.remove(&top);
            }
        }
    }
}

/// Cuts the item of a PartiQL `UPDATE ... RETURNING MODIFIED OLD|NEW *` answer to the paths
/// the statement writes (`paths`, from `partiql::modified_targets`); an item nothing is left
/// of is dropped, as AWS answers `Items: []` then.
pub(super) fn modified(paths: &[Vec<Elem>], out: &mut Value) {
    let Some(items) = out.get_mut("Items").and_then(Value::as_array_mut) else {
        return;
    };
    for item in items.iter_mut() {
        if let Some(attrs) = item.as_object_mut() {
            cut(attrs, paths, false);
        }
    }
    items.retain(|i| i.as_object().is_none_or(|o| !o.is_empty()));
}

/// Cuts `out.Attributes` of an UpdateItem answer asked for `UPDATED_OLD` or `UPDATED_NEW` down
/// to the paths its UpdateExpression writes (an empty result drops the member, as AWS omits
/// it when nothing is left).
pub fn trim(input: &Value, out: &mut Value) {
    if !matches!(
        input["ReturnValues"].as_str(),
        Some("UPDATED_OLD" | "UPDATED_NEW")
    ) {
        return;
    }
    let Some(expr) = input["UpdateExpression"].as_str() else {
        return;
    };
    let paths = targets(expr, &input["ExpressionAttributeNames"]);
    let Some(attrs) = out.get_mut("Attributes").and_then(Value::as_object_mut) else {
        return;
    };
    cut(attrs, &paths, true);
    if attrs.is_empty() {
        if let Some(o) = out.as_object_mut() {
            o.remove("Attributes");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn k(s: &str) -> Elem {
        Elem::Key(s.into())
    }

    #[test]
    fn targets_follow_every_section_and_skip_function_arguments() {
        let names = json!({"#a": "a", "#b": "b"});
        let t = targets(
            "SET #a.#b = list_append(x, :v), c = if_not_exists(c, :d) REMOVE r[2], m.n ADD n :one DELETE s :set",
            &names,
        );
        assert_eq!(
            t,
            vec![
                vec![k("a"), k("b")],
                vec![k("c")],
                vec![k("r"), Elem::Index(2)],
                vec![k("m"), k("n")],
                vec![k("n")],
                vec![k("s")],
            ]
        );
        assert_eq!(
            targets("set p.q = :v", &json!({})),
            vec![vec![k("p"), k("q")]]
        );
    }

    #[test]
    fn a_nested_set_answers_only_the_changed_fragment() {
        // paritysuite tests/tier1/updateItem/basic.test.ts: the sibling `keep` is left out.
        let input =
            json!({"UpdateExpression": "SET parent.child = :v", "ReturnValues": "UPDATED_NEW"});
        let mut out =
            json!({"Attributes": {"parent": {"M": {"keep": {"S": "k"}, "child": {"S": "new"}}}}});
        trim(&input, &mut out);
        assert_eq!(
            out,
            json!({"Attributes": {"parent": {"M": {"child": {"S": "new"}}}}})
        );
    }

    #[test]
    fn two_sets_under_one_map_answer_both_children() {
        let input = json!({
            "UpdateExpression": "SET #a.#b = :x, #a.#c = :y, top = :t",
            "ExpressionAttributeNames": {"#a": "a", "#b": "b", "#c": "c"},
            "ReturnValues": "UPDATED_NEW"
        });
        let mut out = json!({"Attributes": {
            "a": {"M": {"existing": {"S": "e"}, "b": {"S": "x"}, "c": {"S": "y"}}},
            "top": {"M": {"whole": {"S": "w"}}}
        }});
        trim(&input, &mut out);
        assert_eq!(
            out,
            json!({"Attributes": {
                "a": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}},
                "top": {"M": {"whole": {"S": "w"}}}
            }})
        );
    }

    #[test]
    fn a_path_with_nothing_to_answer_drops_the_member_and_lists_are_kept() {
        let input = json!({"UpdateExpression": "SET p.absent = :v", "ReturnValues": "UPDATED_OLD"});
        let mut out = json!({"Attributes": {"p": {"M": {"keep": {"S": "k"}}}}});
        trim(&input, &mut out);
        assert_eq!(out, json!({}));
        let input = json!({"UpdateExpression": "SET l[5].x = :v", "ReturnValues": "UPDATED_NEW"});
        let before = json!({"Attributes": {"l": {"L": [{"M": {"x": {"S": "v"}}}]}}});
        let mut out = before.clone();
        trim(&input, &mut out);
        assert_eq!(out, before);
        // Other ReturnValues are never touched.
        let input = json!({"UpdateExpression": "SET p.q = :v", "ReturnValues": "ALL_NEW"});
        let before = json!({"Attributes": {"p": {"M": {"keep": {"S": "k"}}}}});
        let mut out = before.clone();
        trim(&input, &mut out);
        assert_eq!(out, before);
    }

    #[test]
    fn modified_packs_list_elements_densely_in_index_order() {
        // nubo-db/dynamodb-conformance tests/tier2/partiql/executeStatement.test.ts (eu-west-2).
        let paths = vec![
            vec![k("tags"), Elem::Index(2)],
            vec![k("tags"), Elem::Index(0)],
        ];
        let mut out = json!({"Items": [{"tags": {"L": [{"S": "x"}, {"S": "b"}, {"S": "y"}]}}]});
        modified(&paths, &mut out);
        assert_eq!(
            out,
            json!({"Items": [{"tags": {"L": [{"S": "x"}, {"S": "y"}]}}]})
        );
        // A path past the end reaches nothing: no row at all.
        let paths = vec![vec![k("tags"), Elem::Index(5)]];
        let mut out = json!({"Items": [{"tags": {"L": [{"S": "a"}]}}]});
        modified(&paths, &mut out);
        assert_eq!(out, json!({"Items": []}));
        // A nested map path keeps only its leaf; a whole attribute is kept whole.
        let paths = vec![vec![k("p"), k("sub")], vec![k("d")]];
        let mut out = json!({"Items": [{"p": {"M": {"sub": {"S": "n"}, "sib": {"S": "k"}}},
            "d": {"M": {"e": {"S": "f"}}}}]});
        modified(&paths, &mut out);
        assert_eq!(
            out,
            json!({"Items": [{"p": {"M": {"sub": {"S": "n"}}}, "d": {"M": {"e": {"S": "f"}}}}]})
        );
    }
}

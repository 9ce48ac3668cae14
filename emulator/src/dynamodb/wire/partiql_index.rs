//! An index-qualified PartiQL SELECT (`FROM "t"."i"`) whose WHERE names attributes the index
//! does not project, read as AWS reads it (nubo-db/dynamodb-conformance
//! `tests/tier2/partiql/indexQualifier.test.ts`, and for the text
//! `tests/tier3/error-messages/partiqlIndexQualifier.test.ts`, eu-west-2): keyed on the
//! index's partition key (a top-level `=` or `IN` on it, beside the other conditions) the read
//! is refused, with one text for both kinds of index; unkeyed it scans the index, where such an
//! attribute is absent, so its conditions see it missing (`NOT a = 'x'` matches every row).
//! DynamoDB Local evaluates those conditions on the whole item; the proxy refuses the first
//! kind and sends the second with each condition naming such an attribute replaced by the
//! constant (`1 = 1` or `1 = 0`) the condition is on an absent attribute.

use serde_json::Value;

use super::partiql::{is_word, keyword, lex_spans, Tok};

/// What the proxy does with the statement.
#[derive(Debug, PartialEq)]
pub enum Filter {
    /// Nothing the index lacks is named (or the statement is outside these shapes).
    Keep,
    /// AWS's refusal.
    Refuse(String),
    /// The statement to send instead, and the parameters (by position) it no longer takes.
    Rewrite(String, Vec<usize>),
}

/// The index a SELECT reads: its name, its partition key, and whether it holds an attribute.
pub struct Index<'a> {
    pub name: &'a str,
    pub hash: &'a str,
    pub projects: &'a dyn Fn(&str) -> bool,
}

fn name_of(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) if !keyword(w) => Some(w),
        Tok::Quoted(q) => Some(q),
        _ => None,
    }
}

/// The refusal or rewrite of an index-qualified SELECT's WHERE (see the module's comment).
pub fn unprojected_filter(statement: &str, index: &Index) -> Filter {
    let Ok(toks) = lex_spans(statement) else {
        return Filter::Keep;
    };
    let tok = |i: usize| toks.get(i).map(|(t, _)| t);
    if !is_word(tok(0), "select") {
        return Filter::Keep;
    }
    let Some(start) = toks.iter().position(|(t, _)| is_word(Some(t), "where")) else {
        return Filter::Keep;
    };
    let end = toks
        .iter()
        .position(|(t, _)| is_word(Some(t), "order") || *t == Tok::Punct(";"))
        .filter(|&e| e > start)
        .unwrap_or(toks.len());
    // Top-level conjuncts: split at AND outside brackets (a BETWEEN's own AND excepted); an OR
    // at the top makes the read unkeyed.
    let (mut depth, mut between, mut or) = (0usize, false, false);
    let mut conjunct_starts = vec![start + 1];
    let mut names: Vec<(String, usize)> = vec![];
    for (i, (t, _)) in toks.iter().enumerate().take(end).skip(start + 1) {
        match t {
            Tok::Punct("(" | "[" | "{" | "<<") => depth += 1,
            Tok::Punct(")" | "]" | "}" | ">>") => depth = depth.saturating_sub(1),
            Tok::Word(_) if depth == 0 && is_word(Some(t), "between") => between = true,
            Tok::Word(_) if depth == 0 && is_word(Some(t), "and") => {
                if between {
                    between = false;
                } else {
                    conjunct_starts.push(i + 1);
                }
            }
            Tok::Word(_) if depth == 0 && is_word(Some(t), "or") => or = true,
            _ => {}
        }
        // An attribute: a name that is not a path's later step, a function, or a type name.
        let after_dot = i > 0 && tok(i - 1) == Some(&Tok::Punct("."));
        let call = tok(i + 1) == Some(&Tok::Punct("("));
        let type_name = is_word(tok(i - 1), "is")
            || is_word(tok(i - 1), "not") && is_word(tok(i.saturating_sub(2)), "is");
        if let Some(n) = name_of(t).filter(|_| !after_dot && !call && !type_name) {
            names.push((n.to_string(), i));
        }
    }
    let unprojected: Vec<&(String, usize)> =
        names.iter().filter(|(n, _)| !(index.projects)(n)).collect();
    if unprojected.is_empty() {
        return Filter::Keep;
    }
    let keyed = !or
        && conjunct_starts.iter().any(|&c| {
            tok(c).and_then(name_of) == Some(index.hash)
                && (tok(c + 1) == Some(&Tok::Punct("=")) || is_word(tok(c + 1), "in"))
        });
    if keyed {
        let mut listed: Vec<&str> = vec![];
        for (n, _) in &unprojected {
            if !listed.contains(&n.as_str()) {
                listed.push(n);
            }
        }
        return Filter::Refuse(format!(
            "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{}]",
            index.name,
            listed.join(", ")
        ));
    }
    // Unkeyed: each condition naming such an attribute becomes the constant it is where the
    // attribute is absent.
    let Some(conditions) = Conditions::read(&toks, start + 1, end) else {
        return Filter::Keep;
    };
    let chars: Vec<char> = statement.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    let mut dropped = vec![];
    let param = |t: &(Tok, std::ops::Range<usize>)| t.0 == Tok::Punct("?");
    for (from, to) in conditions {
        if !unprojected.iter().any(|(_, i)| (from..to).contains(i)) {
            continue;
        }
        let before = toks[..from].iter().filter(|t| param(t)).count();
        let within = toks[from..to].iter().filter(|t| param(t)).count();
        dropped.extend(before..before + within);
        out.extend(&chars[at..toks[from].1.start]);
        out.push_str(if holds_when_absent(&toks[from..to]) {
            "1 = 1"
        } else {
            "1 = 0"
        });
        at = toks[to - 1].1.end;
    }
    out.extend(&chars[at..]);
    Filter::Rewrite(out, dropped)
}

/// Whether a condition on an absent attribute holds, as DynamoDB evaluates it (checked on
/// DynamoDB Local with a genuinely absent attribute, which AWS's unkeyed index reads match:
/// `NOT a = 'x'` is every row): `IS MISSING`, `IS NOT <anything else>`, `<>` and `!=` hold;
/// comparisons, BETWEEN, IN, functions, `IS <type>`, `IS NULL` do not.
fn holds_when_absent(cond: &[(Tok, std::ops::Range<usize>)]) -> bool {
    let tok = |i: usize| cond.get(i).map(|(t, _)| t);
    if let Some(k) = (0..cond.len()).find(|&k| is_word(tok(k), "is")) {
        let negated = is_word(tok(k + 1), "not");
        let missing = is_word(tok(k + 1 + usize::from(negated)), "missing");
        return missing != negated;
    }
    cond.iter()
        .any(|(t, _)| matches!(t, Tok::Punct("<>" | "!=")))
}

/// The conditions (token ranges) of a WHERE, read through AND, OR, NOT and parentheses.
struct Conditions<'a> {
    toks: &'a [(Tok, std::ops::Range<usize>)],
    i: usize,
    end: usize,
    found: Vec<(usize, usize)>,
}

impl Conditions<'_> {
    /// None when the WHERE does not read through (left unchanged then).
    fn read(
        toks: &[(Tok, std::ops::Range<usize>)],
        start: usize,
        end: usize,
    ) -> Option<Vec<(usize, usize)>> {
        let mut c = Conditions {
            toks,
            i: start,
            end,
            found: vec![],
        };
        c.or();
        (c.i == end).then_some(c.found)
    }

    fn tok(&self) -> Option<&Tok> {
        self.toks[..self.end].get(self.i).map(|(t, _)| t)
    }

    fn or(&mut self) {
        self.and();
        while is_word(self.tok(), "or") {
            self.i += 1;
            self.and();
        }
    }

    fn and(&mut self) {
        self.not();
        while is_word(self.tok(), "and") {
            self.i += 1;
            self.not();
        }
    }

    fn not(&mut self) {
        if is_word(self.tok(), "not") {
            self.i += 1;
            self.not();
        } else if self.tok() == Some(&Tok::Punct("(")) {
            self.i += 1;
            self.or();
            if self.tok() == Some(&Tok::Punct(")")) {
                self.i += 1;
            }
        } else {
            self.condition();
        }
    }

    /// One condition: up to an AND (not a BETWEEN's), an OR or a closing parenthesis outside
    /// its own brackets.
    fn condition(&mut self) {
        let from = self.i;
        let (mut depth, mut between) = (0usize, false);
        while let Some(t) = self.tok() {
            if depth == 0 {
                if is_word(Some(t), "or") || *t == Tok::Punct(")") {
                    break;
                }
                if is_word(Some(t), "and") {
                    if !between {
                        break;
                    }
                    between = false;
                }
                if is_word(Some(t), "between") {
                    between = true;
                }
            }
            match t {
                Tok::Punct("(" | "[" | "{" | "<<") => depth += 1,
                Tok::Punct(")" | "]" | "}" | ">>") => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.i += 1;
        }
        if self.i > from {
            self.found.push((from, self.i));
        }
    }
}

/// The attribute names of a key schema, in its order.
pub fn key_names(schema: &Value) -> Vec<String> {
    schema
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["AttributeName"].as_str().map(str::to_string))
        .collect()
}

/// The strings of a JSON list (a projection's NonKeyAttributes).
pub fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// The rows a SELECT walks, for its capacity (AWS charges rows read, not rows kept by its
/// other conditions: nubo-db/dynamodb-conformance `tests/tier2/partiql/indexQualifier.test.ts`).
#[derive(Debug, PartialEq)]
pub struct Walk {
    /// `SELECT * FROM <the same table or index>` with only the statement's top-level key
    /// conditions (none when an OR is at the top: a scan).
    pub statement: String,
    /// Which of the statement's parameters (by position) the key conditions take.
    pub params: Vec<usize>,
    /// The attributes the SELECT names; None for `*`.
    pub names: Option<Vec<String>>,
}

/// A SELECT's `Walk` given the key attributes of what it reads; None for another statement.
pub fn walk(statement: &str, keys: &[&str]) -> Option<Walk> {
    let toks = lex_spans(statement).ok()?;
    let tok = |i: usize| toks.get(i).map(|(t, _)| t);
    if !is_word(tok(0), "select") {
        return None;
    }
    let from = toks.iter().position(|(t, _)| is_word(Some(t), "from"))?;
    let names = if tok(1) == Some(&Tok::Punct("*")) {
        None
    } else {
        let pairs = toks[..from].windows(2);
        let v = pairs
            .filter(|w| w[0].0 != Tok::Punct("."))
            .filter_map(|w| w[1].0.clone().into_name())
            .collect();
        Some(v)
    };
    let chars: Vec<char> = statement.chars().collect();
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let is_at = |i: usize, w: &str| is_word(tok(i), w);
    let where_at = (from..toks.len()).find(|&i| is_at(i, "where"));
    let end = (from..toks.len())
        .find(|&i| is_at(i, "order") || tok(i) == Some(&Tok::Punct(";")))
        .unwrap_or(toks.len());
    let from_end = where_at.unwrap_or(end);
    let source_end = toks.get(from_end).map_or(chars.len(), |(_, r)| r.start);
    let mut out = format!(
        "SELECT * {}",
        text(toks[from].1.start, source_end).trim_end()
    );
    let mut params = vec![];
    if let Some(w) = where_at {
        let conds = Conditions::read(&toks, w + 1, end)?;
        // Top-level conditions only, all joined by AND.
        let top = |(a, b): &(usize, usize)| {
            let before = a.checked_sub(1).and_then(tok);
            let after = tok(*b);
            (before.is_some_and(|t| is_word(Some(t), "where") || is_word(Some(t), "and")))
                && (after.is_none() || is_word(after, "and") || *b == end)
        };
        let or_at_top = conds.windows(2).any(|w| is_word(tok(w[0].1), "or"));
        let mut kept = vec![];
        for c in conds.iter().filter(|c| !or_at_top && top(c)) {
            let subject = match (tok(c.0), tok(c.0 + 1), tok(c.0 + 2)) {
                (Some(Tok::Word(f)), Some(Tok::Punct("(")), s)
                    if f.eq_ignore_ascii_case("begins_with") =>
                {
                    s
                }
                (s, _, _) => s,
            };
            let subject = subject.and_then(|t| t.clone().into_name());
            if subject.is_some_and(|n| keys.contains(&n.as_str())) {
                kept.push(text(toks[c.0].1.start, toks[c.1 - 1].1.end));
                let before = toks[..c.0]
                    .iter()
                    .filter(|(t, _)| *t == Tok::Punct("?"))
                    .count();
                let within = toks[c.0..c.1]
                    .iter()
                    .filter(|(t, _)| *t == Tok::Punct("?"))
                    .count();
                params.extend(before..before + within);
            }
        }
        if !kept.is_empty() {
            out.push_str(&format!(" WHERE {}", kept.join(" AND ")));
        }
    }
    Some(Walk {
        statement: out,
        params,
        names,
    })
}

impl Tok {
    fn into_name(self) -> Option<String> {
        name_of(&self).map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(statement: &str, lsi: bool) -> Filter {
        let projects = |n: &str| ["pk", "sk", "gsiPk2", "lsiSk2", "projattr"].contains(&n);
        let index = Index {
            name: if lsi { "lsi-keys" } else { "gsi-inc" },
            hash: if lsi { "pk" } else { "gsiPk2" },
            projects: &projects,
        };
        unprojected_filter(statement, &index)
    }

    fn refused(index: &str) -> Filter {
        Filter::Refuse(format!("One or more parameter values were invalid: Secondary index {index} does not project one or more filter attributes: [nonproj]"))
    }

    #[test]
    fn a_keyed_read_naming_an_unprojected_attribute_is_refused() {
        for s in [
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND nonproj = 'np1'"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND nonproj IS MISSING"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND nonproj IS NOT MISSING"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND begins_with(nonproj, 'np')"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND NOT nonproj = 'np1'"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 IN ['y', 'z'] AND "nonproj" = 'np1'"#,
        ] {
            assert_eq!(check(s, false), refused("gsi-inc"), "{s}");
        }
        let s = r#"SELECT pk FROM "T"."lsi-keys" WHERE pk = 'p' AND lsiSk2 BETWEEN 'k1' AND 'k4' AND nonproj = 'np1'"#;
        assert_eq!(check(s, true), refused("lsi-keys"));
    }

    #[test]
    fn an_unkeyed_read_sees_the_attribute_missing() {
        assert_eq!(
            check(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE NOT nonproj = 'np1'"#,
                false
            ),
            Filter::Rewrite(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE NOT 1 = 0"#.into(),
                vec![]
            )
        );
        assert_eq!(
            check(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE (gsiPk2 = ? AND nonproj.a = ?) OR (gsiPk2 = 'y2')"#,
                false
            ),
            Filter::Rewrite(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE (gsiPk2 = ? AND 1 = 0) OR (gsiPk2 = 'y2')"#
                    .into(),
                vec![1]
            )
        );
        assert_eq!(
            check(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE nonproj <> 'a' AND nonproj BETWEEN 'a' AND 'b' AND nonproj IS NOT NULL AND projattr = 'p'"#,
                false
            ),
            Filter::Rewrite(
                r#"SELECT pk FROM "T"."gsi-inc" WHERE 1 = 1 AND 1 = 0 AND 1 = 1 AND projattr = 'p'"#
                    .into(),
                vec![]
            )
        );
        // Projected attributes, functions and type names are not attributes it lacks.
        for s in [
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND projattr IS NOT MISSING"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND projattr IS STRING"#,
            r#"SELECT pk FROM "T"."gsi-inc" WHERE gsiPk2 = 'y' AND begins_with(projattr, 'p')"#,
            r#"SELECT nonproj FROM "T"."gsi-inc" WHERE gsiPk2 = 'y'"#,
            r#"SELECT pk FROM "T"."gsi-inc""#,
        ] {
            assert_eq!(check(s, false), Filter::Keep, "{s}");
        }
    }

    #[test]
    fn a_walk_keeps_the_key_conditions_only() {
        let w = walk(
            r#"SELECT nonproj, "a".b FROM "T"."lsi" WHERE pk = ? AND projattr = ? AND l BETWEEN ? AND 'z'"#,
            &["pk", "l"],
        )
        .unwrap();
        assert_eq!(
            w,
            Walk {
                statement: r#"SELECT * FROM "T"."lsi" WHERE pk = ? AND l BETWEEN ? AND 'z'"#.into(),
                params: vec![0, 2],
                names: Some(vec!["nonproj".into(), "a".into()]),
            }
        );
        let w = walk(r#"SELECT * FROM "T" WHERE pk = 'a' OR pk = 'b'"#, &["pk"]).unwrap();
        assert_eq!(w.statement, r#"SELECT * FROM "T""#);
        assert_eq!(w.names, None);
    }
}

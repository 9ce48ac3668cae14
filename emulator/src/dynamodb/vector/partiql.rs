//! Just enough PartiQL to tell which item a write statement names: DynamoDB's INSERT, UPDATE
//! and DELETE each touch one item given by its whole primary key (in the VALUE tuple, or as
//! `name = value` conditions joined by AND in the WHERE clause).

use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    /// A `?` and its position among the statement's parameters.
    Param(usize),
    Punct(char),
}

fn tokens(stmt: &str) -> Option<Vec<Tok>> {
    let mut out = vec![];
    let mut params = 0;
    let mut it = stmt.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '\'' | '"' => {
                it.next();
                let mut s = String::new();
                loop {
                    match it.next()? {
                        q if q == c && it.peek() == Some(&c) => {
                            it.next();
                            s.push(c);
                        }
                        q if q == c => break,
                        x => s.push(x),
                    }
                }
                out.push(if c == '\'' { Tok::Str(s) } else { Tok::Word(s) });
            }
            '?' => {
                it.next();
                out.push(Tok::Param(params));
                params += 1;
            }
            c if c.is_ascii_digit() || c == '-' || c == '.' => {
                let mut s = String::new();
                while let Some(&d) = it.peek() {
                    let exp_sign = matches!(d, '+' | '-') && s.ends_with(['e', 'E']);
                    if d.is_ascii_alphanumeric()
                        || d == '.'
                        || exp_sign
                        || (d == '-' && s.is_empty())
                    {
                        s.push(d);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Num(s));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut s = String::new();
                while let Some(&d) = it.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        s.push(d);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(s));
            }
            _ => {
                it.next();
                out.push(Tok::Punct(c));
            }
        }
    }
    Some(out)
}

fn is_word(t: &Tok, w: &str) -> bool {
    matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w))
}

/// A scalar literal or parameter as an attribute value (None for anything else).
fn value(t: &Tok, params: &[Value]) -> Option<Value> {
    match t {
        Tok::Str(s) => Some(json!({"S": s})),
        Tok::Num(n) => Some(json!({"N": n})),
        Tok::Param(i) => params.get(*i).cloned(),
        _ => None,
    }
}

/// The top-level `name = value` pairs a write statement names its item by: the VALUE tuple of
/// an INSERT, or the WHERE clause of an UPDATE or DELETE when it is only equalities joined
/// by AND. None when the statement is anything else.
pub fn key_values(stmt: &str, params: &[Value]) -> Option<Value> {
    let toks = tokens(stmt)?;
    let first = toks.first()?;
    let mut out = Map::new();
    if is_word(first, "INSERT") {
        let at = toks.iter().position(|t| is_word(t, "VALUE"))?;
        if toks.get(at + 1) != Some(&Tok::Punct('{')) {
            return None;
        }
        let mut depth = 0;
        let mut i = at + 1;
        while i < toks.len() {
            match &toks[i] {
                Tok::Punct('{' | '[' | '<') => depth += 1,
                Tok::Punct('}' | ']' | '>') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Str(name) if depth == 1 && toks.get(i + 1) == Some(&Tok::Punct(':')) => {
                    if let Some(v) = toks.get(i + 2).and_then(|t| value(t, params)) {
                        out.insert(name.clone(), v);
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    } else if is_word(first, "UPDATE") || is_word(first, "DELETE") {
        let at = toks.iter().position(|t| is_word(t, "WHERE"))?;
        let mut rest = &toks[at + 1..];
        loop {
            let [Tok::Word(name), Tok::Punct('='), v, tail @ ..] = rest else {
                return None;
            };
            out.insert(name.clone(), value(v, params)?);
            match tail.first() {
                None => break,
                Some(t) if is_word(t, "RETURNING") => break,
                Some(t) if is_word(t, "AND") => rest = &tail[1..],
                _ => return None,
            }
        }
    } else {
        return None;
    }
    Some(Value::Object(out))
}

/// Every `name = value` pair of a statement's WHERE clause, whatever else the clause holds
/// (a transaction's statement names its item by the whole key among its conditions).
pub fn where_equalities(stmt: &str, params: &[Value]) -> Option<Value> {
    let toks = tokens(stmt)?;
    let at = toks.iter().position(|t| is_word(t, "WHERE"))?;
    let mut out = Map::new();
    for w in toks[at + 1..].windows(3) {
        if let [Tok::Word(name), Tok::Punct('='), v] = w {
            if let Some(v) = value(v, params) {
                out.entry(name.clone()).or_insert(v);
            }
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_updates_and_deletes_name_their_item() {
        assert_eq!(
            key_values(
                "INSERT INTO \"T\" VALUE {'pk': 'a''b', 'sk': 5, 'v': [1, ?], 'm': {'x': ?}}",
                &[json!({"N": "9"}), json!({"S": "y"})]
            ),
            Some(json!({"pk": {"S": "a'b"}, "sk": {"N": "5"}}))
        );
        assert_eq!(
            key_values(
                "update T set x = ? where \"pk\" = ? and sk = -1.5e3 RETURNING ALL NEW *",
                &[json!({"N": "1"}), json!({"S": "k"})]
            ),
            Some(json!({"pk": {"S": "k"}, "sk": {"N": "-1.5e3"}}))
        );
        assert_eq!(
            key_values("DELETE FROM T WHERE pk = 'a'", &[]),
            Some(json!({"pk": {"S": "a"}}))
        );
        assert_eq!(
            key_values("DELETE FROM T WHERE pk = 'a' OR pk = 'b'", &[]),
            None
        );
        assert_eq!(key_values("DELETE FROM T WHERE pk > 'a'", &[]), None);
        assert_eq!(key_values("SELECT * FROM T WHERE pk = 'a'", &[]), None);
        assert_eq!(key_values("DELETE FROM T WHERE pk = 'a", &[]), None);
        assert_eq!(
            where_equalities(
                "EXISTS(SELECT * FROM \"T\" WHERE pk = ? AND qty >= 3 AND sk = 2)",
                &[json!({"S": "k"})]
            ),
            Some(json!({"pk": {"S": "k"}, "sk": {"N": "2"}}))
        );
    }
}

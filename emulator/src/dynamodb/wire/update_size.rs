//! UpdateItem's second size limit: besides the finished item (which DynamoDB Local checks),
//! AWS charges the statement itself and refuses it over 409,600 bytes, before it evaluates the
//! ConditionExpression. Recorded against AWS in paritysuite/dynamodb-conformance
//! (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/limits/itemSizeBySurface.test.ts,
//! eu-west-2, 2026-08 and 2026-10; ten regions size only the finished item):
//!
//! - 3 for the update, plus per clause:
//! - `SET target = operand`: 19, the target, the operand; `ADD target :v`: 19, the target, the
//!   value; `REMOVE target` and `DELETE target :v`: 1 and the target;
//! - a target costs its first name, plus 4 and the element for each later element (a name's
//!   bytes, a list index's digits);
//! - an operand: a value its size (at every use), a path 1 plus 14 and the element for each
//!   element, `x + y` 34, `x - y` 37, `if_not_exists(p, v)` 39 and `list_append(x, y)` 37, each
//!   plus its operands.
//!
//! An ADD to a set is charged for its whole value (AWS charges only the members it adds, which
//! needs the stored item). An expression this reader cannot follow is left to DynamoDB Local.

use serde_json::Value;

use super::updated::{tokens, Tok};

const MAX_ITEM_BYTES: u64 = 409_600;
pub const TOO_LARGE: &str = "Item size to update has exceeded the maximum allowed size";
/// Parentheses and function calls nest this deep at most here (AWS's own limits are lower);
/// deeper expressions are left to DynamoDB Local.
const MAX_DEPTH: usize = 64;

/// True when the UpdateExpression's charge is over the limit.
pub fn over_limit(input: &Value) -> bool {
    let Some(expr) = input.get("UpdateExpression").and_then(Value::as_str) else {
        return false;
    };
    let mut r = Reader {
        toks: tokens(expr),
        at: 0,
        names: &input["ExpressionAttributeNames"],
        values: &input["ExpressionAttributeValues"],
    };
    r.update().is_some_and(|c| c > MAX_ITEM_BYTES)
}

struct Reader<'a> {
    toks: Vec<Tok>,
    at: usize,
    names: &'a Value,
    values: &'a Value,
}

fn section(w: &str) -> Option<&'static str> {
    ["SET", "REMOVE", "ADD", "DELETE"]
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(w))
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn punct(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(&Tok::Punct(c));
        if hit {
            self.at += 1;
        }
        hit
    }

    fn word(&mut self) -> Option<String> {
        match self.peek()? {
            Tok::Word(w) => {
                let w = w.clone();
                self.at += 1;
                Some(w)
            }
            Tok::Punct(_) => None,
        }
    }

    /// The whole expression's charge.
    fn update(&mut self) -> Option<u64> {
        let mut total = 3;
        while self.peek().is_some() {
            let kind = section(&self.word()?)?;
            loop {
                total += match kind {
                    "SET" => {
                        let target = self.path()?;
                        if !self.punct('=') {
                            return None;
                        }
                        19 + target_cost(&target) + self.operand_expr(0)?
                    }
                    "ADD" => {
                        let target = self.path()?;
                        19 + target_cost(&target) + self.value()?
                    }
                    "REMOVE" => 1 + target_cost(&self.path()?),
                    _ => {
                        let target = self.path()?;
                        self.value()?;
                        1 + target_cost(&target)
                    }
                };
                if !self.punct(',') {
                    break;
                }
            }
        }
        Some(total)
    }

    /// A document path's elements' bytes (names resolved, a list index its digits).
    fn path(&mut self) -> Option<Vec<u64>> {
        let first = self.name()?;
        let mut elems = vec![first];
        loop {
            if self.punct('.') {
                elems.push(self.name()?);
            } else if self.punct('[') {
                let digits = self.word()?;
                if !digits.bytes().all(|b| b.is_ascii_digit()) || !self.punct(']') {
                    return None;
                }
                elems.push(digits.trim_start_matches('0').len().max(1) as u64);
            } else {
                return Some(elems);
            }
        }
    }

    fn name(&mut self) -> Option<u64> {
        let w = self.word()?;
        if w.starts_with(':') {
            return None;
        }
        if w.starts_with('#') {
            return self.names.get(&w)?.as_str().map(|n| n.len() as u64);
        }
        Some(w.len() as u64)
    }

    fn value(&mut self) -> Option<u64> {
        let w = self.word()?;
        if !w.starts_with(':') {
            return None;
        }
        value_size(self.values.get(&w)?)
    }

    /// `operand`, or `operand + operand` / `operand - operand`.
    fn operand_expr(&mut self, depth: usize) -> Option<u64> {
        let left = self.operand(depth)?;
        if self.punct('+') {
            return Some(34 + left + self.operand(depth)?);
        }
        if self.punct('-') {
            return Some(37 + left + self.operand(depth)?);
        }
        Some(left)
    }

    fn operand(&mut self, depth: usize) -> Option<u64> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            Tok::Word(w) if w.starts_with(':') => self.value(),
            Tok::Word(w) if self.toks.get(self.at + 1) == Some(&Tok::Punct('(')) => {
                let base = match w.to_ascii_lowercase().as_str() {
                    "if_not_exists" => 39,
                    "list_append" => 37,
                    _ => return None,
                };
                self.at += 2;
                let mut total = base + self.operand_expr(depth + 1)?;
                while self.punct(',') {
                    total += self.operand_expr(depth + 1)?;
                }
                self.punct(')').then_some(total)
            }
            Tok::Word(_) => {
                let p = self.path()?;
                Some(1 + p.iter().map(|e| 14 + e).sum::<u64>())
            }
            Tok::Punct('(') => {
                self.at += 1;
                let inner = self.operand_expr(depth + 1)?;
                self.punct(')').then_some(inner)
            }
            Tok::Punct(_) => None,
        }
    }
}

fn target_cost(elems: &[u64]) -> u64 {
    elems.first().copied().unwrap_or(0) + elems.iter().skip(1).map(|e| 4 + e).sum::<u64>()
}

/// An attribute value's size: strings and binaries their bytes, numbers by their significant
/// digits, sets their members, documents 3 plus 1 and the element (and a map's key) each.
fn value_size(v: &Value) -> Option<u64> {
    let (t, x) = v.as_object()?.iter().next()?;
    let members =
        |f: &dyn Fn(&Value) -> Option<u64>| -> Option<u64> { x.as_array()?.iter().map(f).sum() };
    match t.as_str() {
        "S" => x.as_str().map(|s| s.len() as u64),
        "N" => number_size(x.as_str()?),
        "B" => x.as_str().map(decoded_len),
        "BOOL" | "NULL" => Some(1),
        "SS" => members(&|m| m.as_str().map(|s| s.len() as u64)),
        "NS" => members(&|m| number_size(m.as_str()?)),
        "BS" => members(&|m| m.as_str().map(decoded_len)),
        // Values nest 32 levels at most (checked before this, `validate`).
        "L" => Some(3 + members(&|e| value_size(e).map(|s| 1 + s))?),
        "M" => {
            let m = x.as_object()?;
            let inner: Option<u64> = m
                .iter()
                .map(|(k, e)| value_size(e).map(|s| 1 + k.len() as u64 + s))
                .sum();
            Some(3 + inner?)
        }
        _ => None,
    }
}

fn decoded_len(b64: &str) -> u64 {
    let body = b64.trim_end_matches('=');
    (body.len() * 3 / 4) as u64
}

/// A number's size as AWS measures it (paritysuite/dynamodb-conformance
/// `tests/tier3/limits/numberByteSize.test.ts`): 1, plus half the significant digits before
/// the point rounded up, plus half those after it rounded up, plus 1 when negative.
fn number_size(n: &str) -> Option<u64> {
    let negative = n.starts_with('-');
    let body = n.strip_prefix(['-', '+']).unwrap_or(n);
    let (mantissa, exp) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let first = digits.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some(1);
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first) as i128 + 1;
    let first = first as i128;
    let point = int.len() as i128 + i128::from(exp);
    let before = (last.min(point) - first).max(0);
    let after = (last - first.max(point)).max(0);
    let half = |d: i128| u64::try_from((d + 1) / 2).unwrap_or(u64::MAX);
    Some(1 + half(before) + half(after) + u64::from(negative))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn charge(expr: &str, values: Value, names: Value) -> Option<u64> {
        Reader {
            toks: tokens(expr),
            at: 0,
            names: &names,
            values: &values,
        }
        .update()
    }

    #[test]
    fn numbers_by_significant_digits_either_side_of_the_point() {
        for (n, size) in [
            ("3.14159", 5),
            ("123456", 4),
            ("1E125", 2),
            ("1", 2),
            ("-1", 3),
            ("0042.1200", 3),
            ("0.5", 2),
        ] {
            assert_eq!(number_size(n), Some(size), "{n}");
        }
    }

    #[test]
    fn clauses_as_aws_charges_them() {
        let pad = |n: usize| json!({":pad": {"S": "x".repeat(n)}});
        // One SET: 3 + 19 + 1 + the value.
        assert_eq!(charge("SET b = :pad", pad(10), json!({})), Some(33));
        assert_eq!(
            charge(
                "SET #twelvechars = :pad",
                pad(10),
                json!({"#twelvechars": "b"})
            ),
            Some(33)
        );
        let v = |extra: Value| {
            let mut v = pad(10);
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        let base = 33;
        // A path operand: 1 + 14 + name.
        assert_eq!(
            charge("SET b = :pad, c = m.a.z", pad(10), json!({})),
            Some(base + 19 + 1 + (1 + 15 + 15 + 15))
        );
        assert_eq!(
            charge("SET b = :pad, c = l[10]", pad(10), json!({})),
            Some(base + 19 + 1 + (1 + 15 + 16))
        );
        assert_eq!(
            charge(
                "SET b = :pad, l = list_append(l, :new)",
                v(json!({":new": {"L": [{"S": "yyyyyyyyyy"}]}})),
                json!({})
            ),
            Some(base + 19 + 1 + 37 + 16 + (3 + 1 + 10))
        );
        assert_eq!(
            charge(
                "SET b = :pad, n = n + :one",
                v(json!({":one": {"N": "1"}})),
                json!({})
            ),
            Some(base + 19 + 1 + 34 + 16 + 2)
        );
        assert_eq!(
            charge(
                "SET b = :pad, n = n - :one",
                v(json!({":one": {"N": "1"}})),
                json!({})
            ),
            Some(base + 19 + 1 + 37 + 16 + 2)
        );
        assert_eq!(
            charge(
                "SET b = :pad, c = if_not_exists(c, :m)",
                v(json!({":m": {"M": {"a": {"S": "y"}}}})),
                json!({})
            ),
            Some(base + 19 + 1 + 39 + 16 + (3 + 1 + 1 + 1))
        );
        assert_eq!(
            charge(
                "SET b = :pad ADD abcdefghij :one",
                v(json!({":one": {"N": "1"}})),
                json!({})
            ),
            Some(base + 19 + 10 + 2)
        );
        assert_eq!(
            charge(
                "SET b = :pad REMOVE m.yyyyyyyyyy, l[10]",
                pad(10),
                json!({})
            ),
            Some(base + (1 + 1 + 4 + 10) + (1 + 1 + 4 + 2))
        );
        assert_eq!(
            charge(
                "SET b = :pad DELETE ss :rm",
                v(json!({":rm": {"SS": ["q"]}})),
                json!({})
            ),
            Some(base + 1 + 2)
        );
        // A nested target: the same as writing the whole map.
        assert_eq!(
            charge("SET d.#leaf = :pad", pad(10), json!({"#leaf": "leaf"})),
            charge(
                "SET d = :whole",
                json!({":whole": {"M": {"leaf": {"S": "x".repeat(10)}}}}),
                json!({})
            )
        );
        // What this reader cannot follow is left alone.
        assert_eq!(charge("SET b = :missing", pad(1), json!({})), None);
        assert_eq!(charge("SET b = size(c)", pad(1), json!({})), None);
        let deep = format!("SET b = {}:pad{}", "(".repeat(200), ")".repeat(200));
        assert_eq!(charge(&deep, pad(1), json!({})), None);
    }

    #[test]
    fn over_the_limit_only_past_409600() {
        let input = |n: usize| {
            json!({"UpdateExpression": "SET b = :pad",
                "ExpressionAttributeValues": {":pad": {"S": "x".repeat(n)}}})
        };
        assert!(!over_limit(&input(409_600 - 23)));
        assert!(over_limit(&input(409_600 - 22)));
        assert!(!over_limit(&json!({"AttributeUpdates": {}})));
    }
}

//! Attribute values AWS refuses before it looks at the table: malformed numbers and sets with a
//! repeated member, worded by the layer the operation runs. Recorded against AWS (eu-west-2,
//! us-east-1, eu-west-1, us-west-2, 2026-10):
//! https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/error-messages/valueLayers.test.ts
//!
//! - `Enveloped`: PutItem, UpdateItem, DeleteItem, inside `1 validation error detected: `
//!   wherever the value sits (item, key, expression value, AttributeUpdates, Expected);
//! - `Bare`: GetItem, BatchGetItem, Query, the same texts without the envelope;
//! - `Older`: BatchWriteItem, TransactWriteItems, TransactGetItems, Scan: numbers read as
//!   Java's `BigDecimal` reads them, sets printed as sent, an expression value's text inside
//!   `ExpressionAttributeValues contains invalid value: <text> for key <:k>`. (eu-west-2 runs
//!   the current layer on transactions; the other three regions this one.)
//!
//! DynamoDB Local answers `A value provided cannot be converted into a number`, its own set
//! texts, and checks some values only after the table.

use serde_json::Value;

const ENVELOPE: &str = "1 validation error detected: ";
const UNCONVERTIBLE: &str = "The parameter cannot be converted to a numeric value";
const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const DIGITS: &str = "Attempting to store more than 38 significant digits in a Number";
const INVALID: &str = "One or more parameter values were invalid: ";

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Layer {
    Enveloped,
    Bare,
    Older,
}

/// The layer that checks `op`'s attribute values; None for operations without them (PartiQL
/// reads its parameters its own way, `partiql`).
pub fn layer(op: &str) -> Option<Layer> {
    match op {
        "PutItem" | "UpdateItem" | "DeleteItem" => Some(Layer::Enveloped),
        "GetItem" | "BatchGetItem" | "Query" => Some(Layer::Bare),
        "BatchWriteItem" | "TransactWriteItems" | "TransactGetItems" | "Scan" => Some(Layer::Older),
        _ => None,
    }
}

/// The first refused value of the request, in document order, as AWS words it.
pub fn request_error(layer: Layer, input: &Value) -> Option<String> {
    let m = request(layer, input)?;
    Some(match layer {
        Layer::Enveloped => format!("{ENVELOPE}{m}"),
        _ => m,
    })
}

/// A request (or a transaction's action): its ExpressionAttributeValues by key, the rest by
/// walking. Bounded by the body reader's depth limit (`body`).
fn request(layer: Layer, input: &Value) -> Option<String> {
    input
        .as_object()?
        .iter()
        .find_map(|(k, c)| match k.as_str() {
            "ExpressionAttributeValues" => c.as_object()?.iter().find_map(|(key, v)| {
                let m = walk(layer, v)?;
                Some(match layer {
                    Layer::Older => {
                        format!(
                            "ExpressionAttributeValues contains invalid value: {m} for key {key}"
                        )
                    }
                    _ => m,
                })
            }),
            "TransactItems" => c
                .as_array()?
                .iter()
                .filter_map(Value::as_object)
                .find_map(|t| t.values().find_map(|action| request(layer, action))),
            _ => walk(layer, c),
        })
}

/// Numbers and sets anywhere under `v`: only attribute values hold `N` as a string or `NS`,
/// `SS`, `BS` as an array.
fn walk(layer: Layer, v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o.iter().find_map(|(k, c)| match (k.as_str(), c) {
            ("N", Value::String(n)) => number(layer, n),
            ("NS", Value::Array(ns)) => {
                let ns: Vec<&str> = ns.iter().filter_map(Value::as_str).collect();
                ns.iter()
                    .find_map(|n| number(layer, n))
                    .or_else(|| duplicate_numbers(layer, &ns))
            }
            ("SS", Value::Array(ss)) => {
                let ss: Vec<&str> = ss.iter().filter_map(Value::as_str).collect();
                duplicate_members(layer, &ss, false)
            }
            ("BS", Value::Array(bs)) => {
                let bs: Vec<&str> = bs.iter().filter_map(Value::as_str).collect();
                duplicate_members(layer, &bs, true)
            }
            _ => walk(layer, c),
        }),
        Value::Array(a) => a.iter().find_map(|c| walk(layer, c)),
        _ => None,
    }
}

/// A number as written: sign, digits with at most one point (at least one digit), then an
/// optional exponent (`e`/`E`, optional sign, digits).
struct Num<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    /// The exponent's text, with its sign ("" when there is none).
    exp: &'a str,
}

impl<'a> Num<'a> {
    fn read(n: &'a str) -> Option<Self> {
        let negative = n.starts_with('-');
        let body = n.strip_prefix(['-', '+']).unwrap_or(n);
        let (mantissa, exp) = match body.split_once(['e', 'E']) {
            Some((m, e)) => {
                let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (m, e)
            }
            None => (body, ""),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        Some(Num {
            negative,
            int,
            frac,
            exp,
        })
    }

    /// The exponent, None past a 64-bit integer.
    fn exponent(&self) -> Option<i64> {
        if self.exp.is_empty() {
            return Some(0);
        }
        self.exp.parse().ok()
    }

    /// The digits without leading and trailing zeros ("" for zero), and the decimal exponent
    /// of the leading one.
    fn significant(&self, exp: i64) -> (String, i128) {
        let all: String = self.int.chars().chain(self.frac.chars()).collect();
        let lead = all.trim_start_matches('0');
        let magnitude = i128::from(exp) - self.frac.len() as i128 + lead.len() as i128 - 1;
        (lead.trim_end_matches('0').to_string(), magnitude)
    }
}

/// The range and precision checks both layers make on a readable number.
fn range(d: &Num, exp: i64) -> Option<String> {
    let (sig, magnitude) = d.significant(exp);
    if sig.is_empty() {
        // Zero keeps the exponent it is written with (less its fraction digits).
        let adjusted = i128::from(exp) - d.frac.len() as i128;
        return match adjusted {
            a if a > 125 => Some(OVERFLOW.into()),
            a if a < -130 => Some(UNDERFLOW.into()),
            _ => None,
        };
    }
    if magnitude > 125 {
        return Some(OVERFLOW.into());
    }
    if magnitude < -130 {
        return Some(UNDERFLOW.into());
    }
    (sig.len() > 38).then(|| DIGITS.into())
}

fn number(layer: Layer, n: &str) -> Option<String> {
    if layer == Layer::Older {
        // BigDecimal cannot read an exponent past a 32-bit integer, and wraps the largest.
        if let Some(m) = super::partiql::parameter_number(n) {
            return Some(m);
        }
    }
    let unconvertible = || Some(format!("{UNCONVERTIBLE}: {n}"));
    let Some(d) = Num::read(n) else {
        return unconvertible();
    };
    let Some(exp) = d.exponent() else {
        return unconvertible();
    };
    range(&d, exp)
}

/// A number set with two members of the same value (`1` and `1.0` are one number).
fn duplicate_numbers(layer: Layer, ns: &[&str]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    let repeated = ns.iter().any(|n| {
        let Some(d) = Num::read(n) else { return false };
        let exp = d.exponent().unwrap_or(0);
        let (sig, magnitude) = d.significant(exp);
        let canonical = if sig.is_empty() {
            (false, sig, 0)
        } else {
            (d.negative, sig, magnitude)
        };
        !seen.insert(canonical)
    });
    repeated.then(|| match layer {
        Layer::Older => "Input collection contains duplicates".to_string(),
        _ => format!("{INVALID}Input collection contains duplicates."),
    })
}

/// A string or binary set with a repeated member. The current layers quote the members, in
/// byte order up to the first repeat, then the repeat, then the rest as sent; the older one
/// prints them as sent. Binary members are compared by their bytes.
fn duplicate_members(layer: Layer, members: &[&str], binary: bool) -> Option<String> {
    use base64::Engine;
    let bytes = |m: &str| -> Vec<u8> {
        if binary {
            if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(m) {
                return b;
            }
        }
        m.as_bytes().to_vec()
    };
    let mut sorted: std::collections::BTreeMap<Vec<u8>, &str> = Default::default();
    let first_repeat = members.iter().position(|m| {
        let b = bytes(m);
        if sorted.contains_key(&b) {
            return true;
        }
        sorted.insert(b, m);
        false
    })?;
    let (listed, sep) = match layer {
        Layer::Older => (members.iter().map(|m| m.to_string()).collect(), ", "),
        _ => {
            let quoted = sorted
                .values()
                .chain(&members[first_repeat..])
                .map(|m| format!("\"{m}\""))
                .collect::<Vec<_>>();
            (quoted, if binary { "," } else { ", " })
        }
    };
    let list: Vec<String> = listed;
    let kind = if binary { "of type BS " } else { " " };
    Some(format!(
        "{INVALID}Input collection [{}]{kind}contains duplicates.",
        list.join(sep)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(op: &str, input: Value) -> Option<String> {
        request_error(layer(op).unwrap(), &input)
    }

    #[test]
    fn numbers_by_layer() {
        let put = |n: &str| {
            err(
                "PutItem",
                json!({"Item": {"pk": {"S": "k"}, "n": {"N": n}}}),
            )
        };
        let batch = |n: &str| {
            err(
                "BatchWriteItem",
                json!({"RequestItems": {"t": [{"PutRequest": {"Item": {"n": {"N": n}}}}]}}),
            )
        };
        let env = |m: &str| Some(format!("{ENVELOPE}{m}"));
        for (n, want) in [
            ("1e99999999999", OVERFLOW),
            ("-1e99999999999", OVERFLOW),
            ("1e-99999999999", UNDERFLOW),
            ("1e2147483647", OVERFLOW),
            ("1e-2147483648", UNDERFLOW),
            ("1e126", OVERFLOW),
            ("1e-131", UNDERFLOW),
            ("0e126", OVERFLOW),
            ("0e-131", UNDERFLOW),
            ("1234567890123456789012345678901234567890", DIGITS),
        ] {
            assert_eq!(put(n), env(want), "{n}");
        }
        for n in [
            "abc", "", " 1", "1 ", "0x10", "1e", "NaN", "Infinity", "1.2.3",
        ] {
            assert_eq!(put(n), env(&format!("{UNCONVERTIBLE}: {n}")), "{n}");
        }
        for fine in ["1", "-1.5", "0e125", "1e-130", "9.99e125", ".5", "5.", "+3"] {
            assert_eq!(put(fine), None, "{fine}");
        }
        assert_eq!(batch("1e2147483647").as_deref(), Some(UNDERFLOW));
        assert_eq!(batch("").as_deref(), Some(UNCONVERTIBLE));
        assert_eq!(batch("1e126").as_deref(), Some(OVERFLOW));
        let get = err("GetItem", json!({"Key": {"pk": {"N": "abc"}}}));
        assert_eq!(get, Some(format!("{UNCONVERTIBLE}: abc")));
        let twi = err(
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": {"Key": {"pk": {"S": "k"}},
                "ExpressionAttributeValues": {":v": {"N": ""}}}}]}),
        );
        assert_eq!(
            twi.as_deref(),
            Some("ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value for key :v")
        );
    }

    #[test]
    fn duplicate_members_by_layer() {
        let sets = [
            json!({"SS": ["b", "a", "b"]}),
            json!({"BS": ["/w==", "AA==", "AA=="]}),
            json!({"NS": ["2", "1", "2.0"]}),
        ];
        let get: Vec<_> = sets
            .iter()
            .map(|s| err("GetItem", json!({"Key": {"pk": s}})).unwrap())
            .collect();
        assert_eq!(
            get,
            [
                format!("{INVALID}Input collection [\"a\", \"b\", \"b\"] contains duplicates."),
                format!(
                    "{INVALID}Input collection [\"AA==\",\"/w==\",\"AA==\"]of type BS contains duplicates."
                ),
                format!("{INVALID}Input collection contains duplicates."),
            ]
        );
        let older: Vec<_> = sets
            .iter()
            .map(|s| {
                err(
                    "TransactGetItems",
                    json!({"TransactItems": [{"Get": {"Key": {"pk": s}}}]}),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(
            older,
            [
                format!("{INVALID}Input collection [b, a, b] contains duplicates."),
                format!(
                    "{INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates."
                ),
                "Input collection contains duplicates".to_string(),
            ]
        );
        assert_eq!(
            err(
                "UpdateItem",
                json!({"ExpressionAttributeValues": {":t": {"SS": ["x", "x"]}}})
            ),
            Some(format!(
                "{ENVELOPE}{INVALID}Input collection [\"x\", \"x\"] contains duplicates."
            ))
        );
        assert_eq!(
            err(
                "PutItem",
                json!({"Item": {"s": {"SS": ["a", "b"]}, "n": {"NS": ["1", "10", "1e1x"]}}})
            ),
            Some(format!("{ENVELOPE}{UNCONVERTIBLE}: 1e1x"))
        );
        assert_eq!(
            err(
                "PutItem",
                json!({"Item": {"n": {"NS": ["1", "-1", "0", "-0.0"]}}})
            ),
            Some(format!(
                "{ENVELOPE}{INVALID}Input collection contains duplicates."
            ))
        );
        assert_eq!(
            err(
                "PutItem",
                json!({"Item": {"n": {"NS": ["1", "-1", "0", "10"]}}})
            ),
            None
        );
    }
}

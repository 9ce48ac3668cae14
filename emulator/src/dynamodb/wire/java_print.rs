//! Request values as AWS's Java service prints them when it echoes one in a validation
//! message: `HashMap`s in Java's iteration order, lists as `[a, b]`, and its model objects in
//! their generated `toString` form (field names as AWS printed them, e.g. `iNT`, `nULL`), and
//! floats as `Float.toString` writes them.

use serde_json::{Map, Value};

/// `String.hashCode()`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The table a `HashMap` of `n` entries, filled one by one from the default 16, ends with.
pub fn java_capacity(n: usize) -> usize {
    let mut cap = 16;
    while n * 4 > cap * 3 {
        cap *= 2;
    }
    cap
}

/// The bucket `HashMap` puts a key in; iteration runs through buckets in order.
pub fn java_bucket(s: &str, cap: usize) -> usize {
    let h = java_hash(s) as u32;
    ((h ^ (h >> 16)) as usize) & (cap - 1)
}

/// The keys of a map in the order a `HashMap` filled with them iterates.
fn java_order(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let cap = java_capacity(map.len());
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(k, _)| java_bucket(k, cap));
    entries
}

fn java_map(map: &Map<String, Value>, value: impl Fn(&Value) -> String) -> String {
    let parts: Vec<String> = java_order(map)
        .into_iter()
        .map(|(k, v)| format!("{k}={}", value(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn java_list<'a>(
    items: impl Iterator<Item = &'a Value>,
    value: impl Fn(&Value) -> String,
) -> String {
    let parts: Vec<String> = items.map(value).collect();
    format!("[{}]", parts.join(", "))
}

fn bytes(v: &Value) -> String {
    // A ByteBuffer's own toString (the decoded length; AWS's echo of binaries is not recorded).
    let n = v
        .as_str()
        .map_or(0, |s| s.trim_end_matches('=').len() * 3 / 4);
    format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]")
}

/// One AttributeValue, every field named, the unset ones `null` (recorded: the `s=` form in
/// nubo-db/dynamodb-conformance `captures/2026-06-09-validation-rewording.json`, probe
/// `c_bw_over25`, four regions).
pub fn attribute_value(v: &Value) -> String {
    let field = |k: &str| -> String {
        let Some(x) = v.get(k) else {
            return "null".into();
        };
        match k {
            "S" | "N" => x.as_str().unwrap_or_default().to_string(),
            "B" => bytes(x),
            "SS" | "NS" => java_list(x.as_array().into_iter().flatten(), |e| {
                e.as_str().unwrap_or_default().to_string()
            }),
            "BS" => java_list(x.as_array().into_iter().flatten(), bytes),
            "M" => x
                .as_object()
                .map_or("{}".into(), |m| java_map(m, attribute_value)),
            "L" => java_list(x.as_array().into_iter().flatten(), attribute_value),
            _ => x.to_string(),
        }
    };
    format!(
        "AttributeValue(s={}, n={}, b={}, iNT=null, dECIMAL=null, dOUBLE=null, sS={}, nS={}, bS={}, iNTSET=null, dECIMALSET=null, dOUBLESET=null, m={}, l={}, nULL={}, bOOL={})",
        field("S"),
        field("N"),
        field("B"),
        field("SS"),
        field("NS"),
        field("BS"),
        field("M"),
        field("L"),
        field("NULL"),
        field("BOOL"),
    )
}

/// How a float32 prints in Java (`Float.toString`): the shortest decimal that names it, with
/// `.0` on whole numbers and `E` notation outside [10^-3, 10^7).
pub fn java_float(f: f32) -> String {
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exp}")
}

fn item(v: &Value) -> String {
    v.as_object()
        .map_or("null".into(), |m| java_map(m, attribute_value))
}

/// One WriteRequest. The put form is recorded (above); the delete form is assumed to be
/// printed the same way.
fn write_request(r: &Value) -> String {
    let put = r.get("PutRequest").map_or("null".into(), |p| {
        format!(
            "PutRequest(item={}, workloadProfileName=null)",
            item(&p["Item"])
        )
    });
    let delete = r.get("DeleteRequest").map_or("null".into(), |d| {
        format!(
            "DeleteRequest(key={}, workloadProfileName=null)",
            item(&d["Key"])
        )
    });
    format!("WriteRequest(putRequest={put}, deleteRequest={delete})")
}

/// BatchWriteItem's `RequestItems` as AWS echoes it: `{table=[WriteRequest(...), ...]}`.
pub fn request_items(map: &Map<String, Value>) -> String {
    java_map(map, |reqs| {
        java_list(reqs.as_array().into_iter().flatten(), write_request)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_java_prints_them() {
        assert_eq!(java_float(1.0), "1.0");
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(java_float(0.0), "0.0");
        assert_eq!(java_float(-2.5), "-2.5");
        assert_eq!(java_float(16777217.0), "1.6777216E7");
        assert_eq!(java_float(1.5e-5), "1.5E-5");
        assert_eq!(java_float(1e10), "1.0E10");
    }

    #[test]
    fn java_hashes_as_java_does() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        // "hello".hashCode() in Java.
        assert_eq!(java_hash("hello"), 99_162_322);
        assert_eq!(java_capacity(12), 16);
        assert_eq!(java_capacity(13), 32);
    }

    #[test]
    fn a_put_request_prints_as_recorded() {
        let map = json!({"t": [{"PutRequest": {"Item": {"pk": {"S": "bw-0"}}}}]});
        assert_eq!(
            request_items(map.as_object().unwrap()),
            "{t=[WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(s=bw-0, n=null, b=null, iNT=null, dECIMAL=null, dOUBLE=null, sS=null, nS=null, bS=null, iNTSET=null, dECIMALSET=null, dOUBLESET=null, m=null, l=null, nULL=null, bOOL=null)}, workloadProfileName=null), deleteRequest=null)]}"
        );
    }

    #[test]
    fn maps_iterate_in_java_order_and_values_print_their_fields() {
        // "b" (98) before "a" would be insertion order reversed; Java iterates by bucket.
        let m = json!({"b": {"N": "1"}, "a": {"BOOL": true}});
        let text = java_map(m.as_object().unwrap(), attribute_value);
        assert!(text.starts_with("{a=AttributeValue("), "{text}");
        assert!(text.contains("bOOL=true)"), "{text}");
        assert!(text.contains("b=AttributeValue(s=null, n=1,"), "{text}");
        let l = attribute_value(&json!({"L": [{"S": "x"}], "M": null}));
        assert!(l.contains("l=[AttributeValue(s=x,"), "{l}");
    }
}

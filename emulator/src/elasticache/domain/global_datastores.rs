//! Global datastores: ids as AWS forms them, slots of their node groups.

use serde_json::{json, Value};

use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx, GlobalDatastoreRecord};

pub(crate) fn global_not_found(n: &str) -> ApiError {
    ApiError::new(
        "GlobalReplicationGroupNotFoundFault",
        format!("Global replication group {n} not found."),
    )
}

/// AWS prefixes global datastore ids with a fixed string per region ("dsdfu" in us-west-1,
/// "sgaui" in us-west-2); other regions get a stable prefix derived from the region name.
pub(crate) fn global_prefix(cx: &Cx) -> String {
    match cx.region {
        "us-west-1" => "dsdfu".into(),
        "us-west-2" => "sgaui".into(),
        region => {
            use sha2::{Digest, Sha256};
            let h = Sha256::digest(region.as_bytes());
            h.iter()
                .map(|b| (b'a' + (b % 26)) as char)
                .take(5)
                .collect()
        }
    }
}

pub(crate) fn global_slots(i: usize, n: usize) -> String {
    format!("{}-{}", 16384 * i / n, 16384 * (i + 1) / n - 1)
}

pub(crate) fn global_get<'c>(
    cx: &'c mut Cx,
    input: &Value,
) -> ApiResult<(String, &'c mut GlobalDatastoreRecord)> {
    let id = s(input, "GlobalReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let g = cx
        .globals
        .get_mut(&id)
        .ok_or_else(|| global_not_found(&id))?;
    Ok((id, g))
}

/// The GlobalReplicationGroup shape with its members and node groups (every member is the
/// record's).
pub fn render(g: &GlobalDatastoreRecord) -> Value {
    json!(g)
}

/// The shape without members and node groups (Describe without ShowMemberInfo, Modify).
pub fn render_summary(g: &GlobalDatastoreRecord) -> Value {
    let mut v = render(g);
    if let Some(o) = v.as_object_mut() {
        o.remove("Members");
        o.remove("GlobalNodeGroups");
    }
    v
}

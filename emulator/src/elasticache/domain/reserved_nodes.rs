//! Reserved cache nodes: offering filters, the record of a purchase.

use serde_json::{json, Value};

use crate::elasticache::state::{fmt_time, s, RecurringCharge, ReservedNodeRecord, ReservedState};

pub(crate) fn offering_matches(o: &Value, input: &Value) -> bool {
    s(input, "ReservedCacheNodesOfferingId").is_none_or(|v| o["ReservedCacheNodesOfferingId"] == v)
        && s(input, "CacheNodeType").is_none_or(|v| o["CacheNodeType"] == v)
        && s(input, "ProductDescription").is_none_or(|v| o["ProductDescription"] == v)
        && s(input, "OfferingType").is_none_or(|v| o["OfferingType"] == v)
        && s(input, "Duration").is_none_or(|v| {
            let secs = match v {
                "1" | "31536000" => 31536000,
                "3" | "94608000" => 94608000,
                _ => 0,
            };
            o["Duration"] == secs
        })
}

/// A purchase of `count` nodes of offering `o` (a catalog entry) at `started`.
pub(crate) fn purchase(
    o: &Value,
    id: &str,
    offering_id: &str,
    count: i64,
    started: time::OffsetDateTime,
    arn: String,
) -> ReservedNodeRecord {
    let text = |k: &str| s(o, k).unwrap_or("").to_string();
    ReservedNodeRecord {
        reserved_cache_node_id: id.into(),
        reserved_cache_nodes_offering_id: offering_id.into(),
        cache_node_type: text("CacheNodeType"),
        start_time: fmt_time(started),
        duration: o["Duration"].as_u64().unwrap_or(0),
        fixed_price: o["FixedPrice"].as_f64().unwrap_or(0.0),
        usage_price: o["UsagePrice"].as_f64().unwrap_or(0.0),
        cache_node_count: count,
        product_description: text("ProductDescription"),
        offering_type: text("OfferingType"),
        state: ReservedState::PaymentPending,
        recurring_charges: o["RecurringCharges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| RecurringCharge {
                recurring_charge_amount: c["RecurringChargeAmount"].as_f64().unwrap_or(0.0),
                recurring_charge_frequency: s(c, "RecurringChargeFrequency").unwrap_or("").into(),
            })
            .collect(),
        reservation_arn: arn,
    }
}

/// The ReservedCacheNode shape (every member is the record's).
pub fn render(r: &ReservedNodeRecord) -> Value {
    json!(r)
}

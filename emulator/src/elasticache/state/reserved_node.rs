//! A purchased reserved cache node. Saved under `--state-dir` with the API's member names,
//! the format earlier versions wrote as a JSON document, so their saved reservations load as
//! they are.

use serde::{Deserialize, Serialize};

use super::parts::api_enum;

api_enum! {
    /// ReservedCacheNode.State (nothing is ever charged, so it stays where it starts).
    ReservedState {
        PaymentPending = "payment-pending",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecurringCharge {
    pub recurring_charge_amount: f64,
    pub recurring_charge_frequency: String,
}

/// The offering's terms, copied at purchase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReservedNodeRecord {
    pub reserved_cache_node_id: String,
    pub reserved_cache_nodes_offering_id: String,
    pub cache_node_type: String,
    pub start_time: String,
    /// Seconds.
    pub duration: u64,
    pub fixed_price: f64,
    pub usage_price: f64,
    pub cache_node_count: i64,
    pub product_description: String,
    pub offering_type: String,
    pub state: ReservedState,
    pub recurring_charges: Vec<RecurringCharge>,
    #[serde(rename = "ReservationARN")]
    pub reservation_arn: String,
}

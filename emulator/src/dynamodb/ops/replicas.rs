//! Replicas of 2019.11.21 global tables (UpdateTable's ReplicaUpdates): each a real table in
//! its region, filled from the source and linked with every other region of the group; the
//! write hooks (`items`) copy later writes.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::copy::recreate_input;
use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::{TableKey, TableMeta};
use crate::dynamodb::wire::{str_of, table_not_found, validation};
use crate::protocol::json::JsonError;

impl DynamoDb {
    /// Makes every region in `regions` replicate to all the others.
    pub(super) fn link_replicas(
        &self,
        account: &str,
        name: &str,
        regions: &BTreeSet<String>,
        version: &str,
    ) {
        let mut st = self.state.lock().unwrap();
        for r in regions {
            if let Some(m) = st.table_mut(&TableKey::new(account, r, name)) {
                m.replicas = regions.iter().filter(|x| *x != r).cloned().collect();
                m.global_version = Some(version.to_string());
            }
        }
    }

    pub(super) async fn apply_replica_updates(
        &self,
        ctx: &RequestContext,
        name: &str,
        updates: &[Value],
    ) -> Result<(), JsonError> {
        let key = TableKey::new(&ctx.account, &ctx.region, name);
        for u in updates {
            let meta = self.meta(&key).ok_or_else(|| table_not_found(name))?;
            if meta.global_version.as_deref() == Some("2017.11.29") {
                return Err(validation(
                    "Cannot perform ReplicaUpdates on a table that is part of a global table version 2017.11.29",
                ));
            }
            let mut group: BTreeSet<String> = meta.replicas.clone();
            group.insert(ctx.region.clone());
            if let Some(c) = u.get("Create") {
                let region = str_of(c, "RegionName").unwrap_or_default().to_string();
                if group.contains(&region) {
                    return Err(validation(format!(
                        "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as tables."
                    )));
                }
                let desc = self.describe_raw(&ctx.account, &ctx.region, name).await?;
                let mut req = recreate_input(&desc, name, &json!({}));
                // Each replica has its own stream in its region, as its source has one
                // (global tables version 2019.11.21: streams carry each replica's changes).
                if desc["StreamSpecification"]["StreamEnabled"].as_bool() == Some(true) {
                    req["StreamSpecification"] = desc["StreamSpecification"].clone();
                }
                let replica_meta = TableMeta {
                    billing_mode: meta.billing_mode.clone(),
                    sse: meta.sse.clone(),
                    table_class: meta.table_class.clone(),
                    ..Default::default()
                };
                self.create_table_in(&ctx.account, &region, req, replica_meta)
                    .await
                    .map_err(|e| {
                        if e.code() == "ResourceInUseException" {
                            validation(format!(
                                "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as tables."
                            ))
                        } else {
                            e
                        }
                    })?;
                self.copy_table(&ctx.account, &ctx.region, name, &region)
                    .await?;
                group.insert(region);
                self.link_replicas(&ctx.account, name, &group, "2019.11.21");
            } else if let Some(d) = u.get("Delete") {
                let region = str_of(d, "RegionName").unwrap_or_default().to_string();
                if !meta.replicas.contains(&region) {
                    return Err(validation(format!(
                        "Cannot delete replica in region {region}: table {name} has no replica there"
                    )));
                }
                let _ = self
                    .call(
                        &ctx.account,
                        &region,
                        "DeleteTable",
                        &json!({"TableName": name}),
                    )
                    .await;
                self.state.lock().unwrap().remove_table(&TableKey::new(
                    &ctx.account,
                    &region,
                    name,
                ));
                group.remove(&region);
                self.link_replicas(&ctx.account, name, &group, "2019.11.21");
                if group.len() == 1 {
                    let mut st = self.state.lock().unwrap();
                    if let Some(m) = st.table_mut(&key) {
                        m.global_version = None;
                    }
                }
            }
        }
        self.changed();
        Ok(())
    }
}

//! Table lifecycle and the table description fields DynamoDB Local omits, plus tags.

use serde_json::{json, Map, Value};

use super::service::{patch_description, revision, same_utc_day, sse_description, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::{item_files, now, TableKey, TableMeta};
use crate::dynamodb::vector::index as vector_index;
use crate::dynamodb::wire::{ddb_err, str_of, table_name, table_not_found, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    pub(super) async fn create_table(&self, ctx: &RequestContext, mut input: Value) -> OpResult {
        let mut meta = TableMeta::default();
        if let Some(defs) = input.get("VectorIndexes").and_then(Value::as_array) {
            vector_index::require_on_demand(
                str_of(&input, "BillingMode").unwrap_or("PROVISIONED"),
            )?;
            vector_index::check_count(defs.len())?;
            let attr_defs = input["AttributeDefinitions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut accepted = vec![];
            for d in defs {
                vector_index::check(d, &attr_defs, &accepted)?;
                accepted.push(vector_index::stored(d));
            }
            let keys = vector_index::key_attributes(&input);
            meta.vector_attr_defs = vector_index::schema_only_defs(&attr_defs, &accepted, &keys);
            meta.vector_indexes = accepted;
        }
        vector_index::strip_vector_members(&mut input, &meta.vector_attr_defs);
        let fresh: Vec<String> = meta
            .vector_indexes
            .iter()
            .filter_map(|d| d["IndexName"].as_str().map(str::to_owned))
            .collect();
        if let Some(tags) = input["Tags"].as_array() {
            meta.tags = parse_tags(tags)?;
        }
        if let Some(spec) = input.get("SSESpecification") {
            meta.sse = sse_description(spec, &ctx.account, &ctx.region);
        }
        meta.table_class = str_of(&input, "TableClass").map(str::to_owned);
        meta.deletion_protection = input["DeletionProtectionEnabled"]
            .as_bool()
            .unwrap_or(false);
        meta.warm = input.get("WarmThroughput").cloned();
        meta.on_demand = input.get("OnDemandThroughput").cloned();
        meta.billing_mode = str_of(&input, "BillingMode")
            .filter(|m| *m == "PAY_PER_REQUEST")
            .map(str::to_owned);
        if let Some(p) = input.get("ResourcePolicy").and_then(Value::as_str) {
            meta.policy = Some((p.to_string(), revision()));
        }
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let mut desc = self
            .create_table_in(&ctx.account, &ctx.region, input, meta)
            .await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        self.describe_vector_indexes(&key, &mut desc, &fresh);
        // CreateTable's answer names the billing mode alone (the AWS CLI's create-table
        // example 2); later descriptions carry when the table became on-demand (its creation).
        if let Some(s) = desc
            .get_mut("BillingModeSummary")
            .and_then(Value::as_object_mut)
        {
            s.remove("LastUpdateToPayPerRequestDateTime");
        }
        Ok(json!({"TableDescription": desc}))
    }

    pub(super) async fn describe_table(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        Ok(json!({"Table": desc}))
    }

    pub(super) async fn update_table(&self, ctx: &RequestContext, mut input: Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        input["TableName"] = json!(name);
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        // Existence first, as AWS does.
        let before = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let Some(obj) = input.as_object_mut() else {
            return Err(validation("UpdateTable input must be a structure"));
        };
        let sse = obj.remove("SSESpecification");
        let class = obj.remove("TableClass");
        let protection = obj.remove("DeletionProtectionEnabled");
        let replica_updates = obj.remove("ReplicaUpdates");
        let on_demand = obj.remove("OnDemandThroughput");
        let warm = obj.remove("WarmThroughput");
        let vector_updates = obj.remove("VectorIndexUpdates");
        let forwarded = [
            "ProvisionedThroughput",
            "BillingMode",
            "GlobalSecondaryIndexUpdates",
            "StreamSpecification",
        ]
        .iter()
        .any(|k| obj.contains_key(*k));
        if !forwarded
            && sse.is_none()
            && class.is_none()
            && protection.is_none()
            && warm.is_none()
            && on_demand.is_none()
            && replica_updates.is_none()
            && vector_updates.is_none()
        {
            return Err(validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        let plan = match vector_updates.as_ref().and_then(Value::as_array) {
            Some(updates) => {
                let meta = self.meta(&key).ok_or_else(|| table_not_found(&key.name))?;
                Some(vector_index::plan_updates(
                    &meta, &before, &mut input, updates,
                )?)
            }
            None => {
                // Vector indexes keep their table on demand.
                let has_vectors = self
                    .meta(&key)
                    .is_some_and(|m| !m.vector_indexes.is_empty());
                if let Some(mode) = str_of(&input, "BillingMode").filter(|_| has_vectors) {
                    vector_index::require_on_demand(mode)?;
                }
                None
            }
        };
        let mut sse_updating = false;
        {
            let mut st = self.state.lock().unwrap();
            let meta = st.table_mut(&key).ok_or_else(|| table_not_found(&name))?;
            if let Some(spec) = &sse {
                let enabled = spec["Enabled"].as_bool().unwrap_or(false);
                meta.sse = if enabled {
                    sse_description(spec, &ctx.account, &ctx.region)
                } else {
                    None
                };
                sse_updating = true;
            }
            if let Some(c) = class.as_ref().and_then(Value::as_str) {
                meta.table_class = Some(c.to_string());
            }
            // Warm throughput only rises ("Once increased, warm throughput values can't be
            // decreased", Developer Guide).
            if let Some(w) = &warm {
                let old = meta.warm.take().unwrap_or_else(|| json!({}));
                let higher = |k: &str| {
                    old[k]
                        .as_u64()
                        .max(w[k].as_u64())
                        .map(Value::from)
                        .unwrap_or(Value::Null)
                };
                meta.warm = Some(json!({
                    "ReadUnitsPerSecond": higher("ReadUnitsPerSecond"),
                    "WriteUnitsPerSecond": higher("WriteUnitsPerSecond"),
                }));
            }
            if let Some(p) = protection.as_ref().and_then(Value::as_bool) {
                meta.deletion_protection = p;
            }
            // A member left out keeps its value (nubo-db/dynamodb-conformance
            // tests/tier1/updateTable/config.test.ts: UpdateTable changes both, recorded on AWS).
            if let Some(o) = on_demand.as_ref().and_then(Value::as_object) {
                let mut kept = meta.on_demand.take().unwrap_or_else(|| json!({}));
                for (k, v) in o {
                    kept[k] = v.clone();
                }
                meta.on_demand = Some(kept);
            }
        }
        let mut desc = if forwarded {
            let new_mode = str_of(&input, "BillingMode").map(str::to_owned);
            let out = self.call_ctx(ctx, "UpdateTable", &input).await?;
            let old_pt = &before["ProvisionedThroughput"];
            let new_pt = &input["ProvisionedThroughput"];
            let increased = ["ReadCapacityUnits", "WriteCapacityUnits"]
                .iter()
                .any(|k| new_pt[*k].as_i64().unwrap_or(0) > old_pt[*k].as_i64().unwrap_or(0));
            let decreased = ["ReadCapacityUnits", "WriteCapacityUnits"].iter().any(|k| {
                new_pt[*k]
                    .as_i64()
                    .is_some_and(|n| n < old_pt[*k].as_i64().unwrap_or(0))
            });
            if increased || decreased {
                if let Some(meta) = self.state.lock().unwrap().table_mut(&key) {
                    let t = now();
                    if increased {
                        meta.last_increase = Some(t);
                    }
                    if decreased {
                        // Only today's count is ever reported.
                        meta.decreases.retain(|d| same_utc_day(*d, t));
                        meta.decreases.push(t);
                    }
                }
            }
            if let Some(mode) = new_mode.clone() {
                let old = before["BillingModeSummary"]["BillingMode"]
                    .as_str()
                    .unwrap_or("PROVISIONED")
                    .to_string();
                let mut st = self.state.lock().unwrap();
                if let Some(meta) = st.table_mut(&key) {
                    if mode == "PAY_PER_REQUEST" && old != mode {
                        meta.last_update_to_ppr = Some(now());
                    }
                    meta.billing_mode = Some(mode);
                }
            }
            let mut d = out["TableDescription"].clone();
            d["TableStatus"] = json!("UPDATING");
            // A throughput change on a provisioned table is pending while UPDATING: AWS's
            // answer still shows the old capacity (a billing-mode switch shows the new one).
            let was_provisioned = before["BillingModeSummary"]["BillingMode"]
                .as_str()
                .unwrap_or("PROVISIONED")
                == "PROVISIONED";
            if (increased || decreased) && was_provisioned && new_mode.is_none() {
                for k in ["ReadCapacityUnits", "WriteCapacityUnits"] {
                    if let Some(old) = old_pt.get(k) {
                        d["ProvisionedThroughput"][k] = old.clone();
                    }
                }
            }
            if let Some(updates) = input["GlobalSecondaryIndexUpdates"].as_array() {
                mark_new_indexes(&mut d, updates);
                self.await_backend_indexes(&key).await;
            }
            self.index_sizes.fix(&self.backend, &key, &mut d).await;
            d
        } else {
            Value::Null
        };
        if let Some(p) = &plan {
            let key_schema = self.state.lock().unwrap().table_mut(&key).map(|meta| {
                meta.vector_indexes = p.indexes.clone();
                meta.vector_attr_defs = p.defs.clone();
                meta.key_schema.clone()
            });
            // Dropped indexes go now; created ones are backfilled by the describe below.
            if let Some(ks) = key_schema {
                self.vectors.sync(&key, &ks, &p.indexes);
            }
        }
        if !forwarded {
            desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        }
        if let Some(p) = &plan {
            self.describe_vector_indexes(&key, &mut desc, &p.fresh);
            for d in &p.deleted {
                let mut gone = d.clone();
                gone["IndexStatus"] = json!("DELETING");
                gone["IndexArn"] = json!(vector_index::index_arn(
                    &key.arn(),
                    d["IndexName"].as_str().unwrap_or_default()
                ));
                match desc["VectorIndexes"].as_array_mut() {
                    Some(list) => list.push(gone),
                    None => desc["VectorIndexes"] = json!([gone]),
                }
            }
            desc["TableStatus"] = json!("UPDATING");
        }
        if let Some(updates) = replica_updates.as_ref().and_then(Value::as_array) {
            self.apply_replica_updates(ctx, &name, updates).await?;
            desc["TableStatus"] = json!("UPDATING");
        }
        self.changed();
        let meta = self.meta(&key).ok_or_else(|| table_not_found(&name))?;
        patch_description(&mut desc, &meta, &key);
        if sse_updating {
            desc["SSEDescription"] = json!({"Status": "UPDATING"});
        }
        // Replicas added by this call are reported as still being created, as AWS does.
        let created: Vec<&str> = replica_updates
            .as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|u| u["Create"]["RegionName"].as_str())
            .collect();
        for r in desc["Replicas"].as_array_mut().into_iter().flatten() {
            if r["RegionName"]
                .as_str()
                .is_some_and(|n| created.contains(&n))
            {
                r["ReplicaStatus"] = json!("CREATING");
            }
        }
        Ok(json!({"TableDescription": desc}))
    }

    pub(super) async fn delete_table(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let mut desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let meta = self.meta(&key).unwrap_or_default();
        if meta.deletion_protection {
            return Err(validation(format!(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. (Table: {})",
                key.arn()
            )));
        }
        self.call_ctx(ctx, "DeleteTable", &json!({"TableName": name}))
            .await?;
        if let Some(p) = &meta.pitr {
            // The history ends with the table (AWS keeps it 35 days; nothing here reads it).
            item_files::remove(&self.items_dir(), &p.files);
        }
        {
            let mut st = self.state.lock().unwrap();
            st.remove_table(&key);
            self.vectors.drop_table(&key);
            // Siblings stop replicating to a region whose replica is gone.
            for r in &meta.replicas {
                let sib = TableKey::new(&ctx.account, r, &name);
                if let Some(m) = st.table_mut(&sib) {
                    m.replicas.remove(&ctx.region);
                }
            }
        }
        self.changed();
        desc["TableStatus"] = json!("DELETING");
        Ok(json!({"TableDescription": desc}))
    }

    // ---- tags ----

    fn tagged_table(&self, ctx: &RequestContext, input: &Value) -> Result<TableKey, JsonError> {
        let arn = str_of(input, "ResourceArn").unwrap_or_default();
        let prefix = format!("arn:aws:dynamodb:{}:{}:table/", ctx.region, ctx.account);
        let name = arn
            .strip_prefix(&prefix)
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| {
                if arn.starts_with("arn:aws:dynamodb:") {
                    ddb_err(
                        "ResourceNotFoundException",
                        format!("Requested resource not found: ResourceArn: {arn} not found"),
                    )
                } else {
                    validation(format!(
                        "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
                    ))
                }
            })?;
        let key = TableKey::new(&ctx.account, &ctx.region, name);
        if self.state.lock().unwrap().table(&key).is_none() {
            return Err(ddb_err(
                "ResourceNotFoundException",
                format!("Requested resource not found: ResourceArn: {arn} not found"),
            ));
        }
        Ok(key)
    }

    pub(super) fn tag_resource(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let key = self.tagged_table(ctx, input)?;
        let tags = parse_tags(input["Tags"].as_array().map(Vec::as_slice).unwrap_or(&[]))?;
        {
            let mut st = self.state.lock().unwrap();
            let meta = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            for (k, v) in tags {
                match meta.tags.iter_mut().find(|(ek, _)| *ek == k) {
                    Some(e) => e.1 = v,
                    None => meta.tags.push((k, v)),
                }
            }
            if meta.tags.len() > 50 {
                return Err(ddb_err(
                    "LimitExceededException",
                    "The number of tags on the resource exceeds the limit of 50",
                ));
            }
        }
        self.persist();
        Ok(json!({}))
    }

    pub(super) fn untag_resource(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let key = self.tagged_table(ctx, input)?;
        let keys: Vec<&str> = input["TagKeys"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        {
            let mut st = self.state.lock().unwrap();
            let meta = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            meta.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        }
        self.persist();
        Ok(json!({}))
    }

    /// Pages of tags; NextToken is the index of the next tag.
    pub(super) fn list_tags_of_resource(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        const PAGE: usize = 10;
        let key = self.tagged_table(ctx, input)?;
        let tags = self.meta(&key).map(|m| m.tags).unwrap_or_default();
        let start = match str_of(input, "NextToken") {
            None => 0,
            Some(t) => t
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= tags.len())
                .ok_or_else(|| validation(format!("Invalid NextToken: {t}")))?,
        };
        let end = (start + PAGE).min(tags.len());
        let page: Vec<Value> = tags[start..end]
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        let mut out = Map::new();
        out.insert("Tags".into(), Value::Array(page));
        if end < tags.len() {
            out.insert("NextToken".into(), json!(end.to_string()));
        }
        Ok(Value::Object(out))
    }
}

impl DynamoDb {
    /// DynamoDB Local builds a new index in the background for up to a second or two; we answer
    /// CREATING as AWS does, but only once the backend is done, so the next describe sees
    /// ACTIVE (the same promise as a table's CREATING). Bounded: a slow build is left running.
    async fn await_backend_indexes(&self, key: &TableKey) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let Ok(out) = self
                .call(
                    &key.account,
                    &key.region,
                    "DescribeTable",
                    &json!({"TableName": key.name}),
                )
                .await
            else {
                return;
            };
            let building = out["Table"]["GlobalSecondaryIndexes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["IndexStatus"].as_str() != Some("ACTIVE"));
            if !building {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

fn mark_new_indexes(desc: &mut Value, updates: &[Value]) {
    let created: Vec<&str> = updates
        .iter()
        .filter_map(|u| u["Create"]["IndexName"].as_str())
        .collect();
    if let Some(list) = desc
        .get_mut("GlobalSecondaryIndexes")
        .and_then(Value::as_array_mut)
    {
        for i in list {
            if i["IndexName"]
                .as_str()
                .is_some_and(|n| created.contains(&n))
            {
                i["IndexStatus"] = json!("CREATING");
                i["Backfilling"] = json!(false);
                if let Some(o) = i.as_object_mut() {
                    o.entry("IndexSizeBytes").or_insert(json!(0));
                    o.entry("ItemCount").or_insert(json!(0));
                }
            }
        }
    }
}

pub fn parse_tags(tags: &[Value]) -> Result<Vec<(String, String)>, JsonError> {
    tags.iter()
        .map(|t| {
            let k = str_of(t, "Key").ok_or_else(|| validation("Tag key must not be null"))?;
            let v = str_of(t, "Value").ok_or_else(|| validation("Tag value must not be null"))?;
            if k.is_empty() || k.len() > 128 {
                return Err(validation("Tag key must be between 1 and 128 characters"));
            }
            if k.starts_with("aws:") {
                return Err(validation("Tag keys starting with 'aws:' are reserved"));
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_tag_keys_are_refused() {
        assert!(parse_tags(&[json!({"Key": "aws:x", "Value": "v"})]).is_err());
        assert_eq!(
            parse_tags(&[json!({"Key": "k", "Value": "v"})]).unwrap(),
            vec![("k".to_string(), "v".to_string())]
        );
    }
}

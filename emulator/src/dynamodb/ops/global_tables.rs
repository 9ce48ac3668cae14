//! Global tables: version 2017.11.29 (CreateGlobalTable and friends) and 2019.11.21 replicas
//! (UpdateTable ReplicaUpdates). Each replica is a real table in its region; writes are copied
//! by the write hooks (see `items`). Also replica auto scaling settings.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::{now, GlobalTable, TableKey};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, table_not_found, validation, OpResult};
use crate::protocol::json::JsonError;

fn gt_key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

fn gt_description(g: &GlobalTable, status: &str) -> Value {
    json!({
        "ReplicationGroup": g.regions.iter().map(|r| json!({"RegionName": r})).collect::<Vec<_>>(),
        "GlobalTableArn": format!("arn:aws:dynamodb::{}:global-table/{}", g.account, g.name),
        "CreationDateTime": g.created,
        "GlobalTableStatus": status,
        "GlobalTableName": g.name,
    })
}

fn gt_not_found(name: &str) -> JsonError {
    ddb_err(
        "GlobalTableNotFoundException",
        format!("Global table not found: Global table with name: '{name}' does not exist."),
    )
}

fn role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
}

/// Auto scaling description from an update (`AutoScalingSettingsUpdate`).
fn scaling_settings(update: &Value, account: &str, table: &str, kind: &str) -> Value {
    let mut s = Map::new();
    for k in ["MinimumUnits", "MaximumUnits", "AutoScalingDisabled"] {
        if let Some(v) = update.get(k) {
            s.insert(k.into(), v.clone());
        }
    }
    s.insert(
        "AutoScalingRoleArn".into(),
        update
            .get("AutoScalingRoleArn")
            .cloned()
            .unwrap_or_else(|| json!(role_arn(account))),
    );
    if let Some(p) = update.get("ScalingPolicyUpdate") {
        let mut cfg = p["TargetTrackingScalingPolicyConfiguration"].clone();
        if let Some(t) = cfg["TargetValue"].as_f64() {
            cfg["TargetValue"] = json!(t);
        }
        let name = p["PolicyName"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("DynamoDB{kind}CapacityUtilization:table/{table}"));
        s.insert(
            "ScalingPolicies".into(),
            json!([{"PolicyName": name, "TargetTrackingScalingPolicyConfiguration": cfg}]),
        );
    }
    Value::Object(s)
}

impl DynamoDb {
    /// Checks a 2017.11.29 replica table: exists, empty, streams with both images.
    async fn check_gt_member(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(), JsonError> {
        let desc = match self.describe_raw(account, region, name).await {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceNotFoundException" => {
                return Err(ddb_err(
                    "TableNotFoundException",
                    format!("Table: {name} not found in region {region}"),
                ))
            }
            Err(e) => return Err(e),
        };
        let streams = desc["StreamSpecification"]["StreamEnabled"].as_bool() == Some(true)
            && desc["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES";
        if !streams {
            return Err(validation(format!(
                "Table: {name} in region {region} must have DynamoDB Streams enabled with stream view type NEW_AND_OLD_IMAGES"
            )));
        }
        Ok(())
    }

    pub(super) async fn create_global_table(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = str_of(input, "GlobalTableName")
            .unwrap_or_default()
            .to_string();
        let mut regions: Vec<String> = vec![];
        for r in input["ReplicationGroup"].as_array().into_iter().flatten() {
            if let Some(r) = str_of(r, "RegionName") {
                if !regions.iter().any(|x| x == r) {
                    regions.push(r.to_string());
                }
            }
        }
        if regions.is_empty() {
            return Err(validation(
                "ReplicationGroup must contain at least one region",
            ));
        }
        if self
            .state
            .lock()
            .unwrap()
            .global_tables
            .contains_key(&gt_key(&ctx.account, &name))
        {
            return Err(ddb_err(
                "GlobalTableAlreadyExistsException",
                "Global table with this name already exists",
            ));
        }
        for r in &regions {
            self.check_gt_member(&ctx.account, r, &name).await?;
        }
        let g = GlobalTable {
            account: ctx.account.clone(),
            name: name.clone(),
            regions: regions.clone(),
            created: now(),
            write_capacity: None,
        };
        let out = gt_description(&g, "CREATING");
        self.state
            .lock()
            .unwrap()
            .global_tables
            .insert(gt_key(&ctx.account, &name), g);
        self.link_replicas(
            &ctx.account,
            &name,
            &regions.into_iter().collect(),
            "2017.11.29",
        );
        self.changed();
        Ok(json!({"GlobalTableDescription": out}))
    }

    fn global_table(&self, ctx: &RequestContext, name: &str) -> Result<GlobalTable, JsonError> {
        self.state
            .lock()
            .unwrap()
            .global_tables
            .get(&gt_key(&ctx.account, name))
            .cloned()
            .ok_or_else(|| gt_not_found(name))
    }

    pub(super) fn describe_global_table(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let g = self.global_table(ctx, str_of(input, "GlobalTableName").unwrap_or_default())?;
        Ok(json!({"GlobalTableDescription": gt_description(&g, "ACTIVE")}))
    }

    pub(super) fn list_global_tables(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let region = str_of(input, "RegionName");
        let limit = input["Limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let start = str_of(input, "ExclusiveStartGlobalTableName");
        let st = self.state.lock().unwrap();
        let all: Vec<&GlobalTable> = st
            .global_tables
            .values()
            .filter(|g| g.account == ctx.account)
            .filter(|g| region.is_none_or(|r| g.regions.iter().any(|x| x == r)))
            .filter(|g| start.is_none_or(|s| g.name.as_str() > s))
            .collect();
        let page: Vec<Value> = all
            .iter()
            .take(limit)
            .map(|g| {
                json!({
                    "GlobalTableName": g.name,
                    "ReplicationGroup": g.regions.iter().map(|r| json!({"RegionName": r})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut out = json!({"GlobalTables": page});
        if all.len() > limit {
            out["LastEvaluatedGlobalTableName"] = json!(all[limit - 1].name);
        }
        Ok(out)
    }

    pub(super) async fn update_global_table(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = str_of(input, "GlobalTableName")
            .unwrap_or_default()
            .to_string();
        let mut g = self.global_table(ctx, &name)?;
        for u in input["ReplicaUpdates"].as_array().into_iter().flatten() {
            if let Some(r) = u["Create"]["RegionName"].as_str() {
                if g.regions.iter().any(|x| x == r) {
                    return Err(ddb_err(
                        "ReplicaAlreadyExistsException",
                        format!("Replica already exists in region {r}"),
                    ));
                }
                self.check_gt_member(&ctx.account, r, &name).await?;
                g.regions.insert(0, r.to_string());
            } else if let Some(r) = u["Delete"]["RegionName"].as_str() {
                if !g.regions.iter().any(|x| x == r) {
                    return Err(ddb_err(
                        "ReplicaNotFoundException",
                        format!("Replica not found in region {r}"),
                    ));
                }
                g.regions.retain(|x| x != r);
                let mut st = self.state.lock().unwrap();
                if let Some(m) = st.table_mut(&TableKey::new(&ctx.account, r, &name)) {
                    m.replicas.clear();
                    m.global_version = None;
                }
            }
        }
        self.link_replicas(
            &ctx.account,
            &name,
            &g.regions.iter().cloned().collect(),
            "2017.11.29",
        );
        let out = gt_description(&g, "ACTIVE");
        self.state
            .lock()
            .unwrap()
            .global_tables
            .insert(gt_key(&ctx.account, &name), g);
        self.changed();
        Ok(json!({"GlobalTableDescription": out}))
    }

    async fn replica_settings(
        &self,
        account: &str,
        name: &str,
        region: &str,
        status: &str,
    ) -> Result<Value, JsonError> {
        let d = self.describe_raw(account, region, name).await?;
        let pt = &d["ProvisionedThroughput"];
        let billing = d["BillingModeSummary"]["BillingMode"]
            .as_str()
            .unwrap_or("PROVISIONED");
        let gsis: Vec<Value> = d["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                json!({
                    "IndexName": i["IndexName"],
                    "IndexStatus": "ACTIVE",
                    "ProvisionedReadCapacityUnits": i["ProvisionedThroughput"]["ReadCapacityUnits"],
                    "ProvisionedWriteCapacityUnits": i["ProvisionedThroughput"]["WriteCapacityUnits"],
                })
            })
            .collect();
        Ok(json!({
            "RegionName": region,
            "ReplicaStatus": status,
            "ReplicaBillingModeSummary": {"BillingMode": billing},
            "ReplicaProvisionedReadCapacityUnits": pt["ReadCapacityUnits"],
            "ReplicaProvisionedReadCapacityAutoScalingSettings": {"AutoScalingDisabled": true},
            "ReplicaProvisionedWriteCapacityUnits": pt["WriteCapacityUnits"],
            "ReplicaProvisionedWriteCapacityAutoScalingSettings": {"AutoScalingDisabled": true},
            "ReplicaGlobalSecondaryIndexSettings": gsis,
        }))
    }

    pub(super) async fn describe_global_table_settings(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (name, _, list) = self.all_replica_settings(ctx, input, "ACTIVE").await?;
        Ok(json!({"GlobalTableName": name, "ReplicaSettings": list}))
    }

    /// The named global table and the settings of each of its replicas, in `status`.
    async fn all_replica_settings(
        &self,
        ctx: &RequestContext,
        input: &Value,
        status: &str,
    ) -> Result<(String, GlobalTable, Vec<Value>), JsonError> {
        let name = str_of(input, "GlobalTableName")
            .unwrap_or_default()
            .to_string();
        let g = self.global_table(ctx, &name)?;
        let mut list = vec![];
        for r in &g.regions {
            list.push(
                self.replica_settings(&ctx.account, &name, r, status)
                    .await?,
            );
        }
        Ok((name, g, list))
    }

    /// Answers with the settings as they were when the update started (replicas UPDATING),
    /// as AWS does; later describes show the new capacity.
    pub(super) async fn update_global_table_settings(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (name, g, list) = self.all_replica_settings(ctx, input, "UPDATING").await?;
        let wcu = input["GlobalTableProvisionedWriteCapacityUnits"].as_i64();
        let per_region: Vec<(String, i64)> = input["ReplicaSettingsUpdate"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| {
                Some((
                    str_of(u, "RegionName")?.to_string(),
                    u["ReplicaProvisionedReadCapacityUnits"].as_i64()?,
                ))
            })
            .collect();
        for (r, current) in g.regions.iter().zip(&list) {
            let rcu_now = current["ReplicaProvisionedReadCapacityUnits"]
                .as_i64()
                .unwrap_or(0);
            let wcu_now = current["ReplicaProvisionedWriteCapacityUnits"]
                .as_i64()
                .unwrap_or(0);
            let rcu = per_region
                .iter()
                .find(|(x, _)| x == r)
                .map(|(_, v)| *v)
                .unwrap_or(rcu_now);
            let w = wcu.unwrap_or(wcu_now);
            if (rcu, w) != (rcu_now, wcu_now) {
                self.call(
                    &ctx.account,
                    r,
                    "UpdateTable",
                    &json!({"TableName": name, "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": w}}),
                )
                .await?;
            }
        }
        Ok(json!({"GlobalTableName": name, "ReplicaSettings": list}))
    }

    pub(super) async fn describe_table_replica_auto_scaling(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = self.meta(&key).ok_or_else(|| table_not_found(&name))?;
        let mut regions: BTreeSet<String> = meta.replicas.clone();
        regions.insert(ctx.region.clone());
        let mut replicas = vec![];
        for r in &regions {
            let m = self
                .meta(&TableKey::new(&ctx.account, r, &name))
                .unwrap_or_default();
            let mut rep =
                json!({"RegionName": r, "GlobalSecondaryIndexes": [], "ReplicaStatus": "ACTIVE"});
            if let Some(s) = &m.autoscaling_read {
                rep["ReplicaProvisionedReadCapacityAutoScalingSettings"] = s.clone();
            }
            if let Some(s) = &m.autoscaling_write {
                rep["ReplicaProvisionedWriteCapacityAutoScalingSettings"] = s.clone();
            }
            replicas.push(rep);
        }
        Ok(json!({"TableAutoScalingDescription": {
            "TableName": name,
            "TableStatus": desc["TableStatus"],
            "Replicas": replicas,
        }}))
    }

    pub(super) async fn update_table_replica_auto_scaling(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        if desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST" {
            return Err(validation(
                "Auto scaling is not supported for tables in on-demand (PAY_PER_REQUEST) mode",
            ));
        }
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = self.meta(&key).ok_or_else(|| table_not_found(&name))?;
        let mut regions: BTreeSet<String> = meta.replicas.clone();
        regions.insert(ctx.region.clone());
        {
            let mut st = self.state.lock().unwrap();
            if let Some(w) = input.get("ProvisionedWriteCapacityAutoScalingUpdate") {
                let s = scaling_settings(w, &ctx.account, &name, "Write");
                for r in &regions {
                    if let Some(m) = st.table_mut(&TableKey::new(&ctx.account, r, &name)) {
                        m.autoscaling_write = Some(s.clone());
                    }
                }
            }
            for u in input["ReplicaUpdates"].as_array().into_iter().flatten() {
                let r = str_of(u, "RegionName").unwrap_or_default();
                if !regions.contains(r) {
                    return Err(ddb_err(
                        "ResourceNotFoundException",
                        format!(
                            "Requested resource not found: replica of table {name} in region {r}"
                        ),
                    ));
                }
                if let Some(rd) = u.get("ReplicaProvisionedReadCapacityAutoScalingUpdate") {
                    let s = scaling_settings(rd, &ctx.account, &name, "Read");
                    if let Some(m) = st.table_mut(&TableKey::new(&ctx.account, r, &name)) {
                        m.autoscaling_read = Some(s);
                    }
                }
            }
        }
        self.persist();
        self.describe_table_replica_auto_scaling(ctx, input).await
    }
}

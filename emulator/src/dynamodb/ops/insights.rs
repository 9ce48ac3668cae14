//! Contributor insights: the per-table and per-index setting, kept faithfully (no CloudWatch
//! rules behind it).

use serde_json::{json, Value};

use super::service::{page_token, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::{now, TableKey};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, table_not_found, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    /// Table (and index, when named) must exist; returns the table's key and description.
    async fn table_and_index(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(TableKey, Value), JsonError> {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        if let Some(idx) = str_of(input, "IndexName") {
            let found = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .any(|k| {
                    desc[*k]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|i| i["IndexName"] == idx))
                });
            if !found {
                return Err(ddb_err(
                    "ResourceNotFoundException",
                    format!(
                        "Requested resource not found: Index: {idx} not found for table {name}"
                    ),
                ));
            }
        }
        Ok((TableKey::new(&ctx.account, &ctx.region, &name), desc))
    }

    pub(super) async fn update_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let action = str_of(input, "ContributorInsightsAction").unwrap_or_default();
        let status = match action {
            "ENABLE" => "ENABLED",
            "DISABLE" => "DISABLED",
            other => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]"
                )))
            }
        };
        let (key, _) = self.table_and_index(ctx, input).await?;
        let index = str_of(input, "IndexName").unwrap_or("").to_string();
        {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            m.insights
                .insert(index.clone(), (status.to_string(), now()));
        }
        self.persist();
        let mut out = json!({"TableName": key.name, "ContributorInsightsStatus": if status == "ENABLED" { "ENABLING" } else { "DISABLING" }});
        if !index.is_empty() {
            out["IndexName"] = json!(index);
        }
        Ok(out)
    }

    pub(super) async fn describe_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (key, desc) = self.table_and_index(ctx, input).await?;
        let index = str_of(input, "IndexName").unwrap_or("").to_string();
        let entry = self
            .meta(&key)
            .and_then(|m| m.insights.get(&index).cloned());
        let mut out = json!({"TableName": key.name});
        if !index.is_empty() {
            out["IndexName"] = json!(index);
        }
        match entry {
            Some((status, at)) => {
                out["ContributorInsightsStatus"] = json!(status);
                out["LastUpdateDateTime"] = json!(at);
                if status == "ENABLED" {
                    let ms = (at * 1000.0) as u64;
                    let has_sort = desc["KeySchema"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|x| x["KeyType"] == "RANGE"));
                    let kinds: &[&str] = if has_sort {
                        &["PKC", "SKC", "PKT", "SKT"]
                    } else {
                        &["PKC", "PKT"]
                    };
                    out["ContributorInsightsRuleList"] = json!(kinds
                        .iter()
                        .map(|k| format!("DynamoDBContributorInsights-{k}-{}-{ms}", key.name))
                        .collect::<Vec<_>>());
                }
            }
            None => out["ContributorInsightsStatus"] = json!("DISABLED"),
        }
        Ok(out)
    }

    pub(super) fn list_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let table = table_name(&input["TableName"]);
        let max = input["MaxResults"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let mut all: Vec<(f64, Value)> = vec![];
        {
            let st = self.state.lock().unwrap();
            for (k, m) in st.tables_of(&ctx.account, &ctx.region) {
                if table.as_ref().is_some_and(|t| *t != k.name) {
                    continue;
                }
                for (idx, (status, at)) in &m.insights {
                    let mut s = json!({"TableName": k.name, "ContributorInsightsStatus": status});
                    if !idx.is_empty() {
                        s["IndexName"] = json!(idx);
                    }
                    all.push((*at, s));
                }
            }
        }
        // Oldest first, so pages are stable while insights are added.
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let start = page_token(input, all.len())?;
        let end = (start + max).min(all.len());
        let mut out = json!({"ContributorInsightsSummaries": all[start..end].iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()});
        if end < all.len() {
            out["NextToken"] = json!(end.to_string());
        }
        Ok(out)
    }
}

//! Contributor insights: the per-table and per-index setting, kept faithfully (no CloudWatch
//! rules behind it).

use std::collections::BTreeMap;

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

    /// AWS pages over every table and global secondary index of the region (table by table,
    /// in creation order, each table before its indexes), counting each toward MaxResults,
    /// and then leaves out those whose insights are DISABLED: a page may hold fewer than
    /// MaxResults summaries and still carry a NextToken (the AWS CLI's own example,
    /// `list-contributor-insights --max-results 4`, shows 3 summaries and a token).
    pub(super) async fn list_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let table = table_name(&input["TableName"]);
        let max = input["MaxResults"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let mut tables: Vec<(f64, String, BTreeMap<String, String>)> = {
            let st = self.state.lock().unwrap();
            st.tables_of(&ctx.account, &ctx.region)
                .filter(|(k, _)| table.as_ref().is_none_or(|t| *t == k.name))
                .map(|(k, m)| {
                    let statuses = m
                        .insights
                        .iter()
                        .map(|(idx, (status, _))| (idx.clone(), status.clone()))
                        .collect();
                    (m.created, k.name.clone(), statuses)
                })
                .collect()
        };
        tables.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        // (table, index or "", status)
        let mut entries: Vec<(String, String, String)> = vec![];
        for (_, name, statuses) in tables {
            let status = |idx: &str| {
                statuses
                    .get(idx)
                    .cloned()
                    .unwrap_or_else(|| "DISABLED".to_string())
            };
            entries.push((name.clone(), String::new(), status("")));
            // A table gone from the backend meanwhile has no indexes to list.
            let desc = self
                .describe_raw(&ctx.account, &ctx.region, &name)
                .await
                .unwrap_or_default();
            for gsi in desc["GlobalSecondaryIndexes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(idx) = gsi["IndexName"].as_str() {
                    entries.push((name.clone(), idx.to_string(), status(idx)));
                }
            }
        }
        let start = page_token(input, entries.len())?;
        let end = (start + max).min(entries.len());
        let summaries: Vec<Value> = entries[start..end]
            .iter()
            .filter(|(_, _, status)| status != "DISABLED")
            .map(|(t, idx, status)| {
                let mut s = json!({"TableName": t, "ContributorInsightsStatus": status});
                if !idx.is_empty() {
                    s["IndexName"] = json!(idx);
                }
                s
            })
            .collect();
        let mut out = json!({ "ContributorInsightsSummaries": summaries });
        if end < entries.len() {
            out["NextToken"] = json!(end.to_string());
        }
        Ok(out)
    }
}

//! Resource policies with revision ids (kept faithfully; no IAM evaluation).

use serde_json::{json, Value};

use super::service::{revision, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::TableKey;
use crate::dynamodb::wire::{ddb_err, str_of, table_not_found, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    async fn policy_table(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<TableKey, JsonError> {
        let arn = str_of(input, "ResourceArn").unwrap_or_default();
        let prefix = format!("arn:aws:dynamodb:{}:{}:table/", ctx.region, ctx.account);
        let name = arn
            .strip_prefix(&prefix)
            .map(|r| r.split('/').next().unwrap_or(r))
            .ok_or_else(|| validation(format!("Invalid ResourceArn provided as input {arn}")))?;
        self.describe_raw(&ctx.account, &ctx.region, name).await?;
        Ok(TableKey::new(&ctx.account, &ctx.region, name))
    }

    pub(super) async fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        let policy = str_of(input, "Policy").unwrap_or_default();
        if serde_json::from_str::<Value>(policy)
            .map(|v| !v.is_object())
            .unwrap_or(true)
        {
            return Err(validation(
                "Invalid policy document: the policy must be a JSON object",
            ));
        }
        let rev = {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            let current = m.policy.as_ref().map(|p| p.1.clone());
            check_expected_revision(
                &key,
                current.as_deref(),
                str_of(input, "ExpectedRevisionId"),
            )?;
            match &m.policy {
                // An identical document is no change: AWS keeps its revision.
                Some((p, rev)) if p == policy => rev.clone(),
                _ => {
                    let rev = next_revision(current.as_deref());
                    m.policy = Some((policy.to_string(), rev.clone()));
                    rev
                }
            }
        };
        self.persist();
        Ok(json!({"RevisionId": rev}))
    }

    pub(super) async fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        match self.meta(&key).and_then(|m| m.policy) {
            Some((p, rev)) => Ok(json!({"Policy": p, "RevisionId": rev})),
            None => Err(policy_not_found(&key)),
        }
    }

    pub(super) async fn delete_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        let rev = {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            let current = m.policy.as_ref().map(|p| p.1.clone());
            let Some(current) = current else {
                return Err(policy_not_found(&key));
            };
            check_expected_revision(&key, Some(&current), str_of(input, "ExpectedRevisionId"))?;
            m.policy = None;
            current
        };
        self.persist();
        Ok(json!({"RevisionId": rev}))
    }
}

/// ExpectedRevisionId (`NO_POLICY` for "none may exist") against the current revision, with
/// AWS's PolicyNotFoundException texts.
fn check_expected_revision(
    key: &TableKey,
    current: Option<&str>,
    expected: Option<&str>,
) -> Result<(), JsonError> {
    let prefix = "Resource-based policy not found for the provided ResourceArn:";
    match (expected, current) {
        (None, _) | (Some("NO_POLICY"), None) => Ok(()),
        (Some(e), Some(c)) if e == c => Ok(()),
        (Some("NO_POLICY"), Some(c)) => Err(ddb_err(
            "PolicyNotFoundException",
            format!("{prefix} Requested policy update expecting none to be present for table {}, but a policy exists with revision id {c}.", key.name),
        )),
        (Some(e), Some(c)) => Err(ddb_err(
            "PolicyNotFoundException",
            format!("{prefix} Requested update for policy with revision id {e}, but the policy associated to target table {} has revision id {c}.", key.name),
        )),
        (Some(_), None) => Err(policy_not_found(key)),
    }
}

/// Revision ids are times in milliseconds that only grow.
fn next_revision(current: Option<&str>) -> String {
    let now: u64 = revision().parse().unwrap_or(0);
    let after = current
        .and_then(|c| c.parse::<u64>().ok())
        .map_or(0, |c| c + 1);
    now.max(after).to_string()
}

fn policy_not_found(key: &TableKey) -> JsonError {
    ddb_err(
        "PolicyNotFoundException",
        format!(
            "Resource-based policy not found for the provided ResourceArn: {}",
            key.arn()
        ),
    )
}

//! The one table of operations and who answers each: forwarded to the backend as is, forwarded
//! with its answer patched, or ours (one function per operation, in a file per family, named
//! after the operation). A test checks the table names exactly the model's operations.

mod backups;
mod bulk;
pub mod capacity;
mod copy;
mod global_tables;
mod import_export;
mod insights;
mod items;
mod kinesis;
mod limits_endpoints;
mod partiql_capacity;
mod partiql_index;
mod pitr;
mod policies;
mod replicas;
mod service;
pub mod streams;
mod tables;
pub mod transactions;
mod vector_search;

use serde_json::Value;

use crate::context::RequestContext;
use crate::dynamodb::wire::OpResult;

pub use service::DynamoDb;

/// Who answers an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// DynamoDB Local's answer passes through (ARNs rewritten to the caller's).
    Forward,
    /// DynamoDB Local's answer, with members AWS adds (item collection metrics, per-kind
    /// capacity units), batch tables named as the caller named them, or hidden streams left
    /// out. (Every forwarded write, PartiQL ones too, also runs the write hooks: `items`,
    /// `vector::hooks`; that is not a patch of the answer.)
    ForwardPatched,
    /// Answered here (`dispatch`), with or without the backend's help.
    Ours,
}

use Owner::{Forward, ForwardPatched, Ours};

/// DynamoDB (`DynamoDB_20120810`), in the model's order of names.
const DYNAMODB: &[(&str, Owner)] = &[
    ("BatchExecuteStatement", ForwardPatched),
    ("BatchGetItem", ForwardPatched),
    ("BatchWriteItem", ForwardPatched),
    ("CancelBulkOperation", Ours),
    ("CreateBackup", Ours),
    ("CreateGlobalTable", Ours),
    ("CreateTable", Ours),
    ("DeleteBackup", Ours),
    ("DeleteItem", ForwardPatched),
    ("DeleteResourcePolicy", Ours),
    ("DeleteTable", Ours),
    ("DescribeBackup", Ours),
    ("DescribeBulkOperation", Ours),
    ("DescribeContinuousBackups", Ours),
    ("DescribeContributorInsights", Ours),
    ("DescribeEndpoints", Ours),
    ("DescribeExport", Ours),
    ("DescribeGlobalTable", Ours),
    ("DescribeGlobalTableSettings", Ours),
    ("DescribeImport", Ours),
    ("DescribeKinesisStreamingDestination", Ours),
    ("DescribeLimits", Ours),
    ("DescribeTable", Ours),
    ("DescribeTableReplicaAutoScaling", Ours),
    ("DescribeTimeToLive", Forward),
    ("DisableKinesisStreamingDestination", Ours),
    ("EnableKinesisStreamingDestination", Ours),
    ("ExecuteStatement", ForwardPatched),
    ("ExecuteTransaction", Forward),
    ("ExportTableToPointInTime", Ours),
    ("GetItem", Forward),
    ("GetResourcePolicy", Ours),
    ("ImportTable", Ours),
    ("ListBackups", Ours),
    ("ListBulkOperations", Ours),
    ("ListContributorInsights", Ours),
    ("ListExports", Ours),
    ("ListGlobalTables", Ours),
    ("ListImports", Ours),
    ("ListTables", Forward),
    ("ListTagsOfResource", Ours),
    ("PutItem", ForwardPatched),
    ("PutResourcePolicy", Ours),
    ("Query", Forward),
    ("RestoreTableFromBackup", Ours),
    ("RestoreTableToPointInTime", Ours),
    ("Scan", Forward),
    ("SearchVectors", Ours),
    ("StartBulkPutItems", Ours),
    ("TagResource", Ours),
    ("TransactGetItems", ForwardPatched),
    ("TransactWriteItems", ForwardPatched),
    ("UntagResource", Ours),
    ("UpdateContinuousBackups", Ours),
    ("UpdateContributorInsights", Ours),
    ("UpdateGlobalTable", Ours),
    ("UpdateGlobalTableSettings", Ours),
    ("UpdateItem", ForwardPatched),
    ("UpdateKinesisStreamingDestination", Ours),
    ("UpdateTable", Ours),
    ("UpdateTableReplicaAutoScaling", Ours),
    ("UpdateTimeToLive", Forward),
];

/// DynamoDB Streams (`DynamoDBStreams_20120810`).
const STREAMS: &[(&str, Owner)] = &[
    ("DescribeStream", Forward),
    ("GetRecords", Forward),
    ("GetShardIterator", Forward),
    ("ListStreams", ForwardPatched),
];

/// Who answers `op` of DynamoDB (`streams` false) or DynamoDB Streams; None when the model has
/// no such operation.
pub fn owner(streams: bool, op: &str) -> Option<Owner> {
    let table = if streams { STREAMS } else { DYNAMODB };
    table.iter().find(|(n, _)| *n == op).map(|(_, o)| *o)
}

/// Runs one of our operations.
pub async fn dispatch(db: &DynamoDb, ctx: &RequestContext, op: &str, input: Value) -> OpResult {
    match op {
        "CreateTable" => db.create_table(ctx, input).await,
        "DescribeTable" => db.describe_table(ctx, &input).await,
        "UpdateTable" => db.update_table(ctx, input).await,
        "DeleteTable" => db.delete_table(ctx, &input).await,
        "TagResource" => db.tag_resource(ctx, &input),
        "UntagResource" => db.untag_resource(ctx, &input),
        "ListTagsOfResource" => db.list_tags_of_resource(ctx, &input),
        "CreateBackup" => db.create_backup(ctx, &input).await,
        "DescribeBackup" => db.describe_backup(ctx, &input),
        "DeleteBackup" => db.delete_backup(ctx, &input),
        "ListBackups" => db.list_backups(ctx, &input),
        "RestoreTableFromBackup" => db.restore_table_from_backup(ctx, &input).await,
        "UpdateContinuousBackups" => db.update_continuous_backups(ctx, &input).await,
        "DescribeContinuousBackups" => db.describe_continuous_backups(ctx, &input).await,
        "RestoreTableToPointInTime" => db.restore_table_to_point_in_time(ctx, &input).await,
        "CreateGlobalTable" => db.create_global_table(ctx, &input).await,
        "DescribeGlobalTable" => db.describe_global_table(ctx, &input),
        "ListGlobalTables" => db.list_global_tables(ctx, &input),
        "UpdateGlobalTable" => db.update_global_table(ctx, &input).await,
        "DescribeGlobalTableSettings" => db.describe_global_table_settings(ctx, &input).await,
        "UpdateGlobalTableSettings" => db.update_global_table_settings(ctx, &input).await,
        "DescribeTableReplicaAutoScaling" => {
            db.describe_table_replica_auto_scaling(ctx, &input).await
        }
        "UpdateTableReplicaAutoScaling" => db.update_table_replica_auto_scaling(ctx, &input).await,
        "DescribeContributorInsights" => db.describe_contributor_insights(ctx, &input).await,
        "UpdateContributorInsights" => db.update_contributor_insights(ctx, &input).await,
        "ListContributorInsights" => db.list_contributor_insights(ctx, &input).await,
        "DescribeEndpoints" => Ok(limits_endpoints::describe_endpoints(ctx)),
        "DescribeLimits" => Ok(limits_endpoints::describe_limits()),
        "PutResourcePolicy" => db.put_resource_policy(ctx, &input).await,
        "GetResourcePolicy" => db.get_resource_policy(ctx, &input).await,
        "DeleteResourcePolicy" => db.delete_resource_policy(ctx, &input).await,
        "EnableKinesisStreamingDestination" => {
            db.enable_kinesis_streaming_destination(ctx, &input).await
        }
        "DisableKinesisStreamingDestination" => {
            db.disable_kinesis_streaming_destination(ctx, &input).await
        }
        "UpdateKinesisStreamingDestination" => {
            db.update_kinesis_streaming_destination(ctx, &input).await
        }
        "DescribeKinesisStreamingDestination" => {
            db.describe_kinesis_streaming_destination(ctx, &input).await
        }
        "ExportTableToPointInTime" => db.export_table_to_point_in_time(ctx, &input).await,
        "DescribeExport" => db.describe_export(ctx, &input),
        "ListExports" => db.list_exports(ctx, &input),
        "ImportTable" => db.import_table(ctx, &input).await,
        "DescribeImport" => db.describe_import(ctx, &input),
        "ListImports" => db.list_imports(ctx, &input),
        "SearchVectors" => db.search_vectors(ctx, &input).await,
        "StartBulkPutItems" => db.start_bulk_put_items(ctx, &input).await,
        "DescribeBulkOperation" => db.describe_bulk_operation(ctx, &input),
        "ListBulkOperations" => db.list_bulk_operations(ctx, &input),
        "CancelBulkOperation" => db.cancel_bulk_operation(ctx, &input),
        _ => Err(crate::protocol::json::JsonError::coral(
            "UnknownOperationException",
            "",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::wire::model;

    fn names(table: &[(&str, Owner)]) -> Vec<String> {
        table.iter().map(|(n, _)| n.to_string()).collect()
    }

    fn sorted(it: impl Iterator<Item = String>) -> Vec<String> {
        let mut v: Vec<String> = it.collect();
        v.sort();
        v
    }

    #[test]
    fn the_table_names_exactly_the_models_operations() {
        let ddb = sorted(model::dynamodb().operations().map(str::to_owned));
        assert_eq!(sorted(names(DYNAMODB).into_iter()), ddb);
        let streams = sorted(model::streams().operations().map(str::to_owned));
        assert_eq!(sorted(names(STREAMS).into_iter()), streams);
    }

    /// `dispatch` has an arm for every operation the table gives us, and for no other.
    #[test]
    fn every_owned_operation_has_a_handler_and_only_those() {
        let src = include_str!("mod.rs");
        let body =
            &src[src.find("pub async fn dispatch").unwrap()..src.find("#[cfg(test)]").unwrap()];
        let arms: Vec<String> = regex::Regex::new(r#"(?m)^\s*"(\w+)" =>"#)
            .unwrap()
            .captures_iter(body)
            .map(|c| c[1].to_string())
            .collect();
        let ours: Vec<String> = DYNAMODB
            .iter()
            .filter(|(_, o)| *o == Ours)
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(sorted(arms.into_iter()), sorted(ours.into_iter()));
    }
}

//! The one table of actions: each ElastiCache action maps to the function named after it
//! in the file of its family.

mod cache_clusters;
mod engine_versions;
mod events;
mod global_datastores;
mod migration;
mod parameter_groups;
mod replication_groups;
mod reserved_nodes;
mod security_groups;
mod serverless;
mod service_updates;
mod snapshots;
mod subnet_groups;
mod tags;
mod user_groups;
mod users;

use serde_json::Value;

use super::error::ApiResult;
use super::state::Cx;

pub type Handler = fn(&mut Cx, &Value) -> ApiResult<Value>;

/// Every action of the model, with its handler.
pub const ACTIONS: &[(&str, Handler)] = &[
    ("CreateCacheCluster", cache_clusters::create_cache_cluster),
    (
        "DescribeCacheClusters",
        cache_clusters::describe_cache_clusters,
    ),
    ("ModifyCacheCluster", cache_clusters::modify_cache_cluster),
    ("RebootCacheCluster", cache_clusters::reboot_cache_cluster),
    ("DeleteCacheCluster", cache_clusters::delete_cache_cluster),
    (
        "CreateReplicationGroup",
        replication_groups::create_replication_group,
    ),
    (
        "DescribeReplicationGroups",
        replication_groups::describe_replication_groups,
    ),
    (
        "ModifyReplicationGroup",
        replication_groups::modify_replication_group,
    ),
    (
        "DeleteReplicationGroup",
        replication_groups::delete_replication_group,
    ),
    (
        "IncreaseReplicaCount",
        replication_groups::increase_replica_count,
    ),
    (
        "DecreaseReplicaCount",
        replication_groups::decrease_replica_count,
    ),
    (
        "ModifyReplicationGroupShardConfiguration",
        replication_groups::modify_replication_group_shard_configuration,
    ),
    ("TestFailover", replication_groups::test_failover),
    ("PrepareMigration", migration::prepare_migration),
    ("StartMigration", migration::start_migration),
    ("TestMigration", migration::test_migration),
    ("StopMigration", migration::stop_migration),
    ("CompleteMigration", migration::complete_migration),
    (
        "CreateCacheParameterGroup",
        parameter_groups::create_cache_parameter_group,
    ),
    (
        "DescribeCacheParameterGroups",
        parameter_groups::describe_cache_parameter_groups,
    ),
    (
        "DescribeCacheParameters",
        parameter_groups::describe_cache_parameters,
    ),
    (
        "DescribeEngineDefaultParameters",
        parameter_groups::describe_engine_default_parameters,
    ),
    (
        "ModifyCacheParameterGroup",
        parameter_groups::modify_cache_parameter_group,
    ),
    (
        "ResetCacheParameterGroup",
        parameter_groups::reset_cache_parameter_group,
    ),
    (
        "DeleteCacheParameterGroup",
        parameter_groups::delete_cache_parameter_group,
    ),
    (
        "CreateCacheSubnetGroup",
        subnet_groups::create_cache_subnet_group,
    ),
    (
        "DescribeCacheSubnetGroups",
        subnet_groups::describe_cache_subnet_groups,
    ),
    (
        "ModifyCacheSubnetGroup",
        subnet_groups::modify_cache_subnet_group,
    ),
    (
        "DeleteCacheSubnetGroup",
        subnet_groups::delete_cache_subnet_group,
    ),
    (
        "CreateCacheSecurityGroup",
        security_groups::create_cache_security_group,
    ),
    (
        "DescribeCacheSecurityGroups",
        security_groups::describe_cache_security_groups,
    ),
    (
        "DeleteCacheSecurityGroup",
        security_groups::delete_cache_security_group,
    ),
    (
        "AuthorizeCacheSecurityGroupIngress",
        security_groups::authorize_cache_security_group_ingress,
    ),
    (
        "RevokeCacheSecurityGroupIngress",
        security_groups::revoke_cache_security_group_ingress,
    ),
    ("CreateUser", users::create_user),
    ("DescribeUsers", users::describe_users),
    ("ModifyUser", users::modify_user),
    ("DeleteUser", users::delete_user),
    ("CreateUserGroup", user_groups::create_user_group),
    ("DescribeUserGroups", user_groups::describe_user_groups),
    ("ModifyUserGroup", user_groups::modify_user_group),
    ("DeleteUserGroup", user_groups::delete_user_group),
    ("CreateSnapshot", snapshots::create_snapshot),
    ("CopySnapshot", snapshots::copy_snapshot),
    ("DeleteSnapshot", snapshots::delete_snapshot),
    ("DescribeSnapshots", snapshots::describe_snapshots),
    ("CreateServerlessCache", serverless::create_serverless_cache),
    (
        "DescribeServerlessCaches",
        serverless::describe_serverless_caches,
    ),
    ("ModifyServerlessCache", serverless::modify_serverless_cache),
    ("DeleteServerlessCache", serverless::delete_serverless_cache),
    (
        "CreateServerlessCacheSnapshot",
        serverless::create_serverless_cache_snapshot,
    ),
    (
        "CopyServerlessCacheSnapshot",
        serverless::copy_serverless_cache_snapshot,
    ),
    (
        "DeleteServerlessCacheSnapshot",
        serverless::delete_serverless_cache_snapshot,
    ),
    (
        "DescribeServerlessCacheSnapshots",
        serverless::describe_serverless_cache_snapshots,
    ),
    (
        "ExportServerlessCacheSnapshot",
        serverless::export_serverless_cache_snapshot,
    ),
    (
        "CreateGlobalReplicationGroup",
        global_datastores::create_global_replication_group,
    ),
    (
        "DescribeGlobalReplicationGroups",
        global_datastores::describe_global_replication_groups,
    ),
    (
        "ModifyGlobalReplicationGroup",
        global_datastores::modify_global_replication_group,
    ),
    (
        "DeleteGlobalReplicationGroup",
        global_datastores::delete_global_replication_group,
    ),
    (
        "DisassociateGlobalReplicationGroup",
        global_datastores::disassociate_global_replication_group,
    ),
    (
        "FailoverGlobalReplicationGroup",
        global_datastores::failover_global_replication_group,
    ),
    (
        "IncreaseNodeGroupsInGlobalReplicationGroup",
        global_datastores::increase_node_groups_in_global_replication_group,
    ),
    (
        "DecreaseNodeGroupsInGlobalReplicationGroup",
        global_datastores::decrease_node_groups_in_global_replication_group,
    ),
    (
        "RebalanceSlotsInGlobalReplicationGroup",
        global_datastores::rebalance_slots_in_global_replication_group,
    ),
    ("DescribeEvents", events::describe_events),
    ("AddTagsToResource", tags::add_tags_to_resource),
    ("ListTagsForResource", tags::list_tags_for_resource),
    ("RemoveTagsFromResource", tags::remove_tags_from_resource),
    (
        "DescribeReservedCacheNodes",
        reserved_nodes::describe_reserved_cache_nodes,
    ),
    (
        "DescribeReservedCacheNodesOfferings",
        reserved_nodes::describe_reserved_cache_nodes_offerings,
    ),
    (
        "PurchaseReservedCacheNodesOffering",
        reserved_nodes::purchase_reserved_cache_nodes_offering,
    ),
    (
        "DescribeServiceUpdates",
        service_updates::describe_service_updates,
    ),
    (
        "DescribeUpdateActions",
        service_updates::describe_update_actions,
    ),
    (
        "BatchApplyUpdateAction",
        service_updates::batch_apply_update_action,
    ),
    (
        "BatchStopUpdateAction",
        service_updates::batch_stop_update_action,
    ),
    (
        "DescribeCacheEngineVersions",
        engine_versions::describe_cache_engine_versions,
    ),
    (
        "ListAllowedNodeTypeModifications",
        cache_clusters::list_allowed_node_type_modifications,
    ),
];

/// The handler of `action`, if the model has it.
pub fn handler(action: &str) -> Option<Handler> {
    ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    /// The table and the model agree: every operation has a handler, and no handler
    /// answers an action the model lacks.
    #[test]
    fn every_model_operation_has_one_handler() {
        let mut model: Vec<&str> = super::super::model::model().operation_names().collect();
        let mut table: Vec<&str> = super::ACTIONS.iter().map(|(a, _)| *a).collect();
        model.sort_unstable();
        table.sort_unstable();
        let unique = table.len();
        table.dedup();
        assert_eq!(unique, table.len(), "an action is listed twice");
        assert_eq!(table, model);
    }
}

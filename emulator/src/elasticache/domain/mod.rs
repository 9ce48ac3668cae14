//! The resources and their rules: what each action changes in the state and which node
//! work it records as effects. No I/O here: effects run in `jobs` after the lock is released.

pub mod acl;
pub mod cache_cluster_modify;
pub mod cache_clusters;
pub mod catalog;
pub mod cluster_mode;
pub mod cluster_settings;
pub mod failover;
pub mod global_datastores;
pub mod groups;
pub mod limits;
pub mod migration;
pub mod recovery;
pub mod regions;
pub mod replication_group_create;
pub mod replication_group_modify;
pub mod replication_groups;
pub mod reserved_nodes;
pub mod serverless;
pub mod service_updates;
pub mod shard_changes;
pub mod snapshots;
pub mod tags;
pub mod users;
pub mod versions;
pub mod windows;

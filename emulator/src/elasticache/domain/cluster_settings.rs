//! The settings a new cluster starts with (from CreateCacheCluster's or
//! CreateReplicationGroup's input, or a group's first member), checked, and the CacheCluster
//! record they make.

use serde_json::Value;

use crate::elasticache::domain::cache_clusters::NodeShape;
use crate::elasticache::domain::{catalog, limits, regions, versions, windows};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{
    now, s, strings, ApplyStatus, CacheClusterRecord, ClusterStatus, Cx, LogDelivery, Notification,
    ParameterGroupStatus, SecurityGroupMembership,
};

/// Everything a new cluster needs that a replication group may also supply.
pub struct ClusterSettings {
    pub engine: EngineKind,
    pub engine_version: String,
    pub node_type: String,
    pub param_group: String,
    pub subnet_group: String,
    pub port: u16,
    pub auth_token: Option<String>,
    pub transit: bool,
    pub at_rest: bool,
    pub security_group_ids: Vec<String>,
    pub topic_arn: Option<String>,
    pub maintenance_window: String,
    pub snapshot_window: String,
    pub snapshot_retention: i64,
    pub auto_minor: bool,
    pub log_delivery: Vec<LogDelivery>,
}

impl ClusterSettings {
    pub fn shape(&self) -> NodeShape {
        NodeShape {
            engine: self.engine,
            version: Some(self.engine_version.clone()),
            port: self.port,
            auth: self.auth_token.clone(),
            seed_rdb: None,
            param_group: self.param_group.clone(),
            acl: vec![],
            tls: self.transit,
            cluster: false,
        }
    }

    /// Reads and validates the settings common to CreateCacheCluster and CreateReplicationGroup.
    pub fn from_input(cx: &Cx, input: &Value, default_engine: &str) -> ApiResult<Self> {
        let engine = engine_of(input, default_engine)?;
        let version = versions::resolve(
            engine,
            s(input, "EngineVersion").unwrap_or(catalog::default_version(engine)),
        )?;
        let node_type = node_type_of(input, engine, version.actual)?;
        regions::check_zones_of(cx.region, input)?;
        let engine_version = version.actual.to_string();
        let param_group = param_group_of(cx, input, version.family)?;
        let subnet_group = subnet_group_of(cx, input)?;
        let transit = input["TransitEncryptionEnabled"].as_bool().unwrap_or(false);
        let auth_token = auth_token_of(input, engine)?;
        // Windows the request does not name are AWS's random draw for this resource.
        let draw = windows::Draw {
            seed: cx.seed,
            account: cx.account,
            region: cx.region,
            id: s(input, "ReplicationGroupId")
                .or(s(input, "CacheClusterId"))
                .unwrap_or(""),
        };
        let maintenance_window = s(input, "PreferredMaintenanceWindow")
            .map_or_else(|| draw.maintenance_window(), str::to_owned);
        let snapshot_window = s(input, "SnapshotWindow")
            .map_or_else(|| draw.snapshot_window(&maintenance_window), str::to_owned);
        Ok(Self {
            engine,
            engine_version,
            node_type,
            param_group,
            subnet_group,
            port: limits::port(input)?.unwrap_or(engine.default_port()),
            auth_token,
            transit,
            at_rest: input["AtRestEncryptionEnabled"].as_bool().unwrap_or(false),
            security_group_ids: strings(input, "SecurityGroupIds"),
            topic_arn: s(input, "NotificationTopicArn").map(str::to_owned),
            maintenance_window,
            snapshot_window,
            snapshot_retention: input["SnapshotRetentionLimit"].as_i64().unwrap_or(0),
            auto_minor: input["AutoMinorVersionUpgrade"].as_bool().unwrap_or(true),
            log_delivery: log_delivery_of(input),
        })
    }

    /// The record of a new cluster.
    pub fn cluster_record(
        &self,
        cx: &Cx,
        id: &str,
        az: &str,
        rg: Option<&str>,
    ) -> CacheClusterRecord {
        let redis = self.engine != EngineKind::Memcached;
        CacheClusterRecord {
            cache_cluster_id: id.into(),
            cache_node_type: self.node_type.clone(),
            engine_version: self.engine_version.clone(),
            cache_cluster_status: ClusterStatus::Creating,
            preferred_availability_zone: az.into(),
            cache_cluster_create_time: now(),
            preferred_maintenance_window: self.maintenance_window.clone(),
            notification_configuration: self.topic_arn.as_ref().map(|t| Notification {
                topic_arn: t.clone(),
                topic_status: "active".into(),
            }),
            cache_parameter_group: ParameterGroupStatus {
                cache_parameter_group_name: self.param_group.clone(),
                parameter_apply_status: ApplyStatus::InSync,
                cache_node_ids_to_reboot: vec![],
            },
            cache_subnet_group_name: self.subnet_group.clone(),
            auto_minor_version_upgrade: self.auto_minor,
            security_groups: (!self.security_group_ids.is_empty())
                .then(|| SecurityGroupMembership::active(&self.security_group_ids)),
            replication_group_id: rg.map(str::to_owned),
            snapshot_retention_limit: redis.then_some(self.snapshot_retention),
            snapshot_window: redis.then(|| self.snapshot_window.clone()),
            auth_token_enabled: redis.then_some(self.auth_token.is_some()),
            auth_token_last_modified_date: None,
            transit_encryption_enabled: self.transit,
            at_rest_encryption_enabled: self.at_rest,
            arn: cx.arn("cluster", id),
            replication_group_log_delivery_enabled: rg.is_some(),
            log_delivery_configurations: self.log_delivery.clone(),
            configuration_endpoint: None,
        }
    }
}

fn engine_of(input: &Value, default_engine: &str) -> ApiResult<EngineKind> {
    let engine_name = s(input, "Engine").unwrap_or(default_engine);
    EngineKind::parse(engine_name).ok_or_else(|| {
        ApiError::invalid_value(format!(
            "Invalid value '{engine_name}' for Engine. Valid values are: redis, valkey, memcached."
        ))
    })
}

fn node_type_of(input: &Value, engine: EngineKind, version: &str) -> ApiResult<String> {
    // AWS's text for a missing type, as recorded in getmoto/moto#9402.
    let node_type = s(input, "CacheNodeType").ok_or_else(|| {
        ApiError::invalid_value(
            "The parameter CacheNodeType must be provided and must not be null.",
        )
    })?;
    check_node_type(engine, version, node_type)?;
    Ok(node_type.to_string())
}

/// A node type AWS offers for the engine at that version. (The wording of these two refusals
/// is ours: AWS's is not recorded in its documentation or public threads.)
pub fn check_node_type(engine: EngineKind, version: &str, node_type: &str) -> ApiResult<()> {
    match catalog::node_type_offered(engine, version, node_type) {
        None => Err(ApiError::invalid_value(format!(
            "Invalid Cache Node Type: {node_type}"
        ))),
        Some(false) => Err(ApiError::invalid_combination(format!(
            "Cache node type {node_type} is not supported for {} version {version}.",
            engine.as_str()
        ))),
        Some(true) => Ok(()),
    }
}

/// The named parameter group (which must exist and be of the version's family), else the
/// family's default (its `.cluster.on` one in cluster mode).
fn param_group_of(cx: &Cx, input: &Value, family: &str) -> ApiResult<String> {
    let cluster_mode =
        input["NumNodeGroups"].as_i64().is_some_and(|n| n > 1) || input["ClusterMode"] == "enabled";
    let Some(pg) = s(input, "CacheParameterGroupName") else {
        return Ok(catalog::default_group(family, cluster_mode));
    };
    check_family(cx, pg, family)?;
    Ok(pg.to_string())
}

/// A parameter group must exist and be of `family`. AWS's text, as its users recorded it:
/// `InvalidParameterCombination: Expected a parameter group of family redis7 but found one of
/// family redis5.0` (hashicorp/terraform-provider-aws#27709, #7033).
pub fn check_family(cx: &Cx, pg: &str, family: &str) -> ApiResult<()> {
    let pg_family =
        crate::elasticache::domain::groups::param_group_family(cx, pg).ok_or_else(|| {
            ApiError::new(
                "CacheParameterGroupNotFound",
                format!("CacheParameterGroup {pg} not found."),
            )
        })?;
    if pg_family != family {
        return Err(ApiError::invalid_combination(format!(
            "Expected a parameter group of family {family} but found one of family {pg_family}"
        )));
    }
    Ok(())
}

fn subnet_group_of(cx: &Cx, input: &Value) -> ApiResult<String> {
    let subnet_group = s(input, "CacheSubnetGroupName").unwrap_or("default");
    if subnet_group != "default" && !cx.st.subnet_groups.contains_key(subnet_group) {
        return Err(ApiError::new(
            "CacheSubnetGroupNotFoundFault",
            format!("CacheSubnetGroup {subnet_group} not found."),
        ));
    }
    Ok(subnet_group.to_string())
}

/// AUTH tokens are for redis and valkey only, and must satisfy AWS's rules.
fn auth_token_of(input: &Value, engine: EngineKind) -> ApiResult<Option<String>> {
    let auth_token = s(input, "AuthToken").map(str::to_owned);
    if auth_token.is_some() && engine == EngineKind::Memcached {
        return Err(ApiError::invalid_combination(
            "AuthToken is only supported for the redis and valkey engines.",
        ));
    }
    if let Some(t) = &auth_token {
        limits::auth_token(t)?;
    }
    Ok(auth_token)
}

/// The enabled log deliveries, as the API reports them (`active`).
fn log_delivery_of(input: &Value) -> Vec<LogDelivery> {
    let text = |l: &Value, k: &str| l.get(k).and_then(Value::as_str).map(str::to_owned);
    input["LogDeliveryConfigurations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["Enabled"].as_bool() != Some(false))
        .map(|l| LogDelivery {
            log_type: text(l, "LogType"),
            destination_type: text(l, "DestinationType"),
            destination_details: l.get("DestinationDetails").cloned(),
            log_format: text(l, "LogFormat"),
            status: "active".into(),
        })
        .collect()
}

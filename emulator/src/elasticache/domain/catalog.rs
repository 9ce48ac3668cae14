//! Static facts of the service: engine versions and parameter group families, node types,
//! the parameter catalog per engine, reserved node offerings and service updates.

use serde_json::{json, Value};

use crate::elasticache::runtime::EngineKind;

/// (engine, version as DescribeCacheEngineVersions lists it and a create names it, family).
/// From Redis OSS 6 on and for Valkey, AWS offers one version per minor release and runs its
/// latest patch (see `PATCH_RELEASES`). Sources: "Supported engines and versions"
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html) and
/// "Engine versions and upgrading"
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html).
pub const ENGINE_VERSIONS: &[(&str, &str, &str)] = &[
    ("memcached", "1.4.5", "memcached1.4"),
    ("memcached", "1.4.14", "memcached1.4"),
    ("memcached", "1.4.24", "memcached1.4"),
    ("memcached", "1.4.33", "memcached1.4"),
    ("memcached", "1.4.34", "memcached1.4"),
    ("memcached", "1.5.10", "memcached1.5"),
    ("memcached", "1.5.16", "memcached1.5"),
    ("memcached", "1.6.6", "memcached1.6"),
    ("memcached", "1.6.12", "memcached1.6"),
    ("memcached", "1.6.17", "memcached1.6"),
    ("memcached", "1.6.22", "memcached1.6"),
    ("redis", "2.6.13", "redis2.6"),
    ("redis", "2.8.19", "redis2.8"),
    ("redis", "2.8.21", "redis2.8"),
    ("redis", "2.8.22", "redis2.8"),
    ("redis", "2.8.23", "redis2.8"),
    ("redis", "2.8.24", "redis2.8"),
    ("redis", "2.8.6", "redis2.8"),
    ("redis", "3.2.10", "redis3.2"),
    ("redis", "3.2.4", "redis3.2"),
    ("redis", "3.2.6", "redis3.2"),
    ("redis", "4.0.10", "redis4.0"),
    ("redis", "5.0.0", "redis5.0"),
    ("redis", "5.0.3", "redis5.0"),
    ("redis", "5.0.4", "redis5.0"),
    ("redis", "5.0.5", "redis5.0"),
    ("redis", "5.0.6", "redis5.0"),
    ("redis", "6.0", "redis6.x"),
    ("redis", "6.2", "redis6.x"),
    ("redis", "7.0", "redis7"),
    ("redis", "7.1", "redis7"),
    ("valkey", "7.2", "valkey7"),
    ("valkey", "8.0", "valkey8"),
    ("valkey", "8.1", "valkey8"),
    ("valkey", "8.2", "valkey8"),
    ("valkey", "9.0", "valkey9"),
    ("valkey", "9.1", "valkey9"),
];

/// What `6.x` names: Redis OSS 6 as AWS first offered it, 6.0 (hashicorp/terraform-provider-aws#28877:
/// "6.x ( 6.0.x in the real version )").
pub const REDIS_6X: &str = "6.0";

/// The patch release AWS runs for each major.minor version it offers (what a cluster,
/// its snapshots and events report as EngineVersion; Terraform's `engine_version_actual`).
/// Redis OSS: 6.0.5, 6.2.6, 7.0.7 and 7.1.0 as AWS's version pages and its users' recorded
/// responses show them (e.g. hashicorp/terraform-provider-aws#28877, pulumi/pulumi#13044);
/// Valkey: the release each ElastiCache version page links (valkey-io/valkey releases).
pub const PATCH_RELEASES: &[(&str, &str, &str)] = &[
    ("redis", "6.0", "6.0.5"),
    ("redis", "6.2", "6.2.6"),
    ("redis", "7.0", "7.0.7"),
    ("redis", "7.1", "7.1.0"),
    ("valkey", "7.2", "7.2.6"),
    ("valkey", "8.0", "8.0.1"),
    ("valkey", "8.1", "8.1.0"),
    ("valkey", "8.2", "8.2.0"),
    ("valkey", "9.0", "9.0.0"),
    ("valkey", "9.1", "9.1.0"),
];

/// Engine version used when a create call names none: like AWS, the latest one offered for the
/// engine (Redis OSS 7.1, Valkey 9.1, Memcached 1.6.22). Corpus examples recorded when 5.0.5
/// was the redis default name their version in their fixtures.
pub fn default_version(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Redis => "7.1",
        EngineKind::Valkey => "9.1",
        EngineKind::Memcached => "1.6.22",
    }
}

/// The family of a version as listed (`7.1`, `5.0.6`) or as a cluster runs it (`7.1.0`).
pub fn family_of(engine: &str, version: &str) -> Option<&'static str> {
    let engine = engine.to_ascii_lowercase();
    let listed = listed_version(&engine, version);
    ENGINE_VERSIONS
        .iter()
        .find(|(e, v, _)| *e == engine && *v == listed)
        .map(|(_, _, f)| *f)
}

/// The patch release a listed version runs (itself when AWS offers patch versions).
pub fn actual_version<'v>(engine: &str, listed: &'v str) -> &'v str {
    PATCH_RELEASES
        .iter()
        .find(|(e, l, _)| *e == engine && *l == listed)
        .map_or(listed, |(_, _, a)| a)
}

/// The listed version a cluster's running version belongs to (`7.1.0` is `7.1`); other
/// versions are returned as they are.
pub fn listed_version<'v>(engine: &str, version: &'v str) -> &'v str {
    if engine == "redis" && version == "6.x" {
        return REDIS_6X;
    }
    PATCH_RELEASES
        .iter()
        .find(|(e, _, a)| *e == engine && *a == version)
        .map_or(version, |(_, l, _)| l)
}

pub fn families() -> Vec<&'static str> {
    let mut f: Vec<&str> = ENGINE_VERSIONS.iter().map(|(_, _, f)| *f).collect();
    f.dedup();
    f
}

/// The lowest engine version of a family (what parameters report as MinimumEngineVersion).
pub fn family_min_version(family: &str) -> &'static str {
    match family {
        "redis2.6" => "2.6.13",
        "redis2.8" => "2.8.6",
        "redis3.2" => "3.2.4",
        "redis4.0" => "4.0.10",
        "redis5.0" => "5.0.0",
        "redis6.x" => "6.0.0",
        "redis7" => "7.0.0",
        "valkey7" => "7.2.0",
        "valkey8" => "8.0.0",
        "valkey9" => "9.0.0",
        "memcached1.4" => "1.4.5",
        "memcached1.5" => "1.5.10",
        _ => "1.6.6",
    }
}

/// Default parameter group of a family: `default.redis5.0`, or `default.redis5.0.cluster.on`.
pub fn default_group(family: &str, cluster_mode: bool) -> String {
    if cluster_mode {
        format!("default.{family}.cluster.on")
    } else {
        format!("default.{family}")
    }
}

/// One engine parameter as ElastiCache reports it.
#[derive(Clone, Copy)]
struct P {
    name: &'static str,
    default: &'static str,
    data_type: &'static str,
    allowed: &'static str,
    /// As reported for the engine defaults (and default groups).
    modifiable: bool,
    /// As reported in a user's group: some reboot-only parameters become modifiable there.
    custom_modifiable: bool,
    change: &'static str,
    description: &'static str,
    /// When later than the family's first version.
    min_version: Option<&'static str>,
}

/// ElastiCache's redis parameter catalog (names, defaults, ranges and rules as the service
/// reports them for redis5.0; older families share it).
#[rustfmt::skip]
const REDIS_PARAMS: &[P] = &[
    P { name: "activedefrag", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Enabled active memory defragmentation", min_version: None },
    P { name: "active-defrag-cycle-max", default: "75", data_type: "integer", allowed: "1-75", modifiable: true, custom_modifiable: true, change: "immediate", description: "Maximal effort for defrag in CPU percentage", min_version: None },
    P { name: "active-defrag-cycle-min", default: "5", data_type: "integer", allowed: "1-75", modifiable: true, custom_modifiable: true, change: "immediate", description: "Minimal effort for defrag in CPU percentage", min_version: None },
    P { name: "active-defrag-ignore-bytes", default: "104857600", data_type: "integer", allowed: "1048576-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Minimum amount of fragmentation waste to start active defrag", min_version: None },
    P { name: "active-defrag-max-scan-fields", default: "1000", data_type: "integer", allowed: "1-1000000", modifiable: true, custom_modifiable: true, change: "immediate", description: "Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan", min_version: None },
    P { name: "active-defrag-threshold-lower", default: "10", data_type: "integer", allowed: "1-100", modifiable: true, custom_modifiable: true, change: "immediate", description: "Minimum percentage of fragmentation to start active defrag", min_version: None },
    P { name: "active-defrag-threshold-upper", default: "100", data_type: "integer", allowed: "1-100", modifiable: true, custom_modifiable: true, change: "immediate", description: "Maximum percentage of fragmentation at which we use maximum effort", min_version: None },
    P { name: "activerehashing", default: "yes", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: true, change: "requires-reboot", description: "Apply rehashing or not.", min_version: None },
    P { name: "appendfsync", default: "everysec", data_type: "string", allowed: "always,everysec,no", modifiable: false, custom_modifiable: false, change: "immediate", description: "fsync policy for AOF persistence", min_version: None },
    P { name: "appendonly", default: "no", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: false, change: "immediate", description: "Enable Redis persistence.", min_version: None },
    P { name: "client-output-buffer-limit-normal-hard-limit", default: "0", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Normal client output buffer hard limit in bytes.", min_version: None },
    P { name: "client-output-buffer-limit-normal-soft-limit", default: "0", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Normal client output buffer soft limit in bytes.", min_version: None },
    P { name: "client-output-buffer-limit-normal-soft-seconds", default: "0", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Normal client output buffer soft limit in seconds.", min_version: None },
    P { name: "client-output-buffer-limit-pubsub-hard-limit", default: "33554432", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Pubsub client output buffer hard limit in bytes.", min_version: None },
    P { name: "client-output-buffer-limit-pubsub-soft-limit", default: "8388608", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Pubsub client output buffer soft limit in bytes.", min_version: None },
    P { name: "client-output-buffer-limit-pubsub-soft-seconds", default: "60", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Pubsub client output buffer soft limit in seconds.", min_version: None },
    P { name: "client-output-buffer-limit-replica-soft-seconds", default: "60", data_type: "integer", allowed: "0-", modifiable: false, custom_modifiable: false, change: "immediate", description: "Replica client output buffer soft limit in seconds.", min_version: None },
    P { name: "client-query-buffer-limit", default: "1073741824", data_type: "integer", allowed: "1048576-1073741824", modifiable: true, custom_modifiable: true, change: "immediate", description: "Max size of a single client query buffer", min_version: None },
    P { name: "close-on-replica-write", default: "yes", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "If enabled, clients who attempt to write to a read-only replica will be disconnected. Applicable to 2.8.23 and higher.", min_version: None },
    P { name: "cluster-enabled", default: "no", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: true, change: "requires-reboot", description: "Enable cluster mode", min_version: None },
    P { name: "cluster-require-full-coverage", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Whether cluster becomes unavailable if one or more slots are not covered", min_version: None },
    P { name: "databases", default: "16", data_type: "integer", allowed: "1-1200000", modifiable: false, custom_modifiable: true, change: "requires-reboot", description: "Set the number of databases.", min_version: None },
    P { name: "hash-max-ziplist-entries", default: "512", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of hash entries in order for the dataset to be compressed.", min_version: None },
    P { name: "hash-max-ziplist-value", default: "64", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The threshold of biggest hash entries in order for the dataset to be compressed.", min_version: None },
    P { name: "hll-sparse-max-bytes", default: "3000", data_type: "integer", allowed: "1-16000", modifiable: true, custom_modifiable: true, change: "immediate", description: "HyperLogLog sparse representation bytes limit", min_version: None },
    P { name: "lazyfree-lazy-eviction", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Perform an asynchronous delete on evictions", min_version: None },
    P { name: "lazyfree-lazy-expire", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Perform an asynchronous delete on expired keys", min_version: None },
    P { name: "lazyfree-lazy-server-del", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Perform an asynchronous delete on key updates", min_version: None },
    P { name: "lfu-decay-time", default: "1", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The amount of time in minutes to decrement the key counter for LFU eviction policy", min_version: None },
    P { name: "lfu-log-factor", default: "10", data_type: "integer", allowed: "1-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The log factor for incrementing key counter for LFU eviction policy", min_version: None },
    P { name: "list-compress-depth", default: "0", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Number of quicklist ziplist nodes from each side of the list to exclude from compression. The head and tail of the list are always uncompressed for fast push/pop operations", min_version: None },
    P { name: "list-max-ziplist-size", default: "-2", data_type: "integer", allowed: "-5,-4,-3,-2,-1,1-", modifiable: false, custom_modifiable: false, change: "immediate", description: "The number of entries allowed per internal list node can be specified as a fixed maximum size or a maximum number of elements", min_version: None },
    P { name: "lua-replicate-commands", default: "yes", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Always enable Lua effect replication or not", min_version: None },
    P { name: "lua-time-limit", default: "5000", data_type: "integer", allowed: "5000", modifiable: false, custom_modifiable: false, change: "immediate", description: "Max execution time of a Lua script in milliseconds. 0 for unlimited execution without warnings.", min_version: None },
    P { name: "maxclients", default: "65000", data_type: "integer", allowed: "1-65000", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "The maximum number of Redis clients.", min_version: None },
    P { name: "maxmemory-policy", default: "volatile-lru", data_type: "string", allowed: "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction", modifiable: true, custom_modifiable: true, change: "immediate", description: "Max memory policy.", min_version: None },
    P { name: "maxmemory-samples", default: "3", data_type: "integer", allowed: "1-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Max memory samples.", min_version: None },
    P { name: "min-replicas-max-lag", default: "10", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value of 0 means the master always takes writes.", min_version: None },
    P { name: "min-replicas-to-write", default: "0", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The minimum number of replicas that must be present with lag no greater than min-replicas-max-lag for master to take writes. Setting this to 0 means the master always takes writes.", min_version: None },
    P { name: "notify-keyspace-events", default: "", data_type: "string", allowed: "", modifiable: true, custom_modifiable: true, change: "immediate", description: "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled", min_version: None },
    P { name: "proto-max-bulk-len", default: "536870912", data_type: "integer", allowed: "1048576-536870912", modifiable: true, custom_modifiable: true, change: "immediate", description: "Max size of a single element request", min_version: None },
    P { name: "rename-commands", default: "", data_type: "string", allowed: "APPEND,BITCOUNT,BITFIELD,BITOP,BITPOS,BLPOP,BRPOP,BRPOPLPUSH,BZPOPMIN,BZPOPMAX,CLIENT,COMMAND,DBSIZE,DECR,DECRBY,DEL,DISCARD,DUMP,ECHO,EVAL,EVALSHA,EXEC,EXISTS,EXPIRE,EXPIREAT,FLUSHALL,FLUSHDB,GEOADD,GEOHASH,GEOPOS,GEODIST,GEORADIUS,GEORADIUSBYMEMBER,GET,GETBIT,GETRANGE,GETSET,HDEL,HEXISTS,HGET,HGETALL,HINCRBY,HINCRBYFLOAT,HKEYS,HLEN,HMGET,HMSET,HSET,HSETNX,HSTRLEN,HVALS,INCR,INCRBY,INCRBYFLOAT,INFO,KEYS,LASTSAVE,LINDEX,LINSERT,LLEN,LPOP,LPUSH,LPUSHX,LRANGE,LREM,LSET,LTRIM,MEMORY,MGET,MONITOR,MOVE,MSET,MSETNX,MULTI,OBJECT,PERSIST,PEXPIRE,PEXPIREAT,PFADD,PFCOUNT,PFMERGE,PING,PSETEX,PSUBSCRIBE,PUBSUB,PTTL,PUBLISH,PUNSUBSCRIBE,RANDOMKEY,READONLY,READWRITE,RENAME,RENAMENX,RESTORE,ROLE,RPOP,RPOPLPUSH,RPUSH,RPUSHX,SADD,SCARD,SCRIPT,SDIFF,SDIFFSTORE,SELECT,SET,SETBIT,SETEX,SETNX,SETRANGE,SINTER,SINTERSTORE,SISMEMBER,SLOWLOG,SMEMBERS,SMOVE,SORT,SPOP,SRANDMEMBER,SREM,STRLEN,SUBSCRIBE,SUNION,SUNIONSTORE,SWAPDB,TIME,TOUCH,TTL,TYPE,UNSUBSCRIBE,UNLINK,UNWATCH,WAIT,WATCH,ZADD,ZCARD,ZCOUNT,ZINCRBY,ZINTERSTORE,ZLEXCOUNT,ZPOPMAX,ZPOPMIN,ZRANGE,ZRANGEBYLEX,ZREVRANGEBYLEX,ZRANGEBYSCORE,ZRANK,ZREM,ZREMRANGEBYLEX,ZREMRANGEBYRANK,ZREMRANGEBYSCORE,ZREVRANGE,ZREVRANGEBYSCORE,ZREVRANK,ZSCORE,ZUNIONSTORE,SCAN,SSCAN,HSCAN,ZSCAN,XINFO,XADD,XTRIM,XDEL,XRANGE,XREVRANGE,XLEN,XREAD,XGROUP,XREADGROUP,XACK,XCLAIM,XPENDING,GEORADIUS_RO,GEORADIUSBYMEMBER_RO,LOLWUT,XSETID,SUBSTR", modifiable: true, custom_modifiable: true, change: "immediate", description: "Redis commands that can be dynamically renamed by the customer", min_version: Some("5.0.3") },
    P { name: "repl-backlog-size", default: "1048576", data_type: "integer", allowed: "16384-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates slave data when slave is disconnected for some time, so that when slave reconnects again, only transfer the portion of data which the slave missed. Minimum value is 16K.", min_version: None },
    P { name: "repl-backlog-ttl", default: "3600", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The amount of time in seconds after the master no longer have any slaves connected for the master to free the replication backlog. A value of 0 means to never release the backlog.", min_version: None },
    P { name: "replica-allow-chaining", default: "no", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: false, change: "immediate", description: "Configures if chaining of replicas is allowed", min_version: None },
    P { name: "replica-ignore-maxmemory", default: "yes", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: false, change: "immediate", description: "Determines if replica ignores maxmemory setting by not evicting items independent from the master", min_version: None },
    P { name: "replica-lazy-flush", default: "no", data_type: "string", allowed: "yes,no", modifiable: false, custom_modifiable: false, change: "immediate", description: "Perform an asynchronous flushDB during replica sync", min_version: None },
    P { name: "reserved-memory-percent", default: "25", data_type: "integer", allowed: "0-100", modifiable: true, custom_modifiable: true, change: "immediate", description: "The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.", min_version: None },
    P { name: "set-max-intset-entries", default: "512", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The limit in the size of the set in order for the dataset to be compressed.", min_version: None },
    P { name: "slowlog-log-slower-than", default: "10000", data_type: "integer", allowed: "-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command.", min_version: None },
    P { name: "slowlog-max-len", default: "128", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET.", min_version: None },
    P { name: "stream-node-max-bytes", default: "4096", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum size of a single node in a stream in bytes", min_version: None },
    P { name: "stream-node-max-entries", default: "100", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of items a single node in a stream can contain", min_version: None },
    P { name: "tcp-keepalive", default: "300", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "If non-zero, send ACKs every given number of seconds.", min_version: None },
    P { name: "timeout", default: "0", data_type: "integer", allowed: "0,20-", modifiable: true, custom_modifiable: true, change: "immediate", description: "Close connection if client is idle for a given number of seconds, or never if 0.", min_version: None },
    P { name: "zset-max-ziplist-entries", default: "128", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of sorted set entries in order for the dataset to be compressed.", min_version: None },
    P { name: "zset-max-ziplist-value", default: "64", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The threshold of biggest sorted set entries in order for the dataset to be compressed.", min_version: None },
];

#[rustfmt::skip]
const MEMCACHED_PARAMS: &[P] = &[
    P { name: "backlog_queue_limit", default: "1024", data_type: "integer", allowed: "1-10000", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "The backlog queue limit.", min_version: None },
    P { name: "binding_protocol", default: "auto", data_type: "string", allowed: "auto,binary,ascii", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "Binding protocol.", min_version: None },
    P { name: "cas_disabled", default: "0", data_type: "boolean", allowed: "0,1", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "If true (1), disable the use of CAS.", min_version: None },
    P { name: "chunk_size", default: "48", data_type: "integer", allowed: "1-", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "The minimum amount, in bytes, of space to allocate for the smallest item's key, value, and flags.", min_version: None },
    P { name: "chunk_size_growth_factor", default: "1.25", data_type: "float", allowed: "1-2", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "The growth factor that controls the size of each successive memcached chunk.", min_version: None },
    P { name: "error_on_memory_exhausted", default: "0", data_type: "boolean", allowed: "0,1", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "If true (1), when there is no more memory to store items, memcached will return an error rather than evicting items.", min_version: None },
    P { name: "large_memory_pages", default: "0", data_type: "boolean", allowed: "0,1", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "If true (1), try to use large memory pages.", min_version: None },
    P { name: "lock_down_paged_memory", default: "0", data_type: "boolean", allowed: "0,1", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "If true (1), lock down all paged memory.", min_version: None },
    P { name: "max_item_size", default: "1048576", data_type: "integer", allowed: "1048576-134217728", modifiable: true, custom_modifiable: true, change: "requires-reboot", description: "The size of the largest item storable in the cache, in bytes.", min_version: None },
    P { name: "max_simultaneous_connections", default: "65000", data_type: "integer", allowed: "3-65000", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "The maximum number of simultaneous connections.", min_version: None },
    P { name: "maximize_core_file_limit", default: "0", data_type: "boolean", allowed: "0,1", modifiable: false, custom_modifiable: false, change: "requires-reboot", description: "If true (1), maximize the core file limit.", min_version: None },
    P { name: "memcached_connections_overhead", default: "100", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The amount of memory to be reserved for memcached connections and other miscellaneous overhead.", min_version: None },
];

/// Order of the Redis OSS families (Valkey's continue Redis OSS 7's catalog).
fn redis_rank(family: &str) -> u8 {
    match family {
        "redis2.6" => 0,
        "redis2.8" => 1,
        "redis3.2" => 2,
        "redis4.0" => 3,
        "redis5.0" => 4,
        "redis6.x" => 5,
        _ => 6,
    }
}

/// The family each parameter first appears in, where later than redis2.6, per AWS's
/// "Redis OSS-specific parameters" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html):
/// "Redis OSS 2.8.x added", "3.2.4 added", "4.0.10 added", "5.0.0 added" sections.
const INTRODUCED: &[(&str, &str)] = &[
    ("notify-keyspace-events", "redis2.8"),
    ("repl-backlog-size", "redis2.8"),
    ("repl-backlog-ttl", "redis2.8"),
    ("min-replicas-max-lag", "redis2.8"),
    ("min-replicas-to-write", "redis2.8"),
    ("close-on-replica-write", "redis2.8"),
    ("hll-sparse-max-bytes", "redis2.8"),
    ("cluster-enabled", "redis3.2"),
    ("cluster-require-full-coverage", "redis3.2"),
    ("list-max-ziplist-size", "redis3.2"),
    ("list-compress-depth", "redis3.2"),
    ("activedefrag", "redis4.0"),
    ("active-defrag-cycle-max", "redis4.0"),
    ("active-defrag-cycle-min", "redis4.0"),
    ("active-defrag-ignore-bytes", "redis4.0"),
    ("active-defrag-threshold-lower", "redis4.0"),
    ("active-defrag-threshold-upper", "redis4.0"),
    ("client-query-buffer-limit", "redis4.0"),
    ("proto-max-bulk-len", "redis4.0"),
    ("lazyfree-lazy-eviction", "redis4.0"),
    ("lazyfree-lazy-expire", "redis4.0"),
    ("lazyfree-lazy-server-del", "redis4.0"),
    ("lfu-decay-time", "redis4.0"),
    ("lfu-log-factor", "redis4.0"),
    ("replica-lazy-flush", "redis4.0"),
    ("active-defrag-max-scan-fields", "redis5.0"),
    ("lua-replicate-commands", "redis5.0"),
    ("replica-ignore-maxmemory", "redis5.0"),
    ("rename-commands", "redis5.0"),
    ("stream-node-max-bytes", "redis5.0"),
    ("stream-node-max-entries", "redis5.0"),
];

/// Names Redis OSS 5.0 changed: before redis5.0 the families report the `slave` names (same
/// page, "Redis OSS 5.0.0 parameter changes": "renamed ... slave ... to replica").
const BEFORE_REPLICA_NAMES: &[(&str, &str)] = &[
    (
        "client-output-buffer-limit-replica-soft-seconds",
        "client-output-buffer-limit-slave-soft-seconds",
    ),
    ("close-on-replica-write", "close-on-slave-write"),
    ("min-replicas-max-lag", "min-slaves-max-lag"),
    ("min-replicas-to-write", "min-slaves-to-write"),
    ("replica-allow-chaining", "slave-allow-chaining"),
    ("replica-lazy-flush", "slave-lazy-flush"),
    // Node-type specific (`node_type_specific`).
    (
        "client-output-buffer-limit-replica-hard-limit",
        "client-output-buffer-limit-slave-hard-limit",
    ),
    (
        "client-output-buffer-limit-replica-soft-limit",
        "client-output-buffer-limit-slave-soft-limit",
    ),
];

/// Parameters later families add (same page: "Redis OSS 6.x parameter changes", "Redis OSS
/// 7 parameter changes"), with the family they start in.
#[rustfmt::skip]
const LATER_PARAMS: &[(&str, P)] = &[
    ("redis6.x", P { name: "acllog-max-len", default: "128", data_type: "integer", allowed: "1-10000", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of entries in the ACL log.", min_version: Some("6.0.0") }),
    ("redis6.x", P { name: "tracking-table-max-keys", default: "1000000", data_type: "integer", allowed: "1-100000000", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of keys in the invalidation table of client-side caching.", min_version: Some("6.0.0") }),
    ("redis7", P { name: "acl-pubsub-default", default: "allchannels", data_type: "string", allowed: "resetchannels,allchannels", modifiable: true, custom_modifiable: true, change: "immediate", description: "The default pubsub channel permissions for ACL users.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "cluster-allow-pubsubshard-when-down", default: "yes", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Whether shard pubsub works while the cluster is down.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "latency-tracking", default: "no", data_type: "string", allowed: "yes,no", modifiable: true, custom_modifiable: true, change: "immediate", description: "Whether the latency of commands is tracked.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "hash-max-listpack-entries", default: "512", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of hash entries in order for the dataset to be compressed.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "hash-max-listpack-value", default: "64", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The threshold of biggest hash entries in order for the dataset to be compressed.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "zset-max-listpack-entries", default: "128", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The maximum number of sorted set entries in order for the dataset to be compressed.", min_version: Some("7.0.0") }),
    ("redis7", P { name: "zset-max-listpack-value", default: "64", data_type: "integer", allowed: "0-", modifiable: true, custom_modifiable: true, change: "immediate", description: "The threshold of biggest sorted set entries in order for the dataset to be compressed.", min_version: Some("7.0.0") }),
];

/// The parameter catalog of a family: the redis5.0 catalog less what a family predates, with
/// the `slave` names before 5.0 and the parameters later families add.
fn table(family: &str) -> Vec<P> {
    if family.starts_with("memcached") {
        return MEMCACHED_PARAMS.to_vec();
    }
    let rank = redis_rank(family);
    let mut out: Vec<P> = REDIS_PARAMS
        .iter()
        .filter(|p| {
            INTRODUCED
                .iter()
                .find(|(n, _)| *n == p.name)
                .is_none_or(|(_, f)| redis_rank(f) <= rank)
        })
        .map(|p| {
            let mut p = *p;
            if rank < redis_rank("redis5.0") {
                if let Some((_, old)) = BEFORE_REPLICA_NAMES.iter().find(|(n, _)| *n == p.name) {
                    p.name = old;
                }
            }
            p
        })
        .collect();
    out.extend(
        LATER_PARAMS
            .iter()
            .filter(|(f, _)| redis_rank(f) <= rank)
            .map(|(_, p)| *p),
    );
    out
}

/// The parameters of a family. In a user's group (`custom`), modifiable parameters report
/// source `user`; `overrides` replace defaults.
pub fn parameters(
    family: &str,
    overrides: &std::collections::BTreeMap<String, String>,
    custom: bool,
) -> Vec<Value> {
    let min = family_min_version(family);
    table(family)
        .into_iter()
        .map(|p| {
            let modifiable = if custom {
                p.custom_modifiable
            } else {
                p.modifiable
            };
            let value = overrides
                .get(p.name)
                .map(String::as_str)
                .unwrap_or(p.default);
            // A parameter newer than its family's first version names its own.
            let min_version = match p.min_version {
                Some(v) if v > min => v,
                _ => min,
            };
            json!({
                "ParameterName": p.name,
                "ParameterValue": value,
                "Description": p.description,
                "Source": if custom && modifiable { "user" } else { "system" },
                "DataType": p.data_type,
                "AllowedValues": p.allowed,
                "IsModifiable": modifiable,
                "MinimumEngineVersion": min_version,
                "ChangeType": p.change,
            })
        })
        .collect()
}

pub fn parameter_change_type(family: &str, name: &str) -> Option<&'static str> {
    table(family)
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.change)
}

pub fn parameter_default(family: &str, name: &str) -> Option<&'static str> {
    table(family)
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.default)
}

/// Whether `value` fits the parameter's DataType and AllowedValues as the catalog reports
/// them ("1-75", "0,20-", "-5,-4,-3,-2,-1,1-", "yes,no"; empty allows anything). Err holds
/// the refusal's message (our wording: AWS's is not recorded publicly).
pub fn check_value(family: &str, name: &str, value: &str) -> Result<(), String> {
    let Some(p) = table(family).into_iter().find(|p| p.name == name) else {
        return Ok(());
    };
    let refuse = || {
        Err(format!(
            "Value {value} for parameter {name} is invalid: the {} values allowed are {}.",
            p.data_type, p.allowed
        ))
    };
    let items = || p.allowed.split(',').map(str::trim);
    match p.data_type {
        "integer" | "float" => {
            let Ok(v) = value.trim().parse::<f64>() else {
                return refuse();
            };
            if p.data_type == "integer" && v.fract() != 0.0 {
                return refuse();
            }
            if p.allowed.is_empty() || items().any(|item| in_item(item, v)) {
                Ok(())
            } else {
                refuse()
            }
        }
        _ => {
            if p.allowed.is_empty() || items().any(|item| item == value) {
                Ok(())
            } else {
                refuse()
            }
        }
    }
}

/// One AllowedValues item: a number, `lo-hi` or `lo-` (a leading `-` is a sign).
fn in_item(item: &str, v: f64) -> bool {
    let split = item
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '-')
        .map(|(i, _)| i);
    match split {
        None => item.parse::<f64>().is_ok_and(|x| x == v),
        Some(i) => {
            let (lo, hi) = (&item[..i], &item[i + 1..]);
            let lo_ok = lo.parse::<f64>().is_ok_and(|lo| v >= lo);
            let hi_ok = hi.is_empty() || hi.parse::<f64>().is_ok_and(|hi| v <= hi);
            lo_ok && hi_ok
        }
    }
}

/// Whether a parameter exists in the family, and if a user's group may change it.
pub fn parameter_known(family: &str, name: &str) -> Option<bool> {
    table(family)
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.custom_modifiable)
}

/// Node types with their memory in GiB: every type the API model's CacheNode documentation
/// lists (botocore `elasticache/2015-02-02`, shape CacheNode: current and previous
/// generations), memory as AWS's "Supported node types" page gives it
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html).
pub const NODE_TYPES: &[(&str, f64)] = &[
    ("cache.c1.xlarge", 6.6),
    ("cache.m1.large", 7.1),
    ("cache.m1.medium", 3.35),
    ("cache.m1.small", 1.3),
    ("cache.m1.xlarge", 14.6),
    ("cache.m2.2xlarge", 33.8),
    ("cache.m2.4xlarge", 68.0),
    ("cache.m2.xlarge", 16.7),
    ("cache.m3.2xlarge", 27.9),
    ("cache.m3.large", 6.05),
    ("cache.m3.medium", 2.78),
    ("cache.m3.xlarge", 13.3),
    ("cache.m4.10xlarge", 154.64),
    ("cache.m4.2xlarge", 29.7),
    ("cache.m4.4xlarge", 60.78),
    ("cache.m4.large", 6.42),
    ("cache.m4.xlarge", 14.28),
    ("cache.m5.12xlarge", 157.12),
    ("cache.m5.24xlarge", 314.32),
    ("cache.m5.2xlarge", 26.04),
    ("cache.m5.4xlarge", 52.26),
    ("cache.m5.large", 6.38),
    ("cache.m5.xlarge", 12.93),
    ("cache.m6g.12xlarge", 157.12),
    ("cache.m6g.16xlarge", 209.55),
    ("cache.m6g.2xlarge", 26.04),
    ("cache.m6g.4xlarge", 52.26),
    ("cache.m6g.8xlarge", 103.68),
    ("cache.m6g.large", 6.38),
    ("cache.m6g.xlarge", 12.93),
    ("cache.m7g.12xlarge", 157.12),
    ("cache.m7g.16xlarge", 209.55),
    ("cache.m7g.2xlarge", 26.04),
    ("cache.m7g.4xlarge", 52.26),
    ("cache.m7g.8xlarge", 103.68),
    ("cache.m7g.large", 6.38),
    ("cache.m7g.xlarge", 12.93),
    ("cache.r3.2xlarge", 58.2),
    ("cache.r3.4xlarge", 118.0),
    ("cache.r3.8xlarge", 237.0),
    ("cache.r3.large", 13.5),
    ("cache.r3.xlarge", 28.4),
    ("cache.r4.16xlarge", 407.0),
    ("cache.r4.2xlarge", 50.47),
    ("cache.r4.4xlarge", 101.38),
    ("cache.r4.8xlarge", 203.26),
    ("cache.r4.large", 12.3),
    ("cache.r4.xlarge", 25.05),
    ("cache.r5.12xlarge", 317.77),
    ("cache.r5.24xlarge", 635.61),
    ("cache.r5.2xlarge", 52.82),
    ("cache.r5.4xlarge", 105.81),
    ("cache.r5.large", 13.07),
    ("cache.r5.xlarge", 26.32),
    ("cache.r6g.12xlarge", 317.77),
    ("cache.r6g.16xlarge", 419.09),
    ("cache.r6g.2xlarge", 52.82),
    ("cache.r6g.4xlarge", 105.81),
    ("cache.r6g.8xlarge", 209.55),
    ("cache.r6g.large", 13.07),
    ("cache.r6g.xlarge", 26.32),
    ("cache.r7g.12xlarge", 317.77),
    ("cache.r7g.16xlarge", 419.09),
    ("cache.r7g.2xlarge", 52.82),
    ("cache.r7g.4xlarge", 105.81),
    ("cache.r7g.8xlarge", 209.55),
    ("cache.r7g.large", 13.07),
    ("cache.r7g.xlarge", 26.32),
    ("cache.t1.micro", 0.213),
    ("cache.t2.medium", 3.22),
    ("cache.t2.micro", 0.555),
    ("cache.t2.small", 1.55),
    ("cache.t3.medium", 3.09),
    ("cache.t3.micro", 0.5),
    ("cache.t3.small", 1.37),
    ("cache.t4g.medium", 3.09),
    ("cache.t4g.micro", 0.5),
    ("cache.t4g.small", 1.37),
];

/// AWS's own per-node-type values for the parameters whose value depends on the node type
/// (CacheNodeTypeSpecificParameters). They are not the memory above converted (maxmemory of
/// cache.m1.small is 943718400 bytes, 900 MiB of its 1.3 GiB).
///
/// Redis OSS (and Valkey) `maxmemory`, in bytes: AWS's "Engine specific parameters" page,
/// "Redis OSS node-type specific parameters"
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html#ParameterGroups.Redis.NodeSpecific;
/// its "Valkey node-type specific parameters" table gives the same values for the types it
/// lists). The 26 types of botocore's recorded DescribeEngineDefaultParameters response
/// (`elasticache/2015-02-02/examples-1.json`, family redis2.8) carry the same values.
/// Every type of `NODE_TYPES` is listed; a type missing here falls back to its memory above.
const REDIS_MAXMEMORY: &[(&str, u64)] = &[
    ("cache.c1.xlarge", 6_501_171_200),
    ("cache.m1.large", 7_025_459_200),
    ("cache.m1.medium", 3_093_299_200),
    ("cache.m1.small", 943_718_400),
    ("cache.m1.xlarge", 14_889_779_200),
    ("cache.m2.2xlarge", 35_022_438_400),
    ("cache.m2.4xlarge", 70_883_737_600),
    ("cache.m2.xlarge", 17_091_788_800),
    ("cache.m3.2xlarge", 29_989_273_600),
    ("cache.m3.large", 6_501_171_200),
    ("cache.m3.medium", 2_988_441_600),
    ("cache.m3.xlarge", 14_260_633_600),
    ("cache.m4.10xlarge", 166_047_614_239),
    ("cache.m4.2xlarge", 31_889_126_359),
    ("cache.m4.4xlarge", 65_257_290_629),
    ("cache.m4.large", 6_892_593_152),
    ("cache.m4.xlarge", 15_328_501_760),
    ("cache.m5.12xlarge", 168_715_971_994),
    ("cache.m5.24xlarge", 337_500_562_842),
    ("cache.m5.2xlarge", 27_966_669_210),
    ("cache.m5.4xlarge", 56_116_178_125),
    ("cache.m5.large", 6_854_542_746),
    ("cache.m5.xlarge", 13_891_921_715),
    ("cache.m6g.12xlarge", 168_715_971_994),
    ("cache.m6g.16xlarge", 225_000_375_228),
    ("cache.m6g.2xlarge", 27_966_669_210),
    ("cache.m6g.4xlarge", 56_116_178_125),
    ("cache.m6g.8xlarge", 111_325_552_312),
    ("cache.m6g.large", 6_854_542_746),
    ("cache.m6g.xlarge", 13_891_921_715),
    ("cache.m7g.12xlarge", 168_715_971_994),
    ("cache.m7g.16xlarge", 225_000_375_228),
    ("cache.m7g.2xlarge", 27_966_669_210),
    ("cache.m7g.4xlarge", 56_116_178_125),
    ("cache.m7g.8xlarge", 111_325_552_312),
    ("cache.m7g.large", 6_854_542_746),
    ("cache.m7g.xlarge", 13_891_921_715),
    ("cache.r3.2xlarge", 62_495_129_600),
    ("cache.r3.4xlarge", 126_458_265_600),
    ("cache.r3.8xlarge", 254_384_537_600),
    ("cache.r3.large", 14_470_348_800),
    ("cache.r3.xlarge", 30_513_561_600),
    ("cache.r4.16xlarge", 437_021_573_120),
    ("cache.r4.2xlarge", 54_197_537_997),
    ("cache.r4.4xlarge", 108_858_546_586),
    ("cache.r4.8xlarge", 218_255_432_090),
    ("cache.r4.large", 13_201_781_556),
    ("cache.r4.xlarge", 26_898_228_839),
    ("cache.r5.12xlarge", 341_206_346_547),
    ("cache.r5.24xlarge", 682_485_973_811),
    ("cache.r5.2xlarge", 56_711_183_565),
    ("cache.r5.4xlarge", 113_609_865_216),
    ("cache.r5.large", 14_037_181_030),
    ("cache.r5.xlarge", 28_261_849_702),
    ("cache.r6g.12xlarge", 341_206_346_547),
    ("cache.r6g.16xlarge", 450_000_750_456),
    ("cache.r6g.2xlarge", 56_711_183_565),
    ("cache.r6g.4xlarge", 113_609_865_216),
    ("cache.r6g.8xlarge", 225_000_375_228),
    ("cache.r6g.large", 14_037_181_030),
    ("cache.r6g.xlarge", 28_261_849_702),
    ("cache.r7g.12xlarge", 341_206_346_547),
    ("cache.r7g.16xlarge", 450_000_750_456),
    ("cache.r7g.2xlarge", 56_711_183_565),
    ("cache.r7g.4xlarge", 113_609_865_216),
    ("cache.r7g.8xlarge", 225_000_375_228),
    ("cache.r7g.large", 14_037_181_030),
    ("cache.r7g.xlarge", 28_261_849_702),
    ("cache.t1.micro", 142_606_336),
    ("cache.t2.medium", 3_461_349_376),
    ("cache.t2.micro", 581_959_680),
    ("cache.t2.small", 1_665_138_688),
    ("cache.t3.medium", 3_317_862_236),
    ("cache.t3.micro", 536_870_912),
    ("cache.t3.small", 1_471_026_299),
    ("cache.t4g.medium", 3_317_862_236),
    ("cache.t4g.micro", 536_870_912),
    ("cache.t4g.small", 1_471_026_299),
];

/// Memcached `num_threads` per node type, from the same table of AWS's documentation repository
/// (https://github.com/awsdocs/amazon-elasticache-docs/blob/1d5a03944a242cd749f1eeae87f5a2cec048e9ce/doc_source/memcache/ParameterGroups.Memcached.md,
/// "The following table shows the default values for the max_cache_memory and num_threads
/// parameters for each node type"). Only the types it lists: no value is invented for others.
const MEMCACHED_NUM_THREADS: &[(&str, u64)] = &[
    ("cache.c1.xlarge", 8),
    ("cache.m1.large", 2),
    ("cache.m1.medium", 1),
    ("cache.m1.small", 1),
    ("cache.m1.xlarge", 4),
    ("cache.m2.2xlarge", 4),
    ("cache.m2.4xlarge", 16),
    ("cache.m2.xlarge", 2),
    ("cache.m3.2xlarge", 8),
    ("cache.m3.large", 2),
    ("cache.m3.medium", 1),
    ("cache.m3.xlarge", 4),
    ("cache.m4.10xlarge", 40),
    ("cache.m4.2xlarge", 8),
    ("cache.m4.4xlarge", 16),
    ("cache.m4.large", 2),
    ("cache.m4.xlarge", 4),
    ("cache.m5.12xlarge", 48),
    ("cache.m5.24xlarge", 96),
    ("cache.m5.2xlarge", 8),
    ("cache.m5.4xlarge", 16),
    ("cache.m5.large", 2),
    ("cache.m5.xlarge", 4),
    ("cache.m6g.12xlarge", 48),
    ("cache.m6g.16xlarge", 64),
    ("cache.m6g.2xlarge", 8),
    ("cache.m6g.4xlarge", 16),
    ("cache.m6g.8xlarge", 32),
    ("cache.m6g.large", 2),
    ("cache.m6g.xlarge", 4),
    ("cache.r3.2xlarge", 8),
    ("cache.r3.4xlarge", 16),
    ("cache.r3.8xlarge", 32),
    ("cache.r3.large", 2),
    ("cache.r3.xlarge", 4),
    ("cache.r4.16xlarge", 64),
    ("cache.r4.2xlarge", 8),
    ("cache.r4.4xlarge", 16),
    ("cache.r4.8xlarge", 32),
    ("cache.r4.large", 2),
    ("cache.r4.xlarge", 4),
    ("cache.r5.12xlarge", 48),
    ("cache.r5.24xlarge", 96),
    ("cache.r5.2xlarge", 8),
    ("cache.r5.4xlarge", 16),
    ("cache.r5.large", 2),
    ("cache.r5.xlarge", 4),
    ("cache.r6g.12xlarge", 48),
    ("cache.r6g.16xlarge", 64),
    ("cache.r6g.2xlarge", 8),
    ("cache.r6g.4xlarge", 16),
    ("cache.r6g.8xlarge", 32),
    ("cache.r6g.large", 2),
    ("cache.r6g.xlarge", 4),
    ("cache.t1.micro", 1),
    ("cache.t2.medium", 2),
    ("cache.t2.micro", 1),
    ("cache.t2.small", 1),
    ("cache.t3.medium", 2),
    ("cache.t3.micro", 2),
    ("cache.t3.small", 2),
    ("cache.t4g.medium", 2),
    ("cache.t4g.micro", 2),
    ("cache.t4g.small", 2),
];

/// Memcached `max_cache_memory`, in megabytes: the same page, "Memcached node-type specific
/// parameters"
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html#ParameterGroups.Memcached.NodeSpecific).
/// That page no longer lists the previous generation (T1, M1, M2, M3, C1, R3); their values are
/// from the same table's earlier edition in AWS's documentation repository
/// (https://github.com/awsdocs/amazon-elasticache-docs/blob/1d5a03944a242cd749f1eeae87f5a2cec048e9ce/doc_source/memcache/ParameterGroups.Memcached.md),
/// which gives the current types the values the page gives them. Kept as AWS documents them,
/// including cache.m2.xlarge above cache.m2.2xlarge and cache.r3.8xlarge equal to
/// cache.r3.4xlarge. Every type of `NODE_TYPES` is listed; a type missing here falls back to
/// its memory above.
const MEMCACHED_MAX_CACHE_MEMORY: &[(&str, u64)] = &[
    ("cache.c1.xlarge", 6_600),
    ("cache.m1.large", 7_100),
    ("cache.m1.medium", 3_350),
    ("cache.m1.small", 1_301),
    ("cache.m1.xlarge", 14_600),
    ("cache.m2.2xlarge", 30_412),
    ("cache.m2.4xlarge", 68_000),
    ("cache.m2.xlarge", 33_800),
    ("cache.m3.2xlarge", 28_600),
    ("cache.m3.large", 6_200),
    ("cache.m3.medium", 2_850),
    ("cache.m3.xlarge", 13_600),
    ("cache.m4.10xlarge", 158_355),
    ("cache.m4.2xlarge", 30_412),
    ("cache.m4.4xlarge", 62_234),
    ("cache.m4.large", 6_573),
    ("cache.m4.xlarge", 11_496),
    ("cache.m5.12xlarge", 160_900),
    ("cache.m5.24xlarge", 321_865),
    ("cache.m5.2xlarge", 26_671),
    ("cache.m5.4xlarge", 53_516),
    ("cache.m5.large", 6_537),
    ("cache.m5.xlarge", 13_248),
    ("cache.m6g.12xlarge", 160_900),
    ("cache.m6g.16xlarge", 214_577),
    ("cache.m6g.2xlarge", 26_671),
    ("cache.m6g.4xlarge", 53_516),
    ("cache.m6g.8xlarge", 107_000),
    ("cache.m6g.large", 6_537),
    ("cache.m6g.xlarge", 13_248),
    ("cache.m7g.12xlarge", 160_900),
    ("cache.m7g.16xlarge", 214_577),
    ("cache.m7g.2xlarge", 26_671),
    ("cache.m7g.4xlarge", 53_516),
    ("cache.m7g.8xlarge", 107_000),
    ("cache.m7g.large", 6_537),
    ("cache.m7g.xlarge", 13_248),
    ("cache.r3.2xlarge", 59_600),
    ("cache.r3.4xlarge", 120_600),
    ("cache.r3.8xlarge", 120_600),
    ("cache.r3.large", 13_800),
    ("cache.r3.xlarge", 29_100),
    ("cache.r4.16xlarge", 416_776),
    ("cache.r4.2xlarge", 51_686),
    ("cache.r4.4xlarge", 103_815),
    ("cache.r4.8xlarge", 208_144),
    ("cache.r4.large", 12_590),
    ("cache.r4.xlarge", 25_652),
    ("cache.r5.12xlarge", 325_400),
    ("cache.r5.24xlarge", 650_869),
    ("cache.r5.2xlarge", 54_084),
    ("cache.r5.4xlarge", 108_347),
    ("cache.r5.large", 13_387),
    ("cache.r5.xlarge", 26_953),
    ("cache.r6g.12xlarge", 325_400),
    ("cache.r6g.16xlarge", 429_154),
    ("cache.r6g.2xlarge", 54_084),
    ("cache.r6g.4xlarge", 108_347),
    ("cache.r6g.8xlarge", 214_577),
    ("cache.r6g.large", 13_387),
    ("cache.r6g.xlarge", 26_953),
    ("cache.r7g.12xlarge", 325_400),
    ("cache.r7g.16xlarge", 429_154),
    ("cache.r7g.2xlarge", 54_084),
    ("cache.r7g.4xlarge", 108_347),
    ("cache.r7g.8xlarge", 214_577),
    ("cache.r7g.large", 13_387),
    ("cache.r7g.xlarge", 26_953),
    ("cache.t1.micro", 213),
    ("cache.t2.medium", 3_301),
    ("cache.t2.micro", 555),
    ("cache.t2.small", 1_588),
    ("cache.t3.medium", 3_364),
    ("cache.t3.micro", 512),
    ("cache.t3.small", 1_402),
    ("cache.t4g.medium", 3_164),
    ("cache.t4g.micro", 512),
    ("cache.t4g.small", 1_402),
];

/// Redis OSS `client-output-buffer-limit-replica-hard-limit` and `-soft-limit` (`slave` before
/// redis5.0), in bytes; AWS documents one value for both. AWS's "Engine specific parameters"
/// page says of both "For values see Redis OSS node-type specific parameters" (from the 2.6.13
/// parameters on) but its table no longer has their columns; the values are from that table's
/// earlier edition in AWS's documentation repository
/// (https://github.com/awsdocs/amazon-elasticache-docs/blob/2b949d58608f3edfa250123824ecaf253e0cea4b/doc_source/redis/ParameterGroups.Redis.md,
/// "Redis Node-Type Specific Parameters"), the T3 rows from another edition
/// (https://github.com/awsdocs/amazon-elasticache-docs/blob/fae531d55d0600acfe3e434f0bb22b06cde30d46/doc_source/redis/ParameterGroups.Redis.md,
/// whose cache.r5.large row repeats a mistaken 10527885773 in all three columns). botocore's
/// recorded redis2.8 response (examples-1.json) carries the same values for its 26 types. No
/// AWS source gives them for T4g, M6g, M7g, R6g or R7g: those types are not listed.
const REDIS_REPLICA_OUTPUT_BUFFER_LIMIT: &[(&str, u64)] = &[
    ("cache.c1.xlarge", 650_117_120),
    ("cache.m1.large", 702_545_920),
    ("cache.m1.medium", 309_329_920),
    ("cache.m1.small", 94_371_840),
    ("cache.m1.xlarge", 1_488_977_920),
    ("cache.m2.2xlarge", 3_502_243_840),
    ("cache.m2.4xlarge", 7_088_373_760),
    ("cache.m2.xlarge", 1_709_178_880),
    ("cache.m3.2xlarge", 2_998_927_360),
    ("cache.m3.large", 650_117_120),
    ("cache.m3.medium", 309_329_920),
    ("cache.m3.xlarge", 1_426_063_360),
    ("cache.m4.10xlarge", 16_604_761_424),
    ("cache.m4.2xlarge", 3_188_912_636),
    ("cache.m4.4xlarge", 6_525_729_063),
    ("cache.m4.large", 689_259_315),
    ("cache.m4.xlarge", 1_532_850_176),
    ("cache.m5.12xlarge", 16_871_597_199),
    ("cache.m5.24xlarge", 33_750_056_284),
    ("cache.m5.2xlarge", 2_796_666_921),
    ("cache.m5.4xlarge", 5_611_617_812),
    ("cache.m5.large", 685_454_275),
    ("cache.m5.xlarge", 1_389_192_172),
    ("cache.r3.2xlarge", 6_081_740_800),
    ("cache.r3.4xlarge", 12_268_339_200),
    ("cache.r3.8xlarge", 24_536_678_400),
    ("cache.r3.large", 1_468_006_400),
    ("cache.r3.xlarge", 3_040_870_400),
    ("cache.r4.16xlarge", 43_702_157_312),
    ("cache.r4.2xlarge", 5_419_753_799),
    ("cache.r4.4xlarge", 10_885_854_658),
    ("cache.r4.8xlarge", 21_825_543_209),
    ("cache.r4.large", 1_320_178_155),
    ("cache.r4.xlarge", 2_689_822_883),
    ("cache.r5.12xlarge", 34_120_634_655),
    ("cache.r5.24xlarge", 68_248_597_381),
    ("cache.r5.2xlarge", 5_671_118_356),
    ("cache.r5.4xlarge", 11_360_986_522),
    ("cache.r5.large", 1_403_718_103),
    ("cache.r5.xlarge", 2_826_184_970),
    ("cache.t1.micro", 14_260_633),
    ("cache.t2.medium", 346_134_937),
    ("cache.t2.micro", 58_195_968),
    ("cache.t2.small", 166_513_868),
    ("cache.t3.medium", 331_786_223),
    ("cache.t3.micro", 53_687_091),
    ("cache.t3.small", 147_102_629),
];

/// The value AWS documents for `node_type` in `table`.
fn documented(table: &[(&str, u64)], node_type: &str) -> Option<u64> {
    table.iter().find(|(t, _)| *t == node_type).map(|(_, v)| *v)
}

/// One CacheNodeTypeSpecificParameters entry (not modifiable, as AWS reports them).
fn node_type_parameter(family: &str, name: &str, description: &str, values: Vec<Value>) -> Value {
    json!({
        "ParameterName": name,
        "Description": description,
        "Source": "system",
        "DataType": "integer",
        "AllowedValues": "0-",
        "IsModifiable": false,
        "MinimumEngineVersion": family_min_version(family),
        "CacheNodeTypeSpecificValues": values,
        "ChangeType": "immediate",
    })
}

/// A parameter's name in `family`: before redis5.0, the `slave` name (`BEFORE_REPLICA_NAMES`).
fn family_name(family: &str, name: &'static str) -> &'static str {
    if redis_rank(family) < redis_rank("redis5.0") {
        if let Some((_, old)) = BEFORE_REPLICA_NAMES.iter().find(|(n, _)| *n == name) {
            return old;
        }
    }
    name
}

/// The parameters whose value depends on the node type (CacheNodeTypeSpecificParameters), one
/// value per node type as AWS documents it (tables above): Memcached `max_cache_memory` and `num_threads`; Redis
/// OSS and Valkey `maxmemory`, then the replica output buffer hard and soft limits under the
/// family's own names (`slave` before redis5.0), listed by name as AWS's recorded response
/// lists them. Descriptions
/// as botocore's recorded redis2.8 response gives them (the `replica` ones worded like the
/// catalog's `client-output-buffer-limit-replica-soft-seconds`).
pub fn node_type_specific(family: &str) -> Vec<Value> {
    if family.starts_with("memcached") {
        let values = NODE_TYPES
            .iter()
            .map(|(t, gib)| {
                // A type AWS does not document: its memory above, in MiB.
                let mb = documented(MEMCACHED_MAX_CACHE_MEMORY, t)
                    .unwrap_or_else(|| (gib * 1024.0).round() as u64);
                json!({"CacheNodeType": t, "Value": mb.to_string()})
            })
            .collect();
        let threads = NODE_TYPES
            .iter()
            .filter_map(|(t, _)| {
                let n = documented(MEMCACHED_NUM_THREADS, t)?;
                Some(json!({"CacheNodeType": t, "Value": n.to_string()}))
            })
            .collect();
        return vec![
            node_type_parameter(
                family,
                "max_cache_memory",
                "The maximum amount of memory, in megabytes, memcached may use for items.",
                values,
            ),
            node_type_parameter(
                family,
                "num_threads",
                "The number of memcached threads to use.",
                threads,
            ),
        ];
    }
    let maxmemory = NODE_TYPES
        .iter()
        .map(|(t, gib)| {
            // A type AWS does not document: its memory above, in bytes.
            let bytes = documented(REDIS_MAXMEMORY, t)
                .unwrap_or_else(|| (gib * 1_073_741_824.0).round() as u64);
            json!({"CacheNodeType": t, "Value": bytes.to_string()})
        })
        .collect();
    // Only the types AWS documents a value for.
    let replica_limit = || -> Vec<Value> {
        NODE_TYPES
            .iter()
            .filter_map(|(t, _)| {
                let bytes = documented(REDIS_REPLICA_OUTPUT_BUFFER_LIMIT, t)?;
                Some(json!({"CacheNodeType": t, "Value": bytes.to_string()}))
            })
            .collect()
    };
    let who = if redis_rank(family) < redis_rank("redis5.0") {
        "Slave"
    } else {
        "Replica"
    };
    // By name, as AWS's recorded response lists them.
    vec![
        node_type_parameter(
            family,
            family_name(family, "client-output-buffer-limit-replica-hard-limit"),
            &format!("{who} client output buffer hard limit in bytes."),
            replica_limit(),
        ),
        node_type_parameter(
            family,
            family_name(family, "client-output-buffer-limit-replica-soft-limit"),
            &format!("{who} client output buffer soft limit in bytes."),
            replica_limit(),
        ),
        node_type_parameter(
            family,
            "maxmemory",
            "The maximum configurable amount of memory to use to store items, in bytes.",
            maxmemory,
        ),
    ]
}

/// Graviton types (T4g, M6g, R6g, and the later M7g, R7g) run Redis OSS from 5.0.6 and
/// Memcached from 1.5.16 only (the model's CacheNode documentation); every type runs Valkey.
fn graviton(node_type: &str) -> bool {
    [
        "cache.t4g.",
        "cache.m6g.",
        "cache.r6g.",
        "cache.m7g.",
        "cache.r7g.",
    ]
    .iter()
    .any(|p| node_type.starts_with(p))
}

/// Whether `node_type` is one AWS offers for `engine` at `version` (as a cluster runs it).
/// None: AWS has no such node type; Some(false): not for this engine version.
pub fn node_type_offered(engine: EngineKind, version: &str, node_type: &str) -> Option<bool> {
    NODE_TYPES.iter().find(|(t, _)| *t == node_type)?;
    let at_least = |floor: &[u64]| {
        let v: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        v.as_slice() >= floor
    };
    Some(
        !graviton(node_type)
            || match engine {
                EngineKind::Redis => at_least(&[5, 0, 6]),
                EngineKind::Memcached => at_least(&[1, 5, 16]),
                EngineKind::Valkey => true,
            },
    )
}

/// Scaling a Redis OSS or Valkey node, as ListAllowedNodeTypeModifications answers: up to a
/// type with more memory of the current generation (the model's CacheNode documentation lists
/// as current M7g, M6g, M5, M4, T4g, T3, T2, R7g, R6g, R5, R4; as previous generation, where no
/// new cluster goes, T1, M1, M3, C1, M2, R3) that the engine version runs; down to any type with
/// less memory except the first generation AWS no longer creates (T1, M1, M2, C1; AWS's recorded
/// answer still lists M3 and R3 types for scaling down). Unknown types allow nothing.
pub fn allowed_modifications(
    engine: EngineKind,
    version: &str,
    current: &str,
) -> (Vec<String>, Vec<String>) {
    let Some((_, mem)) = NODE_TYPES.iter().find(|(t, _)| *t == current) else {
        return (vec![], vec![]);
    };
    let offered = |t: &str| node_type_offered(engine, version, t) == Some(true);
    let family = |t: &str| t.split('.').nth(1).unwrap_or("").to_string();
    const PREVIOUS: &[&str] = &["t1", "m1", "m3", "c1", "m2", "r3"];
    const GONE: &[&str] = &["t1", "m1", "m2", "c1"];
    let up = NODE_TYPES
        .iter()
        .filter(|(t, m)| m > mem && !PREVIOUS.contains(&family(t).as_str()) && offered(t))
        .map(|(t, _)| t.to_string())
        .collect();
    let down = NODE_TYPES
        .iter()
        .filter(|(t, m)| m < mem && !GONE.contains(&family(t).as_str()) && offered(t))
        .map(|(t, _)| t.to_string())
        .collect();
    (up, down)
}

/// Reserved node offerings: every node type x engine x term x payment option, with a
/// stable id derived from its attributes.
pub fn offerings() -> Vec<Value> {
    let mut out = vec![];
    // Reservations are sold for the types AWS still creates (not T1, M1, M2, C1), with its
    // current offering types (No/Partial/All Upfront: "Reserved nodes", ElastiCache User Guide,
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.Reserved.html).
    let sold = NODE_TYPES.iter().filter(|(t, _)| {
        !["cache.t1.", "cache.m1.", "cache.m2.", "cache.c1."]
            .iter()
            .any(|p| t.starts_with(p))
    });
    for (node_type, mem) in sold {
        let hourly = (mem * 0.017 * 1000.0).round() / 1000.0;
        for product in ["memcached", "redis"] {
            for (duration, years) in [(31536000u64, 1.0f64), (94608000, 3.0)] {
                for (offering, upfront_share) in [
                    ("No Upfront", 0.0),
                    ("Partial Upfront", 0.5),
                    ("All Upfront", 1.0),
                ] {
                    let total = hourly * 8760.0 * years * 0.6;
                    let fixed = (total * upfront_share).round();
                    let recurring = ((total - fixed) / (8760.0 * years) * 1000.0).round() / 1000.0;
                    let id = offering_id(node_type, product, duration, offering);
                    out.push(json!({
                        "ReservedCacheNodesOfferingId": id,
                        "CacheNodeType": node_type,
                        "Duration": duration,
                        "FixedPrice": fixed,
                        "UsagePrice": 0.0,
                        "ProductDescription": product,
                        "OfferingType": offering,
                        "RecurringCharges": [{"RecurringChargeAmount": recurring, "RecurringChargeFrequency": "Hourly"}],
                    }));
                }
            }
        }
    }
    out
}

fn offering_id(node_type: &str, product: &str, duration: u64, offering: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{node_type}/{product}/{duration}/{offering}"));
    let x = hex::encode(&h[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Service updates published to every account, with their status as of now: AWS reports an
/// update `expired` once its ServiceUpdateEndDate has passed (API reference, ServiceUpdate:
/// ServiceUpdateStatus available | cancelled | expired; ServiceUpdateEndDate "the date after
/// which the service update is no longer available").
pub fn service_updates() -> Vec<Value> {
    service_updates_at(time::OffsetDateTime::now_utc())
}

fn service_updates_at(now: time::OffsetDateTime) -> Vec<Value> {
    let mut list = published_service_updates();
    for u in &mut list {
        let ended = u["ServiceUpdateEndDate"]
            .as_str()
            .and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            })
            .is_some_and(|end| end < now);
        if ended && u["ServiceUpdateStatus"] == "available" {
            u["ServiceUpdateStatus"] = "expired".into();
        }
    }
    list
}

fn published_service_updates() -> Vec<Value> {
    vec![
        json!({
            "ServiceUpdateName": "elc-20191007-001",
            "ServiceUpdateReleaseDate": "2019-10-09T16:00:00.000Z",
            "ServiceUpdateEndDate": "2020-02-09T15:59:59.000Z",
            "ServiceUpdateSeverity": "important",
            "ServiceUpdateRecommendedApplyByDate": "2019-11-08T15:59:59.000Z",
            "ServiceUpdateStatus": "available",
            "ServiceUpdateDescription": "Upgrades to improve the security, reliability, and operational performance of your ElastiCache nodes",
            "ServiceUpdateType": "security-update",
            "Engine": "redis, memcached",
            "EngineVersion": "redis 2.6.13 and onwards, memcached 1.4.5 and onwards",
            "AutoUpdateAfterRecommendedApplyByDate": false,
            "EstimatedUpdateTime": "30 minutes per node"
        }),
        json!({
            "ServiceUpdateName": "elc-20190604-001",
            "ServiceUpdateReleaseDate": "2019-06-11T15:00:00.000Z",
            "ServiceUpdateEndDate": "2019-10-01T09:24:00.000Z",
            "ServiceUpdateSeverity": "important",
            "ServiceUpdateRecommendedApplyByDate": "2019-07-11T14:59:59.000Z",
            "ServiceUpdateStatus": "expired",
            "ServiceUpdateDescription": "Upgrades to improve the security, reliability, and operational performance of your ElastiCache nodes",
            "ServiceUpdateType": "security-update",
            "Engine": "redis",
            "EngineVersion": "redis 3.2.6, redis 4.0 and onwards",
            "AutoUpdateAfterRecommendedApplyByDate": false,
            "EstimatedUpdateTime": "30 minutes per node"
        }),
    ]
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_service_update_past_its_end_date_is_expired() {
        let day = |d: &str| {
            time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).unwrap()
        };
        let status = |now| {
            service_updates_at(now)
                .into_iter()
                .find(|u| u["ServiceUpdateName"] == "elc-20191007-001")
                .unwrap()["ServiceUpdateStatus"]
                .clone()
        };
        assert_eq!(status(day("2019-12-01T00:00:00Z")), "available");
        assert_eq!(status(day("2026-12-06T00:00:00Z")), "expired");
    }

    use super::*;

    #[test]
    fn scaling_follows_memory_and_generation() {
        let (up, down) = allowed_modifications(EngineKind::Redis, "7.1.0", "cache.r5.xlarge");
        let previous = [
            "cache.t1.",
            "cache.m1.",
            "cache.m3.",
            "cache.c1.",
            "cache.m2.",
            "cache.r3.",
        ];
        assert!(!up.iter().any(|t| previous.iter().any(|c| t.starts_with(c))));
        assert!(up.contains(&"cache.r5.2xlarge".to_string()));
        assert!(up.contains(&"cache.r4.2xlarge".to_string()));
        assert!(up.contains(&"cache.r6g.2xlarge".to_string()));
        assert!(down.contains(&"cache.t3.micro".to_string()));
        assert!(down.contains(&"cache.m3.large".to_string()));
        assert!(!down.contains(&"cache.m1.small".to_string()));
        assert!(!down.contains(&"cache.r5.xlarge".to_string()));
        // Graviton types need Redis OSS 5.0.6.
        let (up, down) = allowed_modifications(EngineKind::Redis, "5.0.5", "cache.r5.xlarge");
        assert!(
            !up.iter().chain(&down).any(|t| t.contains("g.")),
            "{up:?} {down:?}"
        );
        assert_eq!(
            allowed_modifications(EngineKind::Redis, "7.1.0", "cache.unknown"),
            (vec![], vec![])
        );
    }

    #[test]
    fn families_and_default_groups() {
        assert_eq!(family_of("redis", "5.0.5"), Some("redis5.0"));
        assert_eq!(family_of("Redis", "7.1"), Some("redis7"));
        assert_eq!(family_of("memcached", "1.6.17"), Some("memcached1.6"));
        assert_eq!(family_of("redis", "9.9"), None);
        assert_eq!(family_of("redis", "7.1.0"), Some("redis7"));
        assert_eq!(family_of("redis", "7.1.9"), None);
        assert_eq!(actual_version("redis", "6.2"), "6.2.6");
        assert_eq!(actual_version("redis", "5.0.6"), "5.0.6");
        assert_eq!(listed_version("valkey", "8.0.1"), "8.0");
        // Every offered minor of Redis OSS 6+ and Valkey has its patch release.
        for (e, v, _) in ENGINE_VERSIONS {
            let modern = *e == "valkey" || (*e == "redis" && !v.starts_with(['2', '3', '4', '5']));
            assert_eq!(modern, actual_version(e, v) != *v, "{e} {v}");
        }
        assert_eq!(family_of("valkey", "9.1"), Some("valkey9"));
        // The defaults are the latest versions and have a family.
        for e in [EngineKind::Redis, EngineKind::Valkey, EngineKind::Memcached] {
            let v = default_version(e);
            let newest = ENGINE_VERSIONS
                .iter()
                .filter(|(name, _, _)| *name == e.as_str())
                .map(|(_, v, _)| *v)
                .max_by_key(|v| {
                    v.split('.')
                        .map(|p| p.parse::<u32>().unwrap_or(0))
                        .collect::<Vec<_>>()
                })
                .unwrap();
            assert_eq!(v, newest, "{e:?}");
            assert!(family_of(e.as_str(), v).is_some());
        }
        assert_eq!(default_group("redis7", true), "default.redis7.cluster.on");
    }

    #[test]
    fn parameter_values_follow_their_type_and_allowed_values() {
        let ok = |n: &str, v: &str| check_value("redis5.0", n, v).is_ok();
        assert!(ok("maxmemory-policy", "allkeys-lru"));
        assert!(!ok("maxmemory-policy", "most-recent"));
        assert!(ok("active-defrag-cycle-max", "75"));
        assert!(!ok("active-defrag-cycle-max", "76"));
        assert!(!ok("active-defrag-cycle-max", "ten"));
        assert!(!ok("active-defrag-cycle-max", "7.5"));
        assert!(ok("timeout", "0"));
        assert!(!ok("timeout", "10"));
        assert!(ok("timeout", "20000"));
        assert!(ok("list-max-ziplist-size", "-3"));
        assert!(!ok("list-max-ziplist-size", "0"));
        assert!(ok("notify-keyspace-events", "Ex"));
        assert!(check_value("memcached1.6", "chunk_size_growth_factor", "1.5").is_ok());
        assert!(check_value("memcached1.6", "chunk_size_growth_factor", "3").is_err());
        assert!(check_value("memcached1.6", "cas_disabled", "2").is_err());
    }

    #[test]
    fn families_name_their_own_parameters() {
        let none = std::collections::BTreeMap::new();
        let names = |f: &str| -> Vec<String> {
            parameters(f, &none, false)
                .iter()
                .map(|p| p["ParameterName"].as_str().unwrap().to_string())
                .collect()
        };
        let r28 = names("redis2.8");
        assert!(r28.contains(&"min-slaves-to-write".to_string()));
        assert!(r28.contains(&"close-on-slave-write".to_string()));
        assert!(!r28.iter().any(|n| n.contains("replica")), "{r28:?}");
        assert!(!r28.contains(&"cluster-enabled".to_string()));
        assert!(!r28.contains(&"stream-node-max-bytes".to_string()));
        let r26 = names("redis2.6");
        assert!(!r26.contains(&"notify-keyspace-events".to_string()));
        let r40 = names("redis4.0");
        assert!(r40.contains(&"slave-lazy-flush".to_string()));
        assert!(r40.contains(&"activedefrag".to_string()));
        let r50 = names("redis5.0");
        assert!(r50.contains(&"min-replicas-to-write".to_string()));
        assert!(!r50.contains(&"acllog-max-len".to_string()));
        assert!(names("redis6.x").contains(&"acllog-max-len".to_string()));
        let r7 = names("redis7");
        assert!(r7.contains(&"acl-pubsub-default".to_string()));
        assert!(names("valkey8").contains(&"acl-pubsub-default".to_string()));
        assert_eq!(parameter_known("redis2.8", "min-replicas-to-write"), None);
        assert_eq!(
            parameter_known("redis2.8", "min-slaves-to-write"),
            Some(true)
        );
    }

    #[test]
    fn user_groups_report_modifiable_parameters_as_user() {
        let none = std::collections::BTreeMap::new();
        let defaults = parameters("redis5.0", &none, false);
        assert!(defaults.iter().all(|p| p["Source"] == "system"));
        let custom = parameters("redis5.0", &none, true);
        let db = custom
            .iter()
            .find(|p| p["ParameterName"] == "databases")
            .unwrap();
        assert_eq!(
            (db["IsModifiable"].clone(), db["Source"].clone()),
            (true.into(), "user".into())
        );
    }

    /// The value a family's CacheNodeTypeSpecificParameters give `param` on `node_type`.
    fn node_value(family: &str, param: &str, node_type: &str) -> Option<String> {
        node_type_specific(family)
            .iter()
            .find(|p| p["ParameterName"] == param)?["CacheNodeTypeSpecificValues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["CacheNodeType"] == node_type)
            .map(|v| v["Value"].as_str().unwrap().to_string())
    }

    #[test]
    fn node_type_values_are_the_ones_aws_documents() {
        let v = |family: &str, param: &str, t: &str| node_value(family, param, t);
        let s = |x: &str| Some(x.to_string());
        // "Redis OSS node-type specific parameters" (ParameterGroups.Engine.html).
        assert_eq!(v("redis7", "maxmemory", "cache.t3.micro"), s("536870912"));
        assert_eq!(v("redis7", "maxmemory", "cache.m5.large"), s("6854542746"));
        assert_eq!(
            v("redis7", "maxmemory", "cache.r6g.large"),
            s("14037181030")
        );
        assert_eq!(
            v("valkey8", "maxmemory", "cache.r7g.16xlarge"),
            s("450000750456")
        );
        // Not 1.3 GiB in bytes: AWS's own figure (also botocore's recorded redis2.8 response).
        assert_eq!(v("redis2.8", "maxmemory", "cache.m1.small"), s("943718400"));
        // "Memcached node-type specific parameters", and its earlier edition for T1, M1-M3, C1, R3.
        assert_eq!(
            v("memcached1.6", "max_cache_memory", "cache.m5.large"),
            s("6537")
        );
        assert_eq!(
            v("memcached1.6", "max_cache_memory", "cache.t3.micro"),
            s("512")
        );
        assert_eq!(
            v("memcached1.6", "max_cache_memory", "cache.r6g.16xlarge"),
            s("429154")
        );
        assert_eq!(
            v("memcached1.4", "max_cache_memory", "cache.t1.micro"),
            s("213")
        );
        assert_eq!(
            v("memcached1.4", "max_cache_memory", "cache.m4.xlarge"),
            s("11496")
        );
        // Replica (slave) output buffer limits: `slave` names before redis5.0.
        let hard = "client-output-buffer-limit-slave-hard-limit";
        let soft = "client-output-buffer-limit-slave-soft-limit";
        assert_eq!(v("redis2.8", hard, "cache.t2.micro"), s("58195968"));
        assert_eq!(v("redis2.8", soft, "cache.r3.large"), s("1468006400"));
        assert_eq!(v("redis4.0", hard, "cache.m5.large"), s("685454275"));
        assert_eq!(v("redis5.0", hard, "cache.m5.large"), None);
        let hard = "client-output-buffer-limit-replica-hard-limit";
        let soft = "client-output-buffer-limit-replica-soft-limit";
        assert_eq!(v("redis5.0", hard, "cache.r5.large"), s("1403718103"));
        assert_eq!(v("redis7", soft, "cache.t3.micro"), s("53687091"));
        // No AWS value for the Graviton types: not listed rather than made up.
        assert_eq!(v("redis7", hard, "cache.r6g.large"), None);
        let memcached: Vec<Value> = node_type_specific("memcached1.6");
        let names: Vec<&str> = memcached
            .iter()
            .map(|p| p["ParameterName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["max_cache_memory", "num_threads"]);
        assert_eq!(
            v("memcached1.6", "num_threads", "cache.m5.24xlarge"),
            s("96")
        );
        assert_eq!(v("memcached1.4", "num_threads", "cache.t2.micro"), s("1"));
        assert_eq!(
            v("memcached1.6", "num_threads", "cache.r6g.16xlarge"),
            s("64")
        );
        // AWS's table gives no thread count for the newest types: not listed.
        assert_eq!(v("memcached1.6", "num_threads", "cache.r7g.large"), None);
    }

    #[test]
    fn node_type_parameters_list_every_node_type_by_name() {
        for family in families() {
            let specific = node_type_specific(family);
            let names: Vec<&str> = specific
                .iter()
                .map(|p| p["ParameterName"].as_str().unwrap())
                .collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{family}: by name, as AWS lists them");
            let name = if family.starts_with("memcached") {
                "max_cache_memory"
            } else {
                "maxmemory"
            };
            let first = specific
                .iter()
                .find(|p| p["ParameterName"] == name)
                .unwrap();
            assert_eq!(first["MinimumEngineVersion"], family_min_version(family));
            let listed = first["CacheNodeTypeSpecificValues"].as_array().unwrap();
            assert_eq!(listed.len(), NODE_TYPES.len(), "{family}");
        }
    }
}

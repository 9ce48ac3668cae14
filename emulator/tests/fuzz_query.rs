//! Fuzzing of the Query codec and of ElastiCache dispatch (issue #12, point 4): no input may
//! panic, hang, or produce anything but a well-formed XML answer (200, or an `<Error>` with a
//! `<Code>`).
//!
//! Inputs come from a model-aware generator: a random operation of the ElastiCache model, form
//! parameters built from its input shape with plausible and hostile values, then mutated (wrong
//! nesting, odd list indexes, unknown or duplicated keys, deep keys), plus a few hand-written
//! real requests mutated the same way, fully random forms and raw body bytes. Dispatch runs on
//! a backend that starts no node, half the time over resources loaded from a saved state.
//!
//! Bounded for CI. Environment: `AWSEMU_FUZZ_INPUTS` (codec level, default 1,000,000),
//! `AWSEMU_FUZZ_DISPATCH_INPUTS` (through `ElastiCache::handle`, default 30,000),
//! `AWSEMU_FUZZ_SEED` (default: from the clock; printed). A codec input depends only on the
//! seed and its number, and `AWSEMU_FUZZ_ONLY=<number>` runs that one again; a dispatch
//! failure prints its request (the store before it may matter too).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use emulator::context::RequestContext;
use emulator::elasticache::runtime::{CacheBackend, NodeSpec, RunningNode, RuntimeError};
use emulator::elasticache::ElastiCache;
use emulator::protocol::query::{decode_form, QueryModel};
use emulator::Config;
use quick_xml::events::Event;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

const MODEL_JSON: &str = include_str!("../models/elasticache.json");

type Params = Vec<(String, String)>;

fn model_json() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| serde_json::from_str(MODEL_JSON).expect("model JSON"))
}

fn query_model() -> &'static QueryModel {
    static M: OnceLock<QueryModel> = OnceLock::new();
    M.get_or_init(|| QueryModel::from_json(MODEL_JSON).expect("model"))
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// One seed for the whole run (both levels print it).
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        env_u64("AWSEMU_FUZZ_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
    })
}

/// The generator of input `i`: independent of every other input, so one reproduces alone.
fn rng_for(seed: u64, i: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

const IDS: &[&str] = &[
    "c1",
    "c2",
    "rg1",
    "rg2",
    "my-cluster",
    "snap1",
    "pg1",
    "sub1",
    "u1",
    "ug1",
    "default",
    "default.redis7",
    "default.redis7.cluster.on",
    "default.memcached1.6",
    "gds1",
    "ldgxi-gds1",
    "sl1",
    "rg1-001",
    "rg2-0001-002",
    "rg2-0002",
    "0001",
    "0002",
    "arn:aws:elasticache:us-east-1:123456789012:cluster:c1",
    "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:rg1",
];

const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "-",
    "--a--",
    "A",
    "\u{0}",
    "\u{1}\u{1f}\u{7f}",
    "\u{fffe}\u{ffff}",
    "\u{feff}\u{202e}x",
    "é✓𝔘",
    "<&>\"'",
    "]]>",
    "<a>b</a>",
    "%00%zz",
    "../../../etc/passwd",
    "a.b.1.c",
    "member.1",
    "NaN",
    "null",
    "true",
    "-1",
    "99999999999999999999",
    "0-16383",
    "16383-0",
    "0-99999",
    "a-b",
    "0-",
    "*",
    "arn:aws:elasticache:us-east-1:123456789012:cluster:",
    "arn:",
    "arn:aws:elasticache:::::",
];

const HOSTILE_INTS: &[&str] = &[
    "-1",
    "-0",
    "0",
    "-2147483649",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "99999999999999999999999999",
    " 3 ",
    "+5",
    "3.5",
    "1e3",
    "0x10",
    "",
    "abc",
    "٣",
    "1_000",
];

struct Gen<'a> {
    rng: StdRng,
    model: &'a Value,
    shapes: &'a Map<String, Value>,
}

impl<'a> Gen<'a> {
    fn new(rng: StdRng) -> Self {
        let model = model_json();
        Self {
            rng,
            model,
            shapes: model["shapes"].as_object().expect("shapes"),
        }
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    fn operation(&mut self) -> String {
        let ops = self.model["operations"].as_object().expect("operations");
        let i = self.rng.gen_range(0..ops.len());
        ops.keys().nth(i).cloned().unwrap_or_default()
    }

    /// One request: the operation the generator meant and its form parameters.
    fn request(&mut self) -> (String, Params) {
        let roll = self.rng.gen_range(0..100);
        let (op, mut params) = if roll < 3 {
            let op = self.operation();
            (op, self.random_form())
        } else if roll < 13 {
            let (op, p) = self.pick(SEEDS);
            let p = p.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            (op.to_string(), p.collect())
        } else {
            let op = self.operation();
            let mut p = vec![];
            if let Some(input) = self.model["operations"][&op]["input"]["shape"].as_str() {
                self.shape_params(input, "", "", 0, &mut p);
            }
            (op, p)
        };
        if roll >= 3 {
            params.insert(0, ("Version".into(), "2015-02-02".into()));
            params.insert(0, ("Action".into(), op.clone()));
        }
        let mutations = match self.rng.gen_range(0..100) {
            0..=59 => 0,
            60..=89 => 1,
            _ => self.rng.gen_range(2..6),
        };
        for _ in 0..mutations {
            self.mutate(&mut params);
        }
        (op, params)
    }

    fn shape_params(
        &mut self,
        shape_name: &str,
        prefix: &str,
        member: &str,
        depth: usize,
        out: &mut Params,
    ) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        match shape["type"].as_str().unwrap_or("string") {
            "structure" => {
                let required: Vec<&str> = shape["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (name, m) in shape["members"].as_object().into_iter().flatten() {
                    let p = if required.contains(&name.as_str()) {
                        95
                    } else {
                        35u32.saturating_sub(depth as u32 * 10)
                    };
                    if !self.chance(p) {
                        continue;
                    }
                    let wire = m["locationName"].as_str().unwrap_or(name);
                    let key = join(prefix, wire);
                    let s = m["shape"].as_str().unwrap_or("String");
                    self.shape_params(s, &key, name, depth + 1, out);
                }
            }
            "list" => {
                let item = shape["member"]["shape"].as_str().unwrap_or("String");
                let loc = shape["member"]["locationName"].as_str().unwrap_or("member");
                let base = if shape["flattened"].as_bool() == Some(true) {
                    prefix.to_string()
                } else {
                    join(prefix, loc)
                };
                let count = match self.rng.gen_range(0..100) {
                    0..=9 => 0,
                    10..=89 => self.rng.gen_range(1..4),
                    _ => self.rng.gen_range(4..12),
                };
                for n in 1..=count {
                    let idx = self.list_index(n);
                    self.shape_params(item, &join(&base, &idx), member, depth + 1, out);
                }
            }
            "map" => {
                let vs = shape["value"]["shape"].as_str().unwrap_or("String");
                for n in 1..=self.rng.gen_range(0..4) {
                    let idx = self.list_index(n);
                    let entry = join(prefix, &format!("entry.{idx}"));
                    let k = self.string_value("Key");
                    out.push((join(&entry, "key"), k));
                    self.shape_params(vs, &join(&entry, "value"), member, depth + 1, out);
                }
            }
            ty => {
                let v = self.scalar(ty, shape, member);
                out.push((prefix.to_string(), v));
            }
        }
    }

    /// List index `n`, sometimes with a gap, a duplicate, a zero, a leading zero, a huge or a
    /// non-numeric index.
    fn list_index(&mut self, n: u32) -> String {
        match self.rng.gen_range(0..100) {
            0..=84 => n.to_string(),
            85..=88 => self.rng.gen_range(1..1_000_000u32).to_string(),
            89..=90 => "0".into(),
            91..=92 => format!("0{n}"),
            93 => "1".into(),
            94 => "18446744073709551615".into(),
            95 => "18446744073709551616".into(),
            96 => "-1".into(),
            97 => "".into(),
            98 => "x".into(),
            _ => "4294967296".into(),
        }
    }

    fn scalar(&mut self, ty: &str, shape: &Value, member: &str) -> String {
        let hostile = self.chance(15);
        match ty {
            "integer" | "long" => {
                if hostile {
                    self.pick(HOSTILE_INTS).to_string()
                } else {
                    let n: i64 = match member {
                        "Port" => self.pick(&[6379, 11211, 1, 65535, 0, 65536, -6379]),
                        "MaxRecords" => self.pick(&[20, 100, 1, 0, -5, 101, 1000]),
                        _ => self.rng.gen_range(-2..12),
                    };
                    n.to_string()
                }
            }
            "double" | "float" => {
                let v = ["1.5", "0", "-1", "NaN", "inf", "-inf", "1e309", "", "x"];
                self.pick(&v).to_string()
            }
            "boolean" => {
                let v = if hostile {
                    self.pick(&["TRUE", "False", "1", "0", "yes", "", " true"])
                } else {
                    self.pick(&["true", "false"])
                };
                v.to_string()
            }
            "timestamp" => {
                let v = [
                    "2024-01-01T00:00:00Z",
                    "2024-01-01T00:00:00.123+02:00",
                    "1700000000",
                    "1700000000.5",
                    "-1e20",
                    "1e300",
                    "NaN",
                    "inf",
                    "9999-12-31T23:59:59Z",
                    "0000-01-01T00:00:00Z",
                    "2024-13-45T99:99:99Z",
                    "",
                    "yesterday",
                ];
                self.pick(&v).to_string()
            }
            _ => {
                if let Some(values) = shape["enum"].as_array() {
                    if !hostile && !values.is_empty() {
                        let i = self.rng.gen_range(0..values.len());
                        return values[i].as_str().unwrap_or("").to_string();
                    }
                }
                if hostile {
                    self.hostile_string()
                } else {
                    self.string_value(member)
                }
            }
        }
    }

    /// A plausible value for a string member, by its name.
    fn string_value(&mut self, member: &str) -> String {
        let v: &str = match member {
            "Engine" => self.pick(&["redis", "valkey", "memcached", "Redis", "mysql"]),
            "EngineVersion" => self.pick(&["7.1", "6.x", "6.2", "5.0.5", "5.0.6", "1.6.22", "8.0"]),
            "CacheNodeType" => {
                self.pick(&["cache.t3.micro", "cache.r6g.large", "cache.m5.24xlarge"])
            }
            "Slots" => self.pick(&["0-8191", "8192-16383", "0-16383", "0-100,200-300"]),
            "PreferredMaintenanceWindow" => {
                self.pick(&["sun:05:00-sun:06:00", "mon:23:30-tue:00:30"])
            }
            "SnapshotWindow" => self.pick(&["05:00-06:00", "23:30-00:30"]),
            "AuthToken" | "NewAuthToken" => {
                self.pick(&["0123456789abcdef", "a-very-long-token-1234567890"])
            }
            "AccessString" => self.pick(&["on ~* +@all", "off -@all", "on ~app:* +get"]),
            "ParameterName" => self.pick(&["maxmemory-policy", "cluster-enabled", "max_item_size"]),
            "ParameterValue" => self.pick(&["allkeys-lru", "yes", "1048576"]),
            "Key" => self.pick(&["Name", "env", "aws:reserved"]),
            "CacheParameterGroupFamily" => {
                self.pick(&["redis7", "valkey8", "memcached1.6", "redis2.6"])
            }
            "SubnetIds" => self.pick(&["subnet-0abc", "subnet-1def"]),
            "ServerlessCacheName" | "ServerlessCacheSnapshotName" => self.pick(&["sl1", "sl2"]),
            "MajorEngineVersion" => self.pick(&["7", "8", "1.6"]),
            "Marker" => self.pick(&["0", "5", "100"]),
            _ if member.ends_with("Arn") || member == "ResourceName" => {
                self.pick(&IDS[IDS.len() - 2..])
            }
            _ => self.pick(IDS),
        };
        v.to_string()
    }

    fn hostile_string(&mut self) -> String {
        // Long values are rare: their cost grows with their length.
        match self.rng.gen_range(0..1000) {
            0..=799 => self.pick(HOSTILE_STRINGS).to_string(),
            800..=899 => "a".repeat(self.rng.gen_range(40..400)),
            900..=979 => self.random_text(64),
            980..=997 => "é".repeat(self.rng.gen_range(100..2_000)),
            _ => "x".repeat(self.rng.gen_range(10_000..100_000)),
        }
    }

    /// Up to `max_len` random characters, of every plane (no surrogates: forms arrive as UTF-8).
    fn random_text(&mut self, max_len: usize) -> String {
        let len = self.rng.gen_range(0..=max_len);
        (0..len)
            .map(|_| match self.rng.gen_range(0..4) {
                0 => self.rng.gen_range(0u8..0x80) as char,
                1 => self.pick(&['.', '=', '&', '%', '<', '>', '\0', '\u{10ffff}']),
                _ => self.rng.gen::<char>(),
            })
            .collect()
    }

    fn random_form(&mut self) -> Params {
        let n = self.rng.gen_range(0..12);
        let mut out = vec![];
        for _ in 0..n {
            let k = match self.rng.gen_range(0..4) {
                0 => self.random_text(20),
                1 => "Action".to_string(),
                _ => {
                    let parts: Vec<String> = (0..self.rng.gen_range(1..6))
                        .map(|_| self.pick(&["A", "member", "1", "0", "entry", "key", "x", ""]))
                        .map(str::to_string)
                        .collect();
                    parts.join(".")
                }
            };
            let v = if k == "Action" {
                self.operation()
            } else {
                self.random_text(20)
            };
            out.push((k, v));
        }
        out
    }

    /// Body bytes that need not be a valid form.
    fn raw_form(&mut self) -> Vec<u8> {
        let mut out = vec![];
        for _ in 0..self.rng.gen_range(1..12) {
            let piece: &[u8] = self.pick(&[
                b"&",
                b"=",
                b"==",
                b"%",
                b"%f",
                b"%ff",
                b"%C3%28",
                b"%E2%82",
                b"+",
                b"\xff\xfe",
                b"\xc3",
                b"\0",
                b"Action",
                b"Tags.Tag.1.Key",
                b"member.1",
                b"%2E",
                b"a.b",
            ]);
            out.extend_from_slice(piece);
            if self.chance(30) {
                out.push(self.rng.gen());
            }
        }
        out
    }

    fn mutate(&mut self, params: &mut Params) {
        let len = params.len();
        let at = if len == 0 {
            0
        } else {
            self.rng.gen_range(0..len)
        };
        match self.rng.gen_range(0..100) {
            // Unknown parameters, top level or nested.
            0..=14 => {
                let k = match params.get(at) {
                    Some((k, _)) if self.chance(50) => format!("{k}.Bogus"),
                    _ => self
                        .pick(&["Bogus", "foo.bar", "X-Amz-Date", "Signature", ""])
                        .into(),
                };
                let v = self.hostile_string();
                params.push((k, v));
            }
            // The same key twice with different values.
            15..=29 if len > 0 => {
                let (k, _) = params[at].clone();
                let v = self.hostile_string();
                params.push((k, v));
            }
            30..=39 if len > 0 => {
                params.remove(at);
            }
            // Another value for an existing key.
            40..=59 if len > 0 => {
                params[at].1 = if self.chance(50) {
                    self.pick(HOSTILE_INTS).to_string()
                } else {
                    self.hostile_string()
                };
            }
            // Wrong nesting: list wrappers dropped, segments cut, indexes replaced.
            60..=84 if len > 0 => {
                let k = params[at].0.clone();
                let parts: Vec<&str> = k.split('.').collect();
                let new = match self.rng.gen_range(0..5) {
                    0 => parts
                        .iter()
                        .filter(|p| p.parse::<u64>().is_err() || self.rng.gen_bool(0.5))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("."),
                    1 => parts[..parts.len().saturating_sub(1).max(1)].join("."),
                    2 => parts
                        .iter()
                        .map(|p| {
                            if p.parse::<u64>().is_ok() {
                                self.list_index(1)
                            } else {
                                p.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("."),
                    3 => format!("{k}.1"),
                    _ => k.to_lowercase(),
                };
                params[at].0 = new;
            }
            // Action or Version missing, wrong or duplicated.
            85..=89 => match self.rng.gen_range(0..4) {
                0 => params.retain(|(k, _)| k != "Action"),
                1 => params.retain(|(k, _)| k != "Version"),
                2 => params.push(("Action".into(), self.operation())),
                _ => params.push(("Version".into(), self.hostile_string())),
            },
            // A very deep key (a nested structure as deep as the form allows).
            90 if self.chance(25) => {
                let depth = self.rng.gen_range(100..20_000);
                let head = params.get(at).map(|(k, _)| k.clone()).unwrap_or_default();
                params.push((format!("{head}{}", ".a".repeat(depth)), "x".into()));
            }
            // Many list items.
            92..=93 if len > 0 => {
                let k = params[at].0.clone();
                for n in 1..self.rng.gen_range(50..600) {
                    params.push((format!("{k}.{n}"), n.to_string()));
                }
            }
            _ => {
                let v = self.random_text(30);
                let k = self.random_text(30);
                params.push((k, v));
            }
        }
    }

    /// A random JSON value loosely of `shape_name` (sometimes of the wrong type), for the encoder.
    fn output_value(&mut self, shape_name: &str, depth: usize) -> Value {
        let Some(shape) = self.shapes.get(shape_name) else {
            return Value::Null;
        };
        if depth > 8 || self.chance(3) {
            return match self.rng.gen_range(0..4) {
                0 => Value::Null,
                1 => Value::from(self.rng.gen::<i64>()),
                2 => Value::Bool(true),
                _ => Value::String(self.hostile_string()),
            };
        }
        match shape["type"].as_str().unwrap_or("string") {
            "structure" => {
                let mut out = Map::new();
                for (name, m) in shape["members"].as_object().into_iter().flatten() {
                    if self.chance(50) {
                        let s = m["shape"].as_str().unwrap_or("String");
                        out.insert(name.clone(), self.output_value(s, depth + 1));
                    }
                }
                Value::Object(out)
            }
            "list" => {
                let item = shape["member"]["shape"].as_str().unwrap_or("String");
                let n = self.rng.gen_range(0..3);
                Value::Array((0..n).map(|_| self.output_value(item, depth + 1)).collect())
            }
            "map" => {
                let vs = shape["value"]["shape"].as_str().unwrap_or("String");
                let mut out = Map::new();
                for _ in 0..self.rng.gen_range(0..3) {
                    let k = self.hostile_string();
                    out.insert(k, self.output_value(vs, depth + 1));
                }
                Value::Object(out)
            }
            "integer" | "long" => Value::from(self.rng.gen::<i64>()),
            "double" | "float" => Value::from(self.rng.gen::<f64>()),
            "boolean" => Value::Bool(self.rng.gen()),
            "timestamp" => Value::from(self.rng.gen_range(-1e12..1e12)),
            _ => Value::String(if self.chance(30) {
                self.hostile_string()
            } else {
                self.string_value(shape_name)
            }),
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Requests as real clients send them (the corpus's shapes), mutated by the generator.
const SEEDS: &[(&str, &[(&str, &str)])] = &[
    (
        "CreateReplicationGroup",
        &[
            ("ReplicationGroupId", "rg1"),
            ("ReplicationGroupDescription", "d"),
            ("Engine", "redis"),
            ("CacheNodeType", "cache.t3.micro"),
            ("NumNodeGroups", "2"),
            (
                "NodeGroupConfiguration.NodeGroupConfiguration.1.ReplicaCount",
                "1",
            ),
            (
                "NodeGroupConfiguration.NodeGroupConfiguration.1.Slots",
                "0-8191",
            ),
            (
                "NodeGroupConfiguration.NodeGroupConfiguration.2.ReplicaCount",
                "2",
            ),
            (
                "NodeGroupConfiguration.NodeGroupConfiguration.2.Slots",
                "8192-16383",
            ),
        ],
    ),
    (
        "CreateReplicationGroup",
        &[
            ("ReplicationGroupId", "rg2"),
            ("ReplicationGroupDescription", "d"),
            ("NumCacheClusters", "3"),
            ("AutomaticFailoverEnabled", "true"),
            ("PreferredCacheClusterAZs.AvailabilityZone.1", "us-east-1a"),
        ],
    ),
    (
        "CreateCacheCluster",
        &[
            ("CacheClusterId", "c1"),
            ("Engine", "memcached"),
            ("NumCacheNodes", "3"),
            ("CacheNodeType", "cache.t3.micro"),
            ("Port", "11211"),
        ],
    ),
    (
        "ModifyReplicationGroupShardConfiguration",
        &[
            ("ReplicationGroupId", "rg1"),
            ("NodeGroupCount", "3"),
            ("ApplyImmediately", "true"),
            (
                "ReshardingConfiguration.ReshardingConfiguration.1.NodeGroupId",
                "0001",
            ),
            ("NodeGroupsToRemove.NodeGroupToRemove.1", "0002"),
        ],
    ),
    (
        "IncreaseReplicaCount",
        &[
            ("ReplicationGroupId", "rg1"),
            ("ApplyImmediately", "true"),
            ("ReplicaConfiguration.ConfigureShard.1.NodeGroupId", "0001"),
            ("ReplicaConfiguration.ConfigureShard.1.NewReplicaCount", "2"),
        ],
    ),
    (
        "ModifyCacheParameterGroup",
        &[
            ("CacheParameterGroupName", "pg1"),
            (
                "ParameterNameValues.ParameterNameValue.1.ParameterName",
                "maxmemory-policy",
            ),
            (
                "ParameterNameValues.ParameterNameValue.1.ParameterValue",
                "allkeys-lru",
            ),
        ],
    ),
    (
        "CreateUser",
        &[
            ("UserId", "u1"),
            ("UserName", "u1"),
            ("Engine", "redis"),
            ("AccessString", "on ~* +@all"),
            ("Passwords.member.1", "0123456789abcdefghij"),
        ],
    ),
    (
        "AddTagsToResource",
        &[
            (
                "ResourceName",
                "arn:aws:elasticache:us-east-1:123456789012:cluster:c1",
            ),
            ("Tags.Tag.1.Key", "env"),
            ("Tags.Tag.1.Value", "prod"),
        ],
    ),
    (
        "DescribeEvents",
        &[
            ("StartTime", "2024-01-01T00:00:00Z"),
            ("Duration", "60"),
            ("MaxRecords", "20"),
        ],
    ),
];

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Characters XML 1.0 allows in a document (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// The root element's name and, for an error document, its `Error/Code`; Err if the text is not
/// well-formed XML 1.0.
fn parse_xml(xml: &str) -> Result<(String, Option<String>), String> {
    if let Some(c) = xml.chars().find(|c| !xml_char(*c)) {
        return Err(format!("character {c:?} is not allowed in XML 1.0"));
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = vec![];
    let (mut root, mut code) = (None::<String>, None::<String>);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if stack.is_empty() {
                    if root.is_some() {
                        return Err("more than one root element".into());
                    }
                    root = Some(name.clone());
                }
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    a.unescape_value().map_err(|e| e.to_string())?;
                }
                stack.push(name);
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(format!("empty root {:?}", e.name()));
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| e.to_string())?;
                if stack.is_empty() && !text.trim().is_empty() {
                    return Err("text outside the root element".into());
                }
                if stack.len() == 3 && stack[1] == "Error" && stack[2] == "Code" {
                    code = Some(text.into_owned());
                }
            }
            Event::CData(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {
                return Err("unexpected markup".into());
            }
            Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    root.map(|r| (r, code))
        .ok_or_else(|| "no root element".into())
}

/// An answer as the Query protocol allows it: 200 with `<{Action}Response>`, or an error status
/// with `<ErrorResponse><Error><Code>`.
/// Ok with the error code, if any.
fn check_answer(action: Option<&str>, status: u16, body: &str) -> Result<Option<String>, String> {
    let (root, code) = parse_xml(body)?;
    match status {
        200 => match action {
            Some(a) if root == format!("{a}Response") => Ok(None),
            _ => Err(format!("200 with root <{root}>")),
        },
        400..=599 => match code {
            Some(c) if root == "ErrorResponse" && !c.is_empty() => Ok(Some(c)),
            _ => Err(format!("{status} without <ErrorResponse><Error><Code>")),
        },
        s => Err(format!("status {s}")),
    }
}

fn describe(seed: u64, i: u64, params: &Params) -> String {
    format!("seed {seed}, input {i}: {params:?}")
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Aborts the test run (printing what was running) when no input finished for `limit`: a
/// hang in synchronous code would otherwise block the test forever.
fn watchdog(name: &'static str, seed: u64, current: Arc<AtomicU64>, limit: Duration) {
    std::thread::spawn(move || {
        let mut last = (u64::MAX, Instant::now());
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = current.load(Ordering::Relaxed);
            if now == u64::MAX - 1 {
                return;
            }
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > limit {
                eprintln!("{name}: HANG: seed {seed}, input {now} ran longer than {limit:?}");
                std::process::exit(101);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Level (a): the codec alone
// ---------------------------------------------------------------------------------------------

/// One codec input: form decoding (also through `decode_form`), `decode_input`, the error
/// envelope, and the encoder on the decoded value and on a random value of the output shape.
fn codec_one(seed: u64, i: u64) -> Result<(), String> {
    let model = query_model();
    let mut g = Gen::new(rng_for(seed, i));
    let (op_name, params) = g.request();
    let encode_random = g.chance(25);
    // Now and then raw body bytes too, as a client could send them: invalid UTF-8, broken
    // percent escapes, stray separators.
    let raw_body = g.chance(5).then(|| g.raw_form());
    let op = model.operation(&op_name).expect("generated operation");
    let out_shape = op.output.clone();
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        // The same form through the wire decoder: what the gateway hands to the service.
        let wire: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        let mut decoded = decode_form(wire.as_bytes());
        if decoded != params {
            return Err(format!("form round trip changed the pairs: {decoded:?}"));
        }
        if let Some(raw) = &raw_body {
            decoded.extend(decode_form(raw));
        }
        match model.decode_input(op, &decoded) {
            Ok(v) => {
                let xml = model.encode_output(op, &v, "rid");
                check_answer(Some(&op_name), 200, &xml)?;
            }
            Err(e) => {
                if !e.status.is_client_error() || e.code.is_empty() {
                    return Err(format!("validation error {e:?}"));
                }
                check_answer(None, e.status.as_u16(), &e.to_xml("rid"))?;
            }
        }
        if let (true, Some(out)) = (encode_random, out_shape.as_deref()) {
            let v = g.output_value(out, 0);
            check_answer(Some(&op_name), 200, &model.encode_output(op, &v, "rid"))?;
        }
        Ok(())
    }));
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "{e}\n  {}, raw body {raw_body:?}",
            describe(seed, i, &params)
        )),
        Err(p) => Err(format!(
            "PANIC {}\n  {}, raw body {raw_body:?}",
            panic_text(&*p),
            describe(seed, i, &params)
        )),
    }
}

#[test]
fn codec_survives_a_million_generated_requests() {
    let seed = seed();
    if let Some(i) = env_u64("AWSEMU_FUZZ_ONLY") {
        if let Err(e) = codec_one(seed, i) {
            panic!("{e}");
        }
        return;
    }
    let inputs = env_u64("AWSEMU_FUZZ_INPUTS").unwrap_or(1_000_000);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4)) as u64;
    eprintln!("codec fuzz: {inputs} inputs, seed {seed}, {workers} threads");
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let current = Arc::new(AtomicU64::new(w));
                    watchdog("codec", seed, current.clone(), Duration::from_secs(30));
                    let mut failures = vec![];
                    let mut i = w;
                    while i < inputs {
                        current.store(i, Ordering::Relaxed);
                        let t = Instant::now();
                        if let Err(e) = codec_one(seed, i) {
                            failures.push(e);
                        } else if t.elapsed() > Duration::from_secs(2) {
                            failures
                                .push(format!("SLOW {:?}: seed {seed}, input {i}", t.elapsed()));
                        }
                        if failures.len() >= 5 {
                            break;
                        }
                        i += workers;
                    }
                    current.store(u64::MAX - 1, Ordering::Relaxed);
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["worker died".into()]))
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "codec fuzz: {inputs} inputs in {secs:.1} s ({:.0} inputs/s), seed {seed}, {} failures",
        inputs as f64 / secs,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Level (b): dispatch through ElastiCache::handle
// ---------------------------------------------------------------------------------------------

/// A backend that starts no node: addresses are handed out (so creation paths record their
/// nodes and go on), but every start fails, so the nodes end failed and the fuzz never spawns
/// a process.
struct NoNodes;

impl CacheBackend for NoNodes {
    fn name(&self) -> &'static str {
        "fuzz-no-nodes"
    }
    fn reserve(&self, spec: &NodeSpec) -> Result<std::net::SocketAddr, RuntimeError> {
        Ok(std::net::SocketAddr::from(([127, 0, 0, 1], spec.port)))
    }
    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError> {
        Err(RuntimeError::NoAddress(spec.port))
    }
    fn ca_pem(&self) -> Result<String, RuntimeError> {
        Err(RuntimeError::Tls("the fuzz backend has no CA".into()))
    }
}

fn service(dir: &std::path::Path) -> Arc<ElastiCache> {
    let config = Config::from_env(dir.to_path_buf());
    Arc::new(ElastiCache::with_backend(config, Arc::new(NoNodes)))
}

/// A saved state (`--state-dir`) of resources that need nodes, which this backend cannot
/// start: a memcached cluster, a Redis cluster with a snapshot, a cluster-mode-disabled group,
/// a cluster-mode group and a serverless cache, all `available`, besides a parameter, subnet
/// and user group and a user, so the handlers for existing resources run too. Their nodes
/// fail to restart (no process) and are recorded so; the resources stay. Made by the emulator
/// itself (real nodes, `--state-dir`), then node addresses nulled and endpoints pointed at
/// 127.0.0.9, where nothing listens.
const SAVED_STATE: &str = include_str!("fuzz_state.json");

/// A service on a fresh copy of `SAVED_STATE` (the dir must outlive the service).
fn seeded_service() -> (Arc<ElastiCache>, tempfile::TempDir) {
    // Saved after every change: on tmpfs where there is one.
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("elasticache.json"), SAVED_STATE).unwrap();
    let mut config = Config::from_env(dir.path().join("run"));
    config.state_dir = Some(state);
    let svc = ElastiCache::with_backend(config, Arc::new(NoNodes));
    (Arc::new(svc), dir)
}

/// One request through the service: Err with the reason and the input when it panicked, hung,
/// or answered anything but a well-formed Query answer.
async fn dispatch_one(
    svc: &Arc<ElastiCache>,
    ctx: RequestContext,
    params: Params,
) -> Result<String, String> {
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone());
    let task = tokio::spawn({
        let (svc, params) = (svc.clone(), params.clone());
        async move { svc.handle(ctx, params).await }
    });
    let response = match tokio::time::timeout(Duration::from_secs(10), task).await {
        Err(_) => return Err("HANG: no answer within 10 s".into()),
        Ok(Err(e)) if e.is_panic() => {
            return Err(format!("PANIC {}", panic_text(&*e.into_panic())))
        }
        Ok(Err(e)) => return Err(format!("task failed: {e}")),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    let body = String::from_utf8(body.to_vec()).map_err(|_| "body is not UTF-8".to_string())?;
    // An unknown Action never gets a 200, so the check needs the action only for successes.
    let code =
        check_answer(action.as_deref(), status, &body).map_err(|e| format!("{e}: {body:.500}"))?;
    Ok(format!("{status} {}", code.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_survives_generated_requests() {
    let inputs = env_u64("AWSEMU_FUZZ_DISPATCH_INPUTS").unwrap_or(30_000);
    let seed = seed();
    eprintln!("dispatch fuzz: {inputs} inputs, seed {seed}");
    let (mut svc, mut _dir) = seeded_service();
    let current = Arc::new(AtomicU64::new(0));
    watchdog("dispatch", seed, current.clone(), Duration::from_secs(30));
    let accounts = ["123456789012", "111111111111", "222222222222"];
    let regions = ["us-east-1", "us-west-2"];
    let mut answers: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = vec![];
    let started = Instant::now();
    // Input numbers are offset so the dispatch level does not replay the codec level's inputs.
    let base = 1u64 << 40;
    for k in 0..inputs {
        let i = base + k;
        current.store(i, Ordering::Relaxed);
        // In every 5,000 inputs, the first half runs on the seeded resources (a fresh copy
        // every 500 brings back what they deleted), the rest on an empty store, about twice
        // as fast (no state saved after each change).
        if k > 0 && k % 500 == 0 && k % 5_000 < 2_500 {
            (svc, _dir) = seeded_service();
        } else if k % 5_000 == 2_500 {
            _dir = tempfile::tempdir().unwrap();
            svc = service(_dir.path());
        }
        let mut g = Gen::new(rng_for(seed, i));
        let (_, params) = g.request();
        // Most requests go to the seeded account and region.
        let ctx = if g.chance(70) {
            RequestContext::for_account(accounts[0], regions[0])
        } else {
            RequestContext::for_account(g.pick(&accounts), g.pick(&regions))
        };
        match dispatch_one(&svc, ctx, params.clone()).await {
            Ok(a) => *answers.entry(a).or_default() += 1,
            Err(e) => {
                failures.push(format!("{e}\n  {}", describe(seed, i, &params)));
                if failures.len() >= 5 {
                    break;
                }
            }
        }
    }
    current.store(u64::MAX - 1, Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    let mut common: Vec<_> = answers.iter().collect();
    common.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
    eprintln!(
        "dispatch fuzz: {inputs} inputs in {secs:.1} s ({:.0} inputs/s), seed {seed}, {} failures; {} kinds of answer, the most common {:?}",
        inputs as f64 / secs,
        failures.len(),
        answers.len(),
        &common[..common.len().min(25)]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Regressions: AWS's limits, through the whole service
// ---------------------------------------------------------------------------------------------

/// Status, code and message of one request through a fresh service.
async fn answer(pairs: &[(&str, &str)]) -> (u16, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let svc = service(dir.path());
    let out = answer_on(&svc, pairs).await;
    svc.reset(None).await;
    out
}

/// Status, code and message of one request through `svc`.
async fn answer_on(svc: &ElastiCache, pairs: &[(&str, &str)]) -> (u16, String, String) {
    let params: Params = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ctx = RequestContext::for_account("123456789012", "us-east-1");
    let response = svc.handle(ctx, params).await;
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    let text = |tag: &str| {
        let open = format!("<{tag}>");
        body.split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
            .map(|(t, _)| quick_xml::escape::unescape(t).unwrap().into_owned())
            .unwrap_or_default()
    };
    (status, text("Code"), text("Message"))
}

fn rg(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut p = vec![
        ("Action", "CreateReplicationGroup"),
        ("Version", "2015-02-02"),
        ("ReplicationGroupId", "rg1"),
        ("ReplicationGroupDescription", "d"),
        ("CacheNodeType", "cache.t3.micro"),
    ];
    p.extend_from_slice(extra);
    p
}

fn cc(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut p = vec![
        ("Action", "CreateCacheCluster"),
        ("Version", "2015-02-02"),
        ("CacheClusterId", "c1"),
        ("CacheNodeType", "cache.t3.micro"),
    ];
    p.extend_from_slice(extra);
    p
}

const REPLICAS: &str = "The number of replicas per node group must be within 0 and 5.";

#[tokio::test]
async fn regression_negative_replica_count_in_node_group_configuration() {
    // Once "capacity overflow" (a panic) after `-1 as usize` in replication.rs.
    let got = answer(&rg(&[
        ("NumNodeGroups", "1"),
        (
            "NodeGroupConfiguration.NodeGroupConfiguration.1.ReplicaCount",
            "-1",
        ),
    ]))
    .await;
    assert_eq!(got, (400, "InvalidParameterValue".into(), REPLICAS.into()));
}

#[tokio::test]
async fn regression_replica_counts_beyond_five() {
    for extra in [
        [("ReplicasPerNodeGroup", "6"), ("NumNodeGroups", "2")],
        [("ReplicasPerNodeGroup", "-1"), ("NumNodeGroups", "2")],
        [
            ("NumNodeGroups", "2"),
            (
                "NodeGroupConfiguration.NodeGroupConfiguration.2.ReplicaCount",
                "9223372036854775807",
            ),
        ],
    ] {
        let got = answer(&rg(&extra)).await;
        assert_eq!(
            got,
            (400, "InvalidParameterValue".into(), REPLICAS.into()),
            "{extra:?}"
        );
    }
}

#[tokio::test]
async fn regression_counts_out_of_aws_ranges() {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (rg(&[("NumCacheClusters", "7")]), "NumCacheClusters"),
        (rg(&[("NumCacheClusters", "0")]), "NumCacheClusters"),
        (rg(&[("NumCacheClusters", "-1")]), "NumCacheClusters"),
        (rg(&[("NumNodeGroups", "0")]), "NumNodeGroups"),
        (rg(&[("NumNodeGroups", "501")]), "NumNodeGroups"),
        (
            rg(&[("NumNodeGroups", "-9223372036854775808")]),
            "NumNodeGroups",
        ),
        (rg(&[("Port", "0")]), "Port"),
        (rg(&[("Port", "65536")]), "Port"),
        (
            cc(&[("Engine", "memcached"), ("NumCacheNodes", "0")]),
            "NumCacheNodes",
        ),
        (
            cc(&[("Engine", "memcached"), ("NumCacheNodes", "-1")]),
            "NumCacheNodes",
        ),
        (
            cc(&[
                ("Engine", "redis"),
                ("NumCacheNodes", "1"),
                ("Port", "-6379"),
            ]),
            "Port",
        ),
    ];
    for (pairs, name) in cases {
        let (status, code, message) = answer(&pairs).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidParameterValue"),
            "{pairs:?}: {message}"
        );
        assert!(message.contains(name), "{pairs:?}: {message}");
    }
}

#[tokio::test]
async fn regression_memcached_nodes_beyond_the_cluster_quota() {
    let got = answer(&cc(&[("Engine", "memcached"), ("NumCacheNodes", "41")])).await;
    assert_eq!(
        got,
        (
            400,
            "NodeQuotaForClusterExceeded".into(),
            "Cluster node quota exceeded. You can have at most 40 nodes in a cluster.".into()
        )
    );
}

#[tokio::test]
async fn regression_integers_that_are_not_integers() {
    for (name, value) in [
        ("NumNodeGroups", "abc"),
        ("NumNodeGroups", "99999999999999999999"),
        ("NumNodeGroups", "1.5"),
        ("NumNodeGroups", ""),
    ] {
        let (status, code, message) = answer(&rg(&[(name, value)])).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidParameterValue"),
            "{value:?}: {message}"
        );
        assert_eq!(
            message,
            format!("Value '{value}' for parameter {name} is invalid: not an integer"),
        );
    }
}

#[tokio::test]
async fn regression_global_node_group_count_is_bounded() {
    // Found while fuzzing, out of the fuzzer's reach (a global datastore needs running nodes):
    // IncreaseNodeGroupsInGlobalReplicationGroup added node groups one by one up to any
    // NodeGroupCount, so i64::MAX ran until memory ran out, under the store's lock. The
    // datastore here comes from a saved state.
    let dir = tempfile::tempdir().unwrap();
    // The whole record, as the emulator saves a global datastore.
    let saved = serde_json::json!({"version": 1, "regions": [], "globals": {"123456789012": {"gds1": {
        "GlobalReplicationGroupId": "gds1", "GlobalReplicationGroupDescription": " ",
        "Status": "available", "CacheNodeType": "cache.r6g.large", "Engine": "redis",
        "EngineVersion": "7.1", "Members": [], "ClusterEnabled": true,
        "GlobalNodeGroups": [{"GlobalNodeGroupId": "gds1-0001", "Slots": "0-16383"}],
        "AuthTokenEnabled": false, "TransitEncryptionEnabled": false,
        "AtRestEncryptionEnabled": false,
        "ARN": "arn:aws:elasticache::123456789012:globalreplicationgroup:gds1"
    }}}});
    std::fs::write(dir.path().join("elasticache.json"), saved.to_string()).unwrap();
    let mut config = Config::from_env(dir.path().join("run"));
    config.state_dir = Some(dir.path().to_path_buf());
    let svc = Arc::new(ElastiCache::with_backend(config, Arc::new(NoNodes)));
    for (count, status) in [("9223372036854775807", 400), ("501", 400), ("3", 200)] {
        let params: Params = [
            ("Action", "IncreaseNodeGroupsInGlobalReplicationGroup"),
            ("Version", "2015-02-02"),
            ("GlobalReplicationGroupId", "gds1"),
            ("NodeGroupCount", count),
            ("ApplyImmediately", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        let code = dispatch_one(&svc, ctx, params).await.unwrap();
        let want = if status == 400 {
            "400 InvalidParameterValue"
        } else {
            "200 "
        };
        assert_eq!(code, want, "NodeGroupCount {count}");
    }
}

#[tokio::test]
async fn regression_memcached_cluster_as_primary_of_a_replication_group() {
    // Fuzz finding (long run, seed 20261130): settings_of indexed the first member's document
    // for SnapshotWindow, which a memcached cluster lacks: "no entry found for key".
    let (svc, _dir) = seeded_service();
    let got = answer_on(
        &svc,
        &[
            ("Action", "CreateReplicationGroup"),
            ("Version", "2015-02-02"),
            ("ReplicationGroupId", "ug1"),
            ("ReplicationGroupDescription", "rg2"),
            ("PrimaryClusterId", "my-cluster"),
        ],
    )
    .await;
    assert_eq!(
        got,
        (
            400,
            "InvalidParameterValue".into(),
            "Replication groups are supported for the redis and valkey engines only.".into()
        )
    );
}

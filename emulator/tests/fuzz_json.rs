//! Fuzzing of DynamoDB's JSON protocol (issue #22): no body may panic, hang, or answer 5xx
//! (SDKs retry a 5xx; AWS answers malformed input with a 4xx).
//!
//! Inputs come from a model-aware generator: a random operation of the DynamoDB or DynamoDB
//! Streams model, a body built from its input shape with plausible and hostile values (names
//! of real tables, ARNs, expressions and PartiQL, attribute values of every type and broken
//! ones, numbers at the edges), then mutated (members of the wrong JSON type, nulls, unknown
//! members, deep nesting, truncated or non-JSON bytes, unknown targets). Every body goes
//! through `DynamoDb::handle` in-process, in front of a real DynamoDB Local, with two tables
//! that the generated keys fit.
//!
//! Bounded for CI. Environment: `AWSEMU_FUZZ_JSON_INPUTS` (default 100,000),
//! `AWSEMU_FUZZ_SEED` (default: from the clock; printed). An input depends only on the seed
//! and its number; `AWSEMU_FUZZ_ONLY=<number>` runs that one again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use emulator::context::RequestContext;
use emulator::gateway::AppState;
use emulator::Config;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

const DYNAMODB: &str = include_str!("../models/dynamodb.json");
const STREAMS: &str = include_str!("../models/dynamodbstreams.json");

fn models() -> &'static [(&'static str, Value); 2] {
    static M: OnceLock<[(&str, Value); 2]> = OnceLock::new();
    M.get_or_init(|| {
        [
            ("DynamoDB_20120810", serde_json::from_str(DYNAMODB).unwrap()),
            (
                "DynamoDBStreams_20120810",
                serde_json::from_str(STREAMS).unwrap(),
            ),
        ]
    })
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

const ACCOUNT: &str = "300000000001";
const ARN: &str = "arn:aws:dynamodb:us-east-1:300000000001:table/Music";

const NAMES: &[&str] = &[
    "Music",
    "Thread",
    "Music",
    "Thread",
    "Nope",
    "t",
    "",
    "Music.idx",
    "GSI1",
    "ix",
];
const KEYS: &[&str] = &["Artist", "SongTitle", "pk", "a", "b", "#a", ":v"];
const TEXTS: &[&str] = &[
    "Artist = :v",
    "Artist = :v AND begins_with(SongTitle, :p)",
    "attribute_exists(Artist)",
    "attribute_not_exists(#a) OR size(#a) > :v",
    "SET #a = :v, b = if_not_exists(b, :v)",
    "REMOVE #a",
    "ADD #a :v",
    "DELETE #a :v",
    "#a, b.c[1], Artist",
    "SELECT * FROM Music",
    "SELECT * FROM \"Music\" WHERE Artist = ?",
    "INSERT INTO Music VALUE {'Artist': 'x', 'SongTitle': 'y'}",
    "UPDATE Music SET a = 1 WHERE Artist = 'x' AND SongTitle = 'y'",
    "DELETE FROM Music WHERE Artist = 'x' AND SongTitle = 'y'",
    "((((((((((((((((((((",
    "Artist BETWEEN :v AND :v",
    "contains(#a, :v) AND NOT #a IN (:v, :v)",
    "\u{0}\u{ffff}ü€",
    "arn:aws:dynamodb:us-east-1:300000000001:table/Music",
    "arn:aws:dynamodb:us-east-1:300000000001:table/Music/backup/01234567890123-abcdefgh",
    "arn:aws:dynamodb:us-east-1:300000000001:table/Music/stream/2024-01-01T00:00:00.000",
    ARN,
    "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
    "NEW_AND_OLD_IMAGES",
    "0123456789abcdef0123456789abcdef",
];
const NUMBER_TEXTS: &[&str] = &[
    "1",
    "-0",
    "1e5",
    "abc",
    "",
    "1e200",
    "0.0000000000000000000000000000000000000001",
    "3.14",
    "99999999999999999999999999999999999999",
];

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    /// A target and a body.
    fn request(&mut self) -> (String, Vec<u8>) {
        let (prefix, model) = if self.chance(85) {
            &models()[0]
        } else {
            &models()[1]
        };
        let ops: Vec<&String> = model["operations"].as_object().unwrap().keys().collect();
        let op = ops[self.rng.gen_range(0..ops.len())].clone();
        let mut target = format!("{prefix}.{op}");
        if self.chance(1) {
            target = self
                .pick(&["", "DynamoDB_20120810", "DynamoDB_20120810.Nope", "X.Y.Z"])
                .to_string();
        }
        let shape = model["operations"][&op]["input"]["shape"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let mut v = self.value(&model["shapes"], &shape, 0);
        if self.chance(30) {
            self.mutate(&mut v, 0);
        }
        let mut body = serde_json::to_vec(&v).unwrap();
        match self.rng.gen_range(0..100) {
            0 => body.truncate(self.rng.gen_range(0..=body.len())),
            1 => body = self.rng.gen::<[u8; 16]>().to_vec(),
            2 => body.clear(),
            3 => body = b"[]".to_vec(),
            _ => {}
        }
        (target, body)
    }

    fn value(&mut self, shapes: &Value, name: &str, depth: usize) -> Value {
        let s = &shapes[name];
        if depth > 6 {
            return Value::Null;
        }
        match s["type"].as_str().unwrap_or("") {
            "structure" if name == "AttributeValue" => self.attr(depth),
            "structure" => {
                let mut out = Map::new();
                let required: Vec<&str> = s["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (m, ms) in s["members"].as_object().into_iter().flatten() {
                    let keep = if required.contains(&m.as_str()) {
                        !self.chance(3)
                    } else {
                        self.chance(25)
                    };
                    if keep {
                        let target = ms["shape"].as_str().unwrap_or("");
                        out.insert(m.clone(), self.value(shapes, target, depth + 1));
                    }
                }
                Value::Object(out)
            }
            "list" => {
                let n = if self.chance(3) {
                    self.rng.gen_range(20..40)
                } else {
                    self.rng.gen_range(0..4)
                };
                let m = s["member"]["shape"].as_str().unwrap_or("");
                Value::Array((0..n).map(|_| self.value(shapes, m, depth + 1)).collect())
            }
            "map" => {
                let n = self.rng.gen_range(0..4);
                let v = s["value"]["shape"].as_str().unwrap_or("");
                let mut out = Map::new();
                for _ in 0..n {
                    let k = if self.chance(50) {
                        self.pick(KEYS).to_string()
                    } else {
                        self.pick(NAMES).to_string()
                    };
                    out.insert(k, self.value(shapes, v, depth + 1));
                }
                Value::Object(out)
            }
            "string" => match s["enum"].as_array() {
                Some(e) if !self.chance(5) => e[self.rng.gen_range(0..e.len())].clone(),
                _ => Value::String(self.string()),
            },
            "integer" | "long" => json!(self.pick(&[
                0i64,
                1,
                -1,
                2,
                10,
                25,
                100,
                101,
                1000,
                40_000,
                i32::MAX as i64,
                i64::MAX
            ])),
            "double" | "float" => json!(self.pick(&[0.0, 0.5, -1.0, 1e300, 2.0])),
            "boolean" => json!(self.chance(50)),
            "blob" => json!(self.pick(&["YWJj", "", "!!notbase64", "AAAA"])),
            "timestamp" => json!(self.pick(&[0i64, 1, 1_700_000_000, 4_102_444_800, -5])),
            _ => Value::Null,
        }
    }

    fn string(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            0..=3 => self.pick(NAMES).to_string(),
            4..=7 => self.pick(TEXTS).to_string(),
            8 => "a".repeat(self.pick(&[2usize, 3, 255, 256, 1025, 70_000])),
            _ => self.pick(KEYS).to_string(),
        }
    }

    /// An attribute value: every type, and broken ones.
    fn attr(&mut self, depth: usize) -> Value {
        let s = |g: &mut Self| Value::String(g.pick(NAMES).to_string());
        match self.rng.gen_range(0..20) {
            0..=4 => json!({"S": s(self)}),
            5..=6 => json!({"N": self.pick(NUMBER_TEXTS)}),
            7 => json!({"B": self.pick(&["YWJj", "", "!!"])}),
            8 => json!({"BOOL": self.chance(50)}),
            9 => json!({"NULL": self.chance(80)}),
            10 => json!({"SS": [s(self), s(self)]}),
            11 => json!({"NS": [self.pick(NUMBER_TEXTS), self.pick(NUMBER_TEXTS)]}),
            12 => json!({"BS": ["YWJj", "YWJj"]}),
            13 if depth < 5 => json!({"L": [self.attr(depth + 1), self.attr(depth + 1)]}),
            14 if depth < 5 => {
                let k = self.pick(KEYS);
                json!({"M": {k: self.attr(depth + 1)}})
            }
            15 => json!({}),
            16 => json!({"S": "a", "N": "1"}),
            17 => json!({"S": 1}),
            18 => json!({"X": "1"}),
            _ => json!({"SS": []}),
        }
    }

    /// Breaks a body: a member of the wrong JSON type, a null, an unknown member, deep nesting.
    fn mutate(&mut self, v: &mut Value, depth: usize) {
        let Value::Object(obj) = v else { return };
        let keys: Vec<String> = obj.keys().cloned().collect();
        match self.rng.gen_range(0..6) {
            0 if !keys.is_empty() => {
                let k = self.pick(&keys.iter().map(String::as_str).collect::<Vec<_>>());
                let bads = [
                    json!("ten"),
                    json!(10),
                    json!(true),
                    json!([]),
                    json!({}),
                    Value::Null,
                    json!(-1.5),
                ];
                let bad = bads[self.rng.gen_range(0..bads.len())].clone();
                obj.insert(k.to_string(), bad);
            }
            1 => {
                obj.insert("Unknown".into(), json!({"x": [1, 2]}));
            }
            2 => {
                let mut deep = json!({"S": "x"});
                for _ in 0..self.rng.gen_range(10..200) {
                    deep = json!({"L": [deep]});
                }
                obj.insert("Item".into(), json!({"pk": deep}));
            }
            3 if !keys.is_empty() && depth < 3 => {
                let k = keys[self.rng.gen_range(0..keys.len())].clone();
                if let Some(inner) = obj.get_mut(&k) {
                    self.mutate(inner, depth + 1);
                }
            }
            _ => {
                if let Some(k) = keys.first() {
                    obj.remove(k);
                }
            }
        }
    }
}

fn rng_for(seed: u64, i: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn ctx() -> RequestContext {
    RequestContext {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        access_key: Some(ACCOUNT.into()),
        service: Some("dynamodb".into()),
        request_id: "fuzz".into(),
    }
}

#[test]
fn no_dynamodb_body_panics_hangs_or_answers_5xx() {
    let seed = env_u64("AWSEMU_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let only = env_u64("AWSEMU_FUZZ_ONLY");
    let total = env_u64("AWSEMU_FUZZ_JSON_INPUTS").unwrap_or(100_000);
    eprintln!("fuzz_json: seed {seed}, {total} inputs");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_env(dir.path().to_path_buf());
    config.dynamodb_in_memory = true;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let state = AppState::new(config).unwrap();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let counts: Arc<[AtomicU64; 6]> = Arc::new(Default::default());
    let started = Instant::now();
    rt.block_on(async {
        let db = &state.dynamodb;
        for body in [
            r#"{"TableName":"Music","AttributeDefinitions":[{"AttributeName":"Artist","AttributeType":"S"},{"AttributeName":"SongTitle","AttributeType":"S"}],"KeySchema":[{"AttributeName":"Artist","KeyType":"HASH"},{"AttributeName":"SongTitle","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#,
            r#"{"TableName":"Thread","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
        ] {
            let r = db
                .handle(ctx(), Some("DynamoDB_20120810.CreateTable"), Bytes::from(body))
                .await;
            assert_eq!(r.status(), 200, "fixture table");
        }
        let next = Arc::new(AtomicU64::new(0));
        let mut workers = vec![];
        let range = match only {
            Some(i) => (i, i + 1),
            None => (0, total),
        };
        for _ in 0..8 {
            let (next, failures, counts, state) =
                (next.clone(), failures.clone(), counts.clone(), state.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let i = range.0 + next.fetch_add(1, Ordering::Relaxed);
                    if i >= range.1 {
                        break;
                    }
                    let (target, body) = Gen {
                        rng: rng_for(seed, i),
                    }
                    .request();
                    let st = state.clone();
                    let t = target.clone();
                    let b = Bytes::from(body.clone());
                    let call = tokio::spawn(async move {
                        let r = st.dynamodb.handle(ctx(), Some(&t), b).await;
                        let status = r.status().as_u16();
                        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
                            .await
                            .unwrap_or_default();
                        (status, bytes)
                    });
                    let what = match tokio::time::timeout(Duration::from_secs(60), call).await {
                        Err(_) => Some("hang (no answer in 60 s)".to_string()),
                        Ok(Err(e)) if e.is_panic() => Some("panic".to_string()),
                        Ok(Err(e)) => Some(format!("task failed: {e}")),
                        Ok(Ok((status, out))) => {
                            counts[(status / 100) as usize % 6].fetch_add(1, Ordering::Relaxed);
                            (status >= 500).then(|| {
                                format!("{status} {}", String::from_utf8_lossy(&out))
                            })
                        }
                    };
                    if let Some(w) = what {
                        let mut f = failures.lock().unwrap();
                        if f.len() < 20 {
                            f.push(format!(
                                "input {i} {target} {}: {w}",
                                String::from_utf8_lossy(&body).chars().take(600).collect::<String>()
                            ));
                        }
                    }
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        state.shutdown().await;
    });
    let c: Vec<u64> = counts.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    eprintln!(
        "fuzz_json: {} inputs in {:.1} s: 2xx {}, 4xx {}, 5xx {}",
        c.iter().sum::<u64>(),
        started.elapsed().as_secs_f64(),
        c[2],
        c[4],
        c[5]
    );
    let f = failures.lock().unwrap();
    assert!(f.is_empty(), "seed {seed}:\n{}", f.join("\n"));
}

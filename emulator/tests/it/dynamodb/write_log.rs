//! The default mode: DynamoDB Local in memory, every acknowledged write in the emulator's write
//! log, replayed into the JVM that replaces a killed one; the log compacted as it grows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::TestEmulator;

const ACCOUNT: &str = "200000000061";
const HOT: usize = 5;

fn client() -> (tokio::runtime::Runtime, reqwest::Client) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (rt, reqwest::Client::new())
}

/// One operation over raw HTTP: status and answer (a failed exchange is status 0).
fn call(
    rt: &tokio::runtime::Runtime,
    c: &reqwest::Client,
    url: &str,
    name: &str,
    body: &Value,
) -> (u16, Value) {
    rt.block_on(async {
        let r = c
            .post(format!("{url}/"))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDB_20120810.{name}"))
            .header(
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential={ACCOUNT}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
            )
            .body(body.to_string())
            .send()
            .await;
        match r {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.bytes().await.unwrap_or_default();
                (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    })
}

/// Every item of `table`, sorted by key, read until the JVM answers.
fn scan_all(url: &str, table: &str) -> Vec<Value> {
    let (rt, c) = client();
    let start = Instant::now();
    let mut items = vec![];
    let mut from: Option<Value> = None;
    loop {
        let mut req = json!({"TableName": table, "ConsistentRead": true});
        if let Some(k) = from.take() {
            req["ExclusiveStartKey"] = k;
        }
        let (status, out) = call(&rt, &c, url, "Scan", &req);
        if status != 200 {
            // Only while a killed JVM is replaced (the first request may meet the dead one).
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "scan: {status} {out}"
            );
            std::thread::sleep(Duration::from_millis(100));
            items.clear();
            continue;
        }
        items.extend(out["Items"].as_array().cloned().unwrap_or_default());
        match out.get("LastEvaluatedKey") {
            Some(k) if k.is_object() => from = Some(k.clone()),
            _ => break,
        }
    }
    items.sort_by_key(|i| format!("{}/{}", i["pk"], i["sk"]));
    items
}

fn kill_jvm(emu: &TestEmulator) -> u32 {
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1, "one DynamoDB Local: {pids:?}");
    unsafe {
        libc::kill(pids[0] as i32, libc::SIGKILL);
    }
    pids[0]
}

/// Writers change shared and own items with every kind of write while the JVM is killed
/// twice under them; afterwards every write acknowledged is there exactly once (a counter
/// equals the increments acknowledged), nothing unacknowledged is, and a third kill while idle
/// changes no item. The log is compacted before each kill and after (a 64 KB threshold).
#[test]
fn every_acknowledged_write_survives_jvm_kills_under_concurrent_writers() {
    let emu = TestEmulator::start_with(|c| c.dynamodb_compact_bytes = 64 * 1024);
    let url = emu.url();
    let (rt, c) = client();
    let ok = |name: &str, body: Value| {
        let (status, out) = call(&rt, &c, &url, name, &body);
        assert_eq!(status, 200, "{name}: {out}");
        out
    };
    ok(
        "CreateTable",
        json!({"TableName": "Logged", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}),
    );
    // Table changes after the create, kept through compactions.
    ok(
        "UpdateTable",
        json!({"TableName": "Logged", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]}),
    );
    ok(
        "UpdateTimeToLive",
        json!({"TableName": "Logged", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}}),
    );
    // A table created and deleted: gone after every replay.
    ok(
        "CreateTable",
        json!({"TableName": "Gone", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    ok("DeleteTable", json!({"TableName": "Gone"}));

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || {
                let (rt, c) = client();
                let mut acked = [0u64; HOT];
                let mut own = BTreeMap::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) || i < 40 {
                    let hot = (i as usize + w) % HOT;
                    let add = json!({"TableName": "Logged", "Key": {"pk": {"S": "hot"}, "sk": {"N": hot.to_string()}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}});
                    if call(&rt, &c, &url, "UpdateItem", &add).0 == 200 {
                        acked[hot] += 1;
                    }
                    let pk = format!("w{w}");
                    let item = json!({"pk": {"S": pk}, "sk": {"N": i.to_string()}, "g": {"S": format!("g{}", i % 3)}, "v": {"N": i.to_string()}});
                    let (status, answer) = match i % 5 {
                        0 => call(&rt, &c, &url, "PutItem", &json!({"TableName": "Logged", "Item": item})),
                        1 => call(&rt, &c, &url, "BatchWriteItem", &json!({"RequestItems": {"Logged": [{"PutRequest": {"Item": item}}]}})),
                        2 => call(&rt, &c, &url, "TransactWriteItems", &json!({"TransactItems": [{"Put": {"TableName": "Logged", "Item": item}}]})),
                        3 => call(&rt, &c, &url, "ExecuteStatement", &json!({"Statement": format!(
                            "INSERT INTO Logged VALUE {{'pk': '{pk}', 'sk': {i}, 'g': 'g{}', 'v': {i}}}", i % 3)})),
                        _ => call(&rt, &c, &url, "PutItem", &json!({"TableName": "Logged", "Item": item})),
                    };
                    if status == 200 {
                        own.insert(i, true);
                    } else {
                        assert!(status == 0 || status >= 500, "w{w} write {i}: {status} {answer}");
                        own.insert(i, false);
                    }
                    // Every fourth own item is deleted again (its delete may fail too).
                    if i % 4 == 3 && own.get(&(i - 1)) == Some(&true) {
                        let del = json!({"TableName": "Logged", "Key": {"pk": {"S": pk}, "sk": {"N": (i - 1).to_string()}}});
                        if call(&rt, &c, &url, "DeleteItem", &del).0 == 200 {
                            own.insert(i - 1, false);
                        }
                    }
                    i += 1;
                }
                (acked, own)
            })
        })
        .collect();
    // Each kill after the log was compacted once more, so replays start from compacted logs.
    let compactions = || {
        emu.state.dynamodb.status()["write_log"]["compactions"]
            .as_u64()
            .unwrap()
    };
    let until_compacted = |n: u64| {
        let start = Instant::now();
        while compactions() < n {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no compaction {n}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    until_compacted(1);
    let first = kill_jvm(&emu);
    until_compacted(2);
    let second = kill_jvm(&emu);
    assert_ne!(first, second, "the first kill was followed by a new JVM");
    until_compacted(3);
    stop.store(true, Ordering::Relaxed);
    let mut acked = [0u64; HOT];
    let mut own = BTreeMap::new();
    for (w, t) in writers.into_iter().enumerate() {
        let (a, o) = t.join().unwrap();
        for h in 0..HOT {
            acked[h] += a[h];
        }
        own.insert(w, o);
    }

    let items = scan_all(&url, "Logged");
    for (h, acked) in acked.iter().enumerate() {
        let sk = h.to_string();
        let got = items
            .iter()
            .find(|i| i["pk"]["S"] == "hot" && i["sk"]["N"].as_str() == Some(sk.as_str()))
            .map(|i| i["n"]["N"].as_str().unwrap().parse::<u64>().unwrap())
            .unwrap_or(0);
        assert_eq!(got, *acked, "hot item {h}: increments acknowledged");
    }
    for (w, writes) in &own {
        for (i, kept) in writes {
            let there = items.iter().any(|x| {
                x["pk"]["S"].as_str() == Some(format!("w{w}").as_str())
                    && x["sk"]["N"].as_str() == Some(i.to_string().as_str())
            });
            assert_eq!(there, *kept, "w{w} item {i}");
        }
    }
    let written: usize = own.values().map(BTreeMap::len).sum();
    eprintln!("write log test: {written} own writes, hot increments {acked:?}");

    // The index, the TTL setting and the table list came back too.
    let (_, q) = call(
        &rt,
        &c,
        &url,
        "Query",
        &json!({"TableName": "Logged", "IndexName": "byG", "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": "g1"}}, "Select": "COUNT"}),
    );
    let in_g1 = items.iter().filter(|i| i["g"]["S"] == "g1").count();
    assert_eq!(q["Count"], json!(in_g1), "{q}");
    let ttl = ok("DescribeTimeToLive", json!({"TableName": "Logged"}));
    assert_eq!(ttl["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");
    assert_eq!(ok("ListTables", json!({}))["TableNames"], json!(["Logged"]));

    eprintln!("write log: {}", emu.state.dynamodb.status()["write_log"]);

    // Idle: a kill changes nothing at all.
    kill_jvm(&emu);
    assert_eq!(scan_all(&url, "Logged"), items);
}

//! The opt-in capacity model (`--enforce-capacity`): a provisioned table throttles beyond its
//! units with AWS's exception and ThrottlingReasons; an on-demand table does not; without the
//! option nothing is throttled. Also the ConsumedCapacity DynamoDB Local leaves out
//! (ExecuteTransaction's).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{raw_as, raw_at};
use crate::common::TestEmulator;

const ACCOUNT: &str = "200000000401";

fn call(emu: &TestEmulator, op: &str, body: Value) -> (u16, Value) {
    raw_at(
        &emu.url(),
        ACCOUNT,
        Some(&format!("DynamoDB_20120810.{op}")),
        body.to_string().into_bytes(),
    )
}

fn table(emu: &TestEmulator, name: &str, billing: Value) {
    let mut body = json!({
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    for (k, v) in billing.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, out) = call(emu, "CreateTable", body);
    assert_eq!(status, 200, "{out}");
}

fn put(emu: &TestEmulator, table: &str, pk: &str) -> (u16, Value) {
    call(
        emu,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": pk}}}),
    )
}

#[test]
fn provisioned_tables_throttle_beyond_their_capacity() {
    let emu = TestEmulator::start_with(|c| c.enforce_capacity = true);
    table(
        &emu,
        "Slow",
        json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    );
    table(&emu, "Fast", json!({"BillingMode": "PAY_PER_REQUEST"}));
    // One write unit per second: the first write passes; of the ones right after it, those
    // within the same second are throttled with AWS's exception and reason.
    let (status, out) = put(&emu, "Slow", "a");
    assert_eq!(status, 200, "{out}");
    assert!(
        out.get("ConsumedCapacity").is_none(),
        "not asked for: {out}"
    );
    let throttled: Vec<Value> = (0..10)
        .map(|i| put(&emu, "Slow", &format!("b{i}")))
        .filter(|(status, _)| *status != 200)
        .map(|(status, out)| {
            assert_eq!(status, 400, "{out}");
            out
        })
        .collect();
    assert!(
        !throttled.is_empty(),
        "ten writes at once on one write unit"
    );
    let out = &throttled[0];
    assert_eq!(
        out["__type"],
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    );
    assert_eq!(
        out["ThrottlingReasons"],
        json!([{"reason": "TableWriteProvisionedThroughputExceeded",
                "resource": format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Slow")}])
    );
    // Reads have their own units; a second later writes pass again.
    let (status, out) = call(
        &emu,
        "GetItem",
        json!({"TableName": "Slow", "Key": {"pk": {"S": "a"}}, "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["ConsumedCapacity"]["CapacityUnits"], 0.5, "{out}");
    let start = Instant::now();
    loop {
        let (status, out) = put(&emu, "Slow", "b");
        if status == 200 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{out}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // On-demand: never throttled.
    for i in 0..20 {
        let (status, out) = put(&emu, "Fast", &i.to_string());
        assert_eq!(status, 200, "{out}");
    }
}

#[test]
fn without_the_option_nothing_is_throttled() {
    let emu = TestEmulator::start();
    table(
        &emu,
        "Slow",
        json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    );
    for i in 0..10 {
        let (status, out) = put(&emu, "Slow", &i.to_string());
        assert_eq!(status, 200, "{out}");
    }
}

/// A call to the shared emulator that must succeed.
fn shared_ok(account: &str, op: &str, body: Value) -> Value {
    let (status, out) = raw_as(
        account,
        Some(&format!("DynamoDB_20120810.{op}")),
        body.to_string().into_bytes(),
    );
    assert_eq!(status, 200, "{op}: {out}");
    out
}

/// ExecuteTransaction asked for its capacity answers one entry per table, as AWS does
/// (paritysuite/dynamodb-conformance `tests/tier2/partiql/writeResponses.test.ts`: a one-UPDATE
/// transaction under TOTAL answers one entry naming the table, beside an empty Responses);
/// DynamoDB Local answers none. The units are the Developer Guide's transactional rates (two
/// per KB written, two per 4 KB read; a write sized by the larger of the item before and after).
#[test]
fn execute_transaction_reports_capacity_per_table() {
    let acc = "200000000432";
    for t in ["TxCapA", "TxCapB"] {
        shared_ok(
            acc,
            "CreateTable",
            json!({"TableName": t, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        );
    }
    // 2004 bytes: pk (2 + 1) and x (1 + 2000).
    shared_ok(
        acc,
        "PutItem",
        json!({"TableName": "TxCapA", "Item": {"pk": {"S": "a"}, "x": {"S": "x".repeat(2000)}}}),
    );
    let txn = |statements: Value, rcc: &str| {
        shared_ok(
            acc,
            "ExecuteTransaction",
            json!({"TransactStatements": statements, "ReturnConsumedCapacity": rcc}),
        )
    };
    let out = txn(
        json!([{"Statement": "UPDATE \"TxCapA\" SET n = 3 WHERE pk = 'a'"}]),
        "TOTAL",
    );
    assert_eq!(out["Responses"], json!([]), "{out}");
    assert_eq!(
        out["ConsumedCapacity"],
        json!([{"TableName": "TxCapA", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}])
    );
    // Two tables, in the order the statements name them; INDEXES adds the table's share.
    let out = txn(
        json!([
            {"Statement": "INSERT INTO \"TxCapB\" VALUE {'pk': ?}", "Parameters": [{"S": "n"}]},
            {"Statement": "DELETE FROM \"TxCapA\" WHERE pk = 'a'"}
        ]),
        "INDEXES",
    );
    assert_eq!(
        out["ConsumedCapacity"],
        json!([
            {"TableName": "TxCapB", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0,
             "Table": {"CapacityUnits": 2.0}},
            {"TableName": "TxCapA", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
             "Table": {"CapacityUnits": 4.0}}
        ])
    );
    // Reads are counted in read units.
    let out = txn(
        json!([{"Statement": "SELECT * FROM \"TxCapB\" WHERE pk = 'n'"}]),
        "TOTAL",
    );
    assert_eq!(
        out["ConsumedCapacity"],
        json!([{"TableName": "TxCapB", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}])
    );
    let out = txn(
        json!([{"Statement": "SELECT * FROM \"TxCapB\" WHERE pk = 'n'"}]),
        "NONE",
    );
    assert!(out.get("ConsumedCapacity").is_none(), "{out}");
}

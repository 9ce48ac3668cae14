//! The provisioned-capacity model, opt-in (`--enforce-capacity`): a provisioned table throttles
//! reads and writes beyond its capacity units as AWS does, so applications can test their
//! back-off. On-demand tables are never throttled here.
//!
//! Per table, one token bucket for reads and one for writes: refilled at the provisioned units
//! per second and holding up to 300 seconds of unused capacity (AWS's burst capacity: "DynamoDB
//! currently retains up to five minutes (300 seconds) of unused read and write capacity",
//! Developer Guide, burst capacity). A request is admitted while its tables have a whole unit
//! left; what it consumed is then charged (DynamoDB Local counts units by AWS's item-size rules,
//! so the proxy asks it for `ConsumedCapacity` and leaves it out of the answer when the caller
//! did not ask). Not modelled: global secondary index capacity, PartiQL statements, the
//! capacity that failed conditional writes consume.
//!
//! Also the ConsumedCapacity of ExecuteTransaction, which DynamoDB Local leaves out
//! (`transaction_sizes`, `transaction_capacity`).

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::state::{Bucket, TableKey};
use crate::dynamodb::vector::partiql::{key_values, where_equalities};
use crate::dynamodb::wire::items::{key_of, partiql_table};
use crate::dynamodb::wire::{str_of, table_name};
use crate::protocol::json::json_response;

/// What an admitted request must do once answered.
pub struct Admitted {
    write: bool,
    /// The caller did not ask for ConsumedCapacity: leave it out of the answer.
    strip: bool,
}

/// The tables a data-plane request reads (false) or writes (true); None for operations the
/// model does not cover.
fn tables_of(op: &str, input: &Value) -> Option<(bool, Vec<String>)> {
    let names = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    let transact = |kinds: &[&str]| {
        input["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| kinds.iter().filter_map(|k| table_name(&i[*k]["TableName"])))
            .collect::<Vec<_>>()
    };
    Some(match op {
        "GetItem" | "Query" | "Scan" => (false, vec![table_name(&input["TableName"])?]),
        "PutItem" | "UpdateItem" | "DeleteItem" => (true, vec![table_name(&input["TableName"])?]),
        "BatchGetItem" => (false, names(&input["RequestItems"])?),
        "BatchWriteItem" => (true, names(&input["RequestItems"])?),
        "TransactGetItems" => (false, transact(&["Get"])),
        "TransactWriteItems" => (
            true,
            transact(&["Put", "Update", "Delete", "ConditionCheck"]),
        ),
        _ => return None,
    })
}

impl DynamoDb {
    /// Before a request is forwarded: None when it is not metered; else the request as it is
    /// to be sent (asking for ConsumedCapacity), or AWS's throttling answer.
    pub(in crate::dynamodb) async fn admit(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) -> Option<Result<(Admitted, Value), Response>> {
        let buckets = self.capacity.as_ref()?;
        let (write, tables) = tables_of(op, input)?;
        for t in &tables {
            let key = (ctx.account.clone(), ctx.region.clone(), t.to_string());
            let known = buckets.tables.lock().unwrap().contains_key(&key);
            if !known {
                let rates = self.provisioned_rates(ctx, t).await;
                buckets
                    .tables
                    .lock()
                    .unwrap()
                    .entry(key.clone())
                    .or_insert_with(|| rates.map(|(r, w)| [Bucket::new(r), Bucket::new(w)]));
            }
            let mut all = buckets.tables.lock().unwrap();
            let Some(Some(pair)) = all.get_mut(&key) else {
                continue;
            };
            let b = &mut pair[usize::from(write)];
            b.refill();
            if b.tokens < 1.0 {
                return Some(Err(throttled(ctx, t, write)));
            }
        }
        let asked = input["ReturnConsumedCapacity"]
            .as_str()
            .is_some_and(|v| v != "NONE");
        let mut sent = input.clone();
        if !asked {
            sent["ReturnConsumedCapacity"] = json!("TOTAL");
        }
        Some(Ok((
            Admitted {
                write,
                strip: !asked,
            },
            sent,
        )))
    }

    /// After a successful answer: charges what it consumed; the answer without the
    /// ConsumedCapacity the caller did not ask for.
    pub(in crate::dynamodb) fn charge(
        &self,
        ctx: &RequestContext,
        admitted: &Admitted,
        body: Bytes,
    ) -> Bytes {
        let Some(buckets) = self.capacity.as_ref() else {
            return body;
        };
        let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        let used: Vec<(String, f64)> = match &v["ConsumedCapacity"] {
            Value::Array(list) => list.iter().filter_map(units).collect(),
            c @ Value::Object(_) => units(c).into_iter().collect(),
            _ => vec![],
        };
        {
            let mut all = buckets.tables.lock().unwrap();
            for (t, n) in used {
                let key = (ctx.account.clone(), ctx.region.clone(), t);
                if let Some(Some(pair)) = all.get_mut(&key) {
                    let b = &mut pair[usize::from(admitted.write)];
                    b.refill();
                    b.tokens -= n;
                }
            }
        }
        if !admitted.strip {
            return body;
        }
        if let Some(o) = v.as_object_mut() {
            o.remove("ConsumedCapacity");
        }
        Bytes::from(v.to_string())
    }

    /// A table's provisioned read and write units; None for on-demand (or unknown) tables.
    async fn provisioned_rates(&self, ctx: &RequestContext, table: &str) -> Option<(f64, f64)> {
        let d = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
            .ok()?;
        let pt = &d["Table"]["ProvisionedThroughput"];
        let (r, w) = (
            pt["ReadCapacityUnits"].as_f64()?,
            pt["WriteCapacityUnits"].as_f64()?,
        );
        (r > 0.0 && w > 0.0).then_some((r, w))
    }
}

/// What one ExecuteTransaction statement does to the item it names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// SELECT: a transactional read.
    Read,
    /// INSERT, UPDATE, DELETE: a transactional write.
    Write,
    /// EXISTS: a condition check.
    Check,
}

/// One statement of an ExecuteTransaction asking for its ConsumedCapacity.
struct Statement {
    kind: Kind,
    table: String,
    /// The item's key; None when the statement does not show it.
    key: Option<Value>,
    /// The item's size before the transaction (writes only).
    before: u64,
}

/// An ExecuteTransaction that asked for its ConsumedCapacity, read before it runs.
pub struct TransactionSizes {
    statements: Vec<Statement>,
    /// `INDEXES` (else `TOTAL`).
    indexes: bool,
}

/// The table a SELECT (or an EXISTS around one) reads: the name after FROM, without an index.
fn read_table(stmt: &str) -> Option<String> {
    let upper = stmt.to_ascii_uppercase();
    let at = upper.find(" FROM ")? + " FROM ".len();
    let rest = stmt[at..].trim_start();
    let name = match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"')?],
        None => rest
            .split(|c: char| c.is_whitespace() || c == '.' || c == ')')
            .next()?,
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// A statement's kind, table and key values (any attributes; cut to the key later).
fn statement_of(s: &Value) -> Option<(Kind, String, Option<Value>)> {
    let stmt = str_of(s, "Statement")?;
    let params = s["Parameters"].as_array().cloned().unwrap_or_default();
    let first = stmt.trim_start().get(..6)?.to_ascii_uppercase();
    Some(match first.as_str() {
        "SELECT" => (
            Kind::Read,
            read_table(stmt)?,
            where_equalities(stmt, &params),
        ),
        "EXISTS" => (
            Kind::Check,
            read_table(stmt)?,
            where_equalities(stmt, &params),
        ),
        _ => {
            let key = key_values(stmt, &params).or_else(|| where_equalities(stmt, &params));
            (Kind::Write, partiql_table(stmt)?, key)
        }
    })
}

/// Capacity units of one statement by the item's size: AWS's transactional rates (Developer
/// Guide, "DynamoDB read and write operations": a transactional read of up to 4 KB takes two
/// read units, a transactional write of up to 1 KB two write units; a write is sized by the
/// larger of the item before and after). A condition check (EXISTS) is counted as nothing:
/// what AWS charges for it is not documented.
fn statement_units(kind: Kind, before: u64, after: u64) -> f64 {
    match kind {
        Kind::Read => 2.0 * after.div_ceil(4096).max(1) as f64,
        Kind::Write => 2.0 * before.max(after).div_ceil(1024).max(1) as f64,
        Kind::Check => 0.0,
    }
}

/// One entry per table, in the order the statements first name them, with the table's units
/// by kind (as AWS answers TransactGetItems and TransactWriteItems) and, under `INDEXES`, the
/// table's own share. Index units are not counted.
fn transaction_entries(list: &[(Kind, String, f64)], indexes: bool) -> Value {
    let mut out: Vec<(String, f64)> = vec![];
    for (_, t, n) in list {
        match out.iter_mut().find(|(x, _)| x == t) {
            Some((_, sum)) => *sum += n,
            None => out.push((t.clone(), *n)),
        }
    }
    let kind = if list.iter().any(|(k, _, _)| *k == Kind::Read) {
        "ReadCapacityUnits"
    } else {
        "WriteCapacityUnits"
    };
    Value::Array(
        out.into_iter()
            .map(|(t, n)| {
                let mut e = json!({"TableName": t, "CapacityUnits": n, kind: n});
                if indexes {
                    e["Table"] = json!({"CapacityUnits": n});
                }
                e
            })
            .collect(),
    )
}

impl DynamoDb {
    /// Before an ExecuteTransaction that asks for ConsumedCapacity (DynamoDB Local answers
    /// none; AWS one entry per table, paritysuite/dynamodb-conformance
    /// `tests/tier2/partiql/writeResponses.test.ts`): each statement's item, and the size of
    /// the items its writes change.
    pub(in crate::dynamodb) async fn transaction_sizes(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) -> Option<TransactionSizes> {
        let rcc = input["ReturnConsumedCapacity"].as_str();
        if op != "ExecuteTransaction" || !matches!(rcc, Some("TOTAL" | "INDEXES")) {
            return None;
        }
        let replay = self.is_replay(ctx, input);
        let mut statements = vec![];
        for s in input["TransactStatements"].as_array()? {
            // A statement we cannot read is left out (DynamoDB Local refuses most of them).
            let Some((kind, table, values)) = statement_of(s) else {
                continue;
            };
            // A replay under a token that already succeeded applies nothing: AWS charges it
            // as a transactional read of the stored result (nubo-db/dynamodb-conformance
            // `tests/tier2/partiql/executeTransaction.test.ts`, eu-west-2), as it documents
            // for TransactWriteItems.
            let kind = match kind {
                Kind::Write if replay => Kind::Read,
                k => k,
            };
            let key = match (
                values,
                self.meta(&TableKey::new(&ctx.account, &ctx.region, &table)),
            ) {
                (Some(v), Some(m)) => Some(key_of(&v, &m.key_schema)),
                _ => None,
            };
            let before = match (&key, kind) {
                (Some(k), Kind::Write) => self.item_bytes(ctx, &table, k).await,
                _ => 0,
            };
            statements.push(Statement {
                kind,
                table,
                key,
                before,
            });
        }
        Some(TransactionSizes {
            statements,
            indexes: rcc == Some("INDEXES"),
        })
    }

    /// Whether an ExecuteTransaction repeats a ClientRequestToken that succeeded within AWS's
    /// ten-minute idempotency window (DynamoDB Local then applies nothing, and refuses other
    /// parameters under the same token itself).
    fn is_replay(&self, ctx: &RequestContext, input: &Value) -> bool {
        input["ClientRequestToken"].as_str().is_some_and(|t| {
            self.client_tokens
                .seen("ExecuteTransaction", &ctx.account, &ctx.region, t)
        })
    }

    /// Notes the ClientRequestToken of an ExecuteTransaction that succeeded.
    pub(in crate::dynamodb) fn note_transaction_token(&self, ctx: &RequestContext, input: &Value) {
        if let Some(t) = input["ClientRequestToken"].as_str() {
            self.client_tokens
                .note("ExecuteTransaction", &ctx.account, &ctx.region, t);
        }
    }

    /// After the transaction succeeded: its answer with AWS's ConsumedCapacity (when DynamoDB
    /// Local gave none).
    pub(in crate::dynamodb) async fn transaction_capacity(
        &self,
        ctx: &RequestContext,
        sizes: TransactionSizes,
        body: Bytes,
    ) -> Bytes {
        let Ok(mut out) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        if out.get("ConsumedCapacity").is_some() {
            return body;
        }
        let mut list = vec![];
        for s in &sizes.statements {
            let after = match (&s.key, s.kind) {
                (Some(k), Kind::Read | Kind::Write) => self.item_bytes(ctx, &s.table, k).await,
                _ => 0,
            };
            list.push((
                s.kind,
                s.table.clone(),
                statement_units(s.kind, s.before, after),
            ));
        }
        out["ConsumedCapacity"] = transaction_entries(&list, sizes.indexes);
        Bytes::from(out.to_string())
    }

    /// The size of the item under `key` (0 when there is none or it cannot be read).
    pub(super) async fn item_bytes(&self, ctx: &RequestContext, table: &str, key: &Value) -> u64 {
        let req = json!({"TableName": table, "Key": key, "ConsistentRead": true});
        match self.call_ctx(ctx, "GetItem", &req).await {
            Ok(got) => got.get("Item").map_or(0, item_size),
            Err(_) => 0,
        }
    }
}

fn units(c: &Value) -> Option<(String, f64)> {
    Some((table_name(&c["TableName"])?, c["CapacityUnits"].as_f64()?))
}

/// AWS's answer when a provisioned table's capacity is exhausted (API reference:
/// ProvisionedThroughputExceededException and ThrottlingReason, `Table` + `Read`/`Write` +
/// `ProvisionedThroughputExceeded`, the resource being the table's ARN).
fn throttled(ctx: &RequestContext, table: &str, write: bool) -> Response {
    let kind = if write { "Write" } else { "Read" };
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            "ThrottlingReasons": [{
                "reason": format!("Table{kind}ProvisionedThroughputExceeded"),
                "resource": format!("arn:aws:dynamodb:{}:{}:table/{table}", ctx.region, ctx.account),
            }],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_of_every_metered_operation() {
        let t = |op: &str, v: Value| tables_of(op, &v);
        assert_eq!(
            t("GetItem", json!({"TableName": "A"})),
            Some((false, vec!["A".into()]))
        );
        assert_eq!(
            t(
                "BatchWriteItem",
                json!({"RequestItems": {"A": [], "B": []}})
            ),
            Some((true, vec!["A".into(), "B".into()]))
        );
        assert_eq!(
            t(
                "TransactWriteItems",
                json!({"TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]})
            ),
            Some((true, vec!["A".into(), "B".into()]))
        );
        assert_eq!(t("ExecuteStatement", json!({"Statement": "x"})), None);
    }

    #[test]
    fn transaction_statements_name_their_table_and_item() {
        let s = |stmt: &str| statement_of(&json!({"Statement": stmt, "Parameters": [{"S": "k"}]}));
        let (kind, table, key) = s("SELECT a FROM \"my.t\".\"ix\" WHERE pk = ?").unwrap();
        assert_eq!((kind, table.as_str()), (Kind::Read, "my.t"));
        assert_eq!(key, Some(json!({"pk": {"S": "k"}})));
        let (kind, table, _) = s("EXISTS(SELECT * FROM Tab WHERE pk = ? AND n > 1)").unwrap();
        assert_eq!((kind, table.as_str()), (Kind::Check, "Tab"));
        let (kind, _, key) = s("UPDATE \"Tab\" SET n = 1 WHERE pk = ? AND n >= 0").unwrap();
        assert_eq!((kind, key), (Kind::Write, Some(json!({"pk": {"S": "k"}}))));
    }

    #[test]
    fn transaction_units_follow_aws_transactional_rates() {
        assert_eq!(statement_units(Kind::Write, 0, 10), 2.0);
        assert_eq!(statement_units(Kind::Write, 2100, 10), 6.0);
        assert_eq!(statement_units(Kind::Read, 0, 4097), 4.0);
        let list = [
            (Kind::Write, "A".to_string(), 2.0),
            (Kind::Write, "B".to_string(), 4.0),
            (Kind::Write, "A".to_string(), 2.0),
        ];
        assert_eq!(
            transaction_entries(&list, true),
            json!([
                {"TableName": "A", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
                 "Table": {"CapacityUnits": 4.0}},
                {"TableName": "B", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
                 "Table": {"CapacityUnits": 4.0}}
            ])
        );
    }
}

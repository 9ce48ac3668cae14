//! Whole-table work several families share: a table recreated from a description and filled
//! with items (restores, replicas, imports), every item of a table, and a table's items at a
//! point in time.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::service::{sse_description, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::Pages;
use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::state::item_files::{self, ItemPages, ItemWriter};
use crate::dynamodb::state::{TableKey, TableMeta};
use crate::dynamodb::vector::index::key_attributes;
use crate::dynamodb::vector::store::{item_id, Write};
use crate::dynamodb::wire::items::key_string;
use crate::dynamodb::wire::{ddb_err, table_name, OpResult};
use crate::protocol::json::JsonError;

/// What a restore copies: the source's description, our record of it, and its items.
pub(super) struct Source<'a> {
    pub desc: &'a Value,
    pub meta: &'a TableMeta,
    pub items: Contents<'a>,
}

/// Where a copy's items are, on disk (`item_files`): read a page at a time.
pub(super) enum Contents<'a> {
    /// A backup's file (its stem).
    Backup(&'a str),
    /// A point-in-time history (its stem) as of a time.
    History(&'a str, f64),
}

/// Items per page read back from disk and written to the backend.
pub(super) const COPY_PAGE: usize = 100;

/// The answer to a failed read or write of the items dir.
pub(super) fn io_failed(e: std::io::Error) -> JsonError {
    ddb_err("InternalServerError", format!("item files: {e}"))
        .with_status(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// CreateTable input that recreates `desc` (keys, indexes, billing) under `target`.
pub(super) fn recreate_input(desc: &Value, target: &str, input: &Value) -> Value {
    let billing = input["BillingModeOverride"]
        .as_str()
        .or_else(|| desc["BillingModeSummary"]["BillingMode"].as_str())
        .unwrap_or("PROVISIONED")
        .to_string();
    let mut req = json!({
        "TableName": target,
        "AttributeDefinitions": desc["AttributeDefinitions"],
        "KeySchema": desc["KeySchema"],
        "BillingMode": billing,
    });
    let pt = |v: &Value| json!({"ReadCapacityUnits": v["ReadCapacityUnits"], "WriteCapacityUnits": v["WriteCapacityUnits"]});
    if billing == "PROVISIONED" {
        req["ProvisionedThroughput"] = input
            .get("ProvisionedThroughputOverride")
            .cloned()
            .unwrap_or_else(|| pt(&desc["ProvisionedThroughput"]));
    }
    let index = |i: &Value, with_pt: bool| {
        let mut o = json!({"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]});
        if with_pt {
            o["ProvisionedThroughput"] = pt(&i["ProvisionedThroughput"]);
        }
        o
    };
    if let Some(lsi) = input
        .get("LocalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["LocalSecondaryIndexes"]
                .as_array()
                .map(|l| Value::Array(l.iter().map(|i| index(i, false)).collect()))
        })
    {
        req["LocalSecondaryIndexes"] = lsi;
    }
    if let Some(gsi) = input
        .get("GlobalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["GlobalSecondaryIndexes"].as_array().map(|l| {
                Value::Array(
                    l.iter()
                        .map(|i| index(i, billing == "PROVISIONED"))
                        .collect(),
                )
            })
        })
    {
        req["GlobalSecondaryIndexes"] = gsi;
    }
    // Descriptions also list the attributes only vector search schemas use; DynamoDB Local
    // refuses definitions no key schema names.
    let keys = key_attributes(&req);
    if let Some(defs) = req["AttributeDefinitions"].as_array_mut() {
        defs.retain(|d| {
            d["AttributeName"]
                .as_str()
                .is_some_and(|a| keys.iter().any(|k| k == a))
        });
    }
    req
}

impl DynamoDb {
    pub(super) fn items_dir(&self) -> PathBuf {
        self.config.dynamodb_items_dir()
    }

    /// Opens `contents` for reading a page at a time (a history's offsets are found first,
    /// off the async workers).
    pub(super) async fn open_pages(
        &self,
        contents: &Contents<'_>,
        ks: &Value,
    ) -> Result<ItemPages, JsonError> {
        let dir = self.items_dir();
        match *contents {
            Contents::Backup(stem) => ItemPages::file(&item_files::backup_path(&dir, stem)),
            Contents::History(stem, t) => {
                let (stem, ks) = (stem.to_string(), ks.clone());
                tokio::task::spawn_blocking(move || {
                    ItemPages::history(&dir, &stem, t, |i| key_string(i, &ks))
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r)
            }
        }
        .map_err(io_failed)
    }

    /// Writes every item of `pages` into a table, a page at a time.
    pub(super) async fn put_pages(
        &self,
        account: &str,
        region: &str,
        name: &str,
        pages: &mut ItemPages,
    ) -> Result<(), JsonError> {
        loop {
            let page = pages.page(COPY_PAGE).map_err(io_failed)?;
            if page.is_empty() {
                return Ok(());
            }
            self.put_items(account, region, name, &page).await?;
        }
    }

    /// Writes every item an import reads into a table, a page at a time; returns how many
    /// items and their size. As AWS's imports ("Import format quotas and validation",
    /// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html):
    /// an item without the table's key, or with a key attribute of another type, or over the
    /// item size limit, is an error and the rest go on; items sharing a key overwrite each
    /// other until one remains, and are not errors.
    pub(super) async fn put_import(
        &self,
        account: &str,
        region: &str,
        name: &str,
        pages: &mut ImportPages,
    ) -> Result<(u64, u64), JsonError> {
        let desc = self
            .call(
                account,
                region,
                "DescribeTable",
                &json!({"TableName": name}),
            )
            .await?;
        let rules = ImportRules::of(&desc["Table"]);
        let (mut n, mut size) = (0, 0);
        loop {
            let page = pages.page(COPY_PAGE);
            if page.is_empty() {
                return Ok((n, size));
            }
            let mut unique: Vec<Value> = Vec::with_capacity(page.len());
            let mut at: std::collections::HashMap<String, usize> = Default::default();
            for item in page {
                let bytes = item_size(&item);
                if bytes > MAX_ITEM_BYTES || !rules.admits(&item) {
                    pages.errors += 1;
                    continue;
                }
                n += 1;
                size += bytes;
                // One BatchWriteItem refuses a key twice: the later item wins.
                match at.entry(key_string(&item, &rules.key_schema)) {
                    std::collections::hash_map::Entry::Occupied(e) => unique[*e.get()] = item,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(unique.len());
                        unique.push(item);
                    }
                }
            }
            self.put_items(account, region, name, &unique).await?;
        }
    }

    /// Copies every item of table `name` in `region` into the same table in `to`, a page at
    /// a time.
    pub(super) async fn copy_table(
        &self,
        account: &str,
        region: &str,
        name: &str,
        to: &str,
    ) -> Result<(), JsonError> {
        let mut pages = Pages::new(account, region, name);
        while let Some(page) = pages.next(&self.backend).await? {
            self.put_items(account, to, name, &page).await?;
        }
        Ok(())
    }

    /// Writes every item of a table to a new file at `path`, a page at a time; returns how
    /// many items and their size.
    pub(super) async fn scan_to_file(
        &self,
        account: &str,
        region: &str,
        name: &str,
        path: &std::path::Path,
    ) -> Result<(ItemWriter, u64), JsonError> {
        let mut w = ItemWriter::create(path).map_err(io_failed)?;
        let mut size = 0;
        let mut pages = Pages::new(account, region, name);
        while let Some(page) = pages.next(&self.backend).await? {
            size += page.iter().map(item_size).sum::<u64>();
            w.append(&page).map_err(io_failed)?;
        }
        Ok((w, size))
    }

    /// Writes items with BatchWriteItem, 25 at a time, retrying unprocessed ones.
    pub(super) async fn put_items(
        &self,
        account: &str,
        region: &str,
        name: &str,
        items: &[Value],
    ) -> Result<(), JsonError> {
        let key = TableKey::new(account, region, name);
        let key_schema = self
            .vectors
            .get(&key)
            .map(|t| t.read().unwrap().key_schema.clone());
        for chunk in items.chunks(25) {
            let mut reqs: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"PutRequest": {"Item": i}}))
                .collect();
            // A table with vector indexes gets the items too, in order with other writes.
            let _locks = match &key_schema {
                Some(ks) => {
                    let ids = chunk
                        .iter()
                        .filter_map(|i| item_id(i, ks))
                        .map(|id| (name.to_string(), id));
                    self.vectors.lock_items(ids).await
                }
                None => vec![],
            };
            for _ in 0..10 {
                let out = self
                    .call(
                        account,
                        region,
                        "BatchWriteItem",
                        &json!({"RequestItems": {name: reqs}}),
                    )
                    .await?;
                match out["UnprocessedItems"][name].as_array() {
                    Some(left) if !left.is_empty() => reqs = left.clone(),
                    _ => break,
                }
            }
            if key_schema.is_some() {
                let writes: Vec<Write> = chunk
                    .iter()
                    .map(|i| Write {
                        item_or_key: i,
                        item: Some(i),
                    })
                    .collect();
                self.vectors.apply(&key, &writes);
            }
        }
        Ok(())
    }

    /// Creates `target` like `desc` and fills it with `items`; returns the new description.
    pub(super) async fn restore_into(
        &self,
        ctx: &RequestContext,
        src: Source<'_>,
        input: &Value,
        summary: Value,
    ) -> OpResult {
        let Source {
            desc,
            meta: source_meta,
            items,
        } = src;
        let target = table_name(&input["TargetTableName"]).unwrap_or_default();
        let target = target.as_str();
        let req = recreate_input(desc, target, input);
        let mut meta = TableMeta {
            billing_mode: Some(req["BillingMode"].as_str().unwrap_or("PROVISIONED").into()),
            sse: match input.get("SSESpecificationOverride") {
                Some(spec) => sse_description(spec, &ctx.account, &ctx.region),
                None => source_meta.sse.clone(),
            },
            table_class: source_meta.table_class.clone(),
            vector_indexes: source_meta.vector_indexes.clone(),
            vector_attr_defs: source_meta.vector_attr_defs.clone(),
            restore_summary: Some(summary.clone()),
            ..Default::default()
        };
        if let Some(done) = meta.restore_summary.as_mut() {
            done["RestoreInProgress"] = json!(false);
        }
        let mut out = match self
            .create_table_in(&ctx.account, &ctx.region, req, meta)
            .await
        {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceInUseException" => {
                return Err(ddb_err(
                    "TableAlreadyExistsException",
                    format!("Table already exists: {target}"),
                ))
            }
            Err(e) => return Err(e),
        };
        let mut pages = self.open_pages(&items, &source_meta.key_schema).await?;
        self.put_pages(&ctx.account, &ctx.region, target, &mut pages)
            .await?;
        out["RestoreSummary"] = summary;
        Ok(json!({"TableDescription": out}))
    }
}

/// DynamoDB's item size limit (400 KB).
const MAX_ITEM_BYTES: u64 = 400 * 1024;

/// The key attributes an imported item must carry, and the type of every key attribute of
/// the table and its indexes.
struct ImportRules {
    key_schema: Value,
    types: std::collections::HashMap<String, String>,
}

impl ImportRules {
    fn of(table: &Value) -> Self {
        let types = crate::dynamodb::wire::attribute_types(table);
        Self {
            key_schema: table["KeySchema"].clone(),
            types,
        }
    }

    /// The table's key attributes are there, and every key attribute present is of its
    /// defined type and not empty.
    fn admits(&self, item: &Value) -> bool {
        let has_key = self
            .key_schema
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["AttributeName"].as_str())
            .all(|a| item.get(a).is_some());
        has_key
            && self.types.iter().all(|(name, ty)| match item.get(name) {
                None => true,
                Some(v) => v
                    .get(ty)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
            })
    }
}

/// S3's answer for a missing bucket, which failed imports and bulk operations report.
pub(super) const NO_SUCH_BUCKET: &str = "The specified bucket does not exist";

/// The objects under an import's key prefix, read as DynamoDB JSON a page at a time:
/// `{"Item": {...}}` values one after another (newlines between them or not). A value without
/// `Item` is an error; an object that stops parsing counts one error for the rest.
pub(super) struct ImportPages {
    root: PathBuf,
    bucket: String,
    keys: std::vec::IntoIter<String>,
    gzip: bool,
    values: Option<Box<dyn Iterator<Item = serde_json::Result<Value>> + Send>>,
    pub errors: u64,
    pub bytes: u64,
}

impl ImportPages {
    pub fn new(root: &std::path::Path, bucket: &str, prefix: &str, gzip: bool) -> Self {
        let keys: Vec<String> = crate::s3::store::list(root, bucket)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.key.starts_with(prefix))
            .map(|o| o.key)
            .collect();
        Self {
            root: root.to_path_buf(),
            bucket: bucket.into(),
            keys: keys.into_iter(),
            gzip,
            values: None,
            errors: 0,
            bytes: 0,
        }
    }

    /// Opens the next object; false when none is left.
    fn next_object(&mut self) -> bool {
        for key in self.keys.by_ref() {
            let Ok(file) = crate::s3::store::open(&self.root, &self.bucket, &key) else {
                continue;
            };
            self.bytes += file.metadata().map(|m| m.len()).unwrap_or(0);
            let reader: Box<dyn std::io::Read + Send> = if self.gzip {
                Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                    file,
                )))
            } else {
                Box::new(file)
            };
            let values = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader))
                .into_iter::<Value>();
            self.values = Some(Box::new(values));
            return true;
        }
        false
    }

    /// Up to `n` more items; empty once every object was read.
    pub fn page(&mut self, n: usize) -> Vec<Value> {
        let mut out = vec![];
        while out.len() < n {
            let Some(values) = self.values.as_mut() else {
                if self.next_object() {
                    continue;
                }
                break;
            };
            match values.next() {
                Some(Ok(mut v)) => match v.get_mut("Item").map(Value::take) {
                    Some(i) if i.is_object() => out.push(i),
                    _ => self.errors += 1,
                },
                Some(Err(_)) => {
                    // A broken object (bad JSON, a gzip stream that fails) counts once.
                    self.errors += 1;
                    self.values = None;
                }
                None => self.values = None,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_recreate_keys_indexes_and_billing() {
        let desc = json!({
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6, "NumberOfDecreasesToday": 0},
            "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [], "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}, "IndexStatus": "ACTIVE"}],
        });
        let req = recreate_input(&desc, "T2", &json!({}));
        assert_eq!(req["BillingMode"], "PROVISIONED");
        assert_eq!(
            req["ProvisionedThroughput"],
            json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 6})
        );
        assert_eq!(
            req["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"],
            2
        );
        assert!(req["GlobalSecondaryIndexes"][0]
            .get("IndexStatus")
            .is_none());
        let ppr = recreate_input(
            &desc,
            "T3",
            &json!({"BillingModeOverride": "PAY_PER_REQUEST"}),
        );
        assert!(ppr.get("ProvisionedThroughput").is_none());
    }
}

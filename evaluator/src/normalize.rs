//! The one global normalization table, applied to expected and actual output alike.
//!
//! Every rule names what real AWS does that makes a value differ between the author's run and
//! ours. Rules replace a dynamic value with a placeholder, so the key must still be present on
//! the actual side (subset comparison), but its value is not compared.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

/// How a rule matches.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Matcher {
    /// A regex applied inside every string value (all matches replaced).
    Pattern { regex: &'static str },
    /// The value of an object key matching `key` (whose parent key matches `parent`, if given,
    /// and whose value matches `value`, if given). An empty string is never replaced: `""` is
    /// not a dynamic value, so it is compared as it is.
    Key {
        key: &'static str,
        parent: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<&'static str>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub name: &'static str,
    pub matcher: Matcher,
    pub replacement: &'static str,
    pub why: &'static str,
}

/// Values of a key that AWS reports interchangeably depending on timing.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEquivalence {
    pub key: &'static str,
    pub values: &'static [&'static str],
    pub canonical: &'static str,
    pub why: &'static str,
}

/// Keys that may be missing on the actual side even though the example shows them.
#[derive(Debug, Clone, Serialize)]
pub struct MayBeAbsent {
    pub key: &'static str,
    pub why: &'static str,
}

/// A list key whose actual list may hold more items than the example shows. Every list is
/// closed (same number of items) unless it is named here with what AWS does that makes the
/// author's list and any endpoint's differ in length.
#[derive(Debug, Clone, Serialize)]
pub struct OpenList {
    pub key: &'static str,
    pub why: &'static str,
}

/// A value AWS chooses when the request does not name it: compared only when the scored
/// command names it (its `flag`, or its key in an input JSON), else it must be present and of
/// its documented form (`shape`), but its value is AWS's draw.
#[derive(Debug, Clone, Serialize)]
pub struct ChosenUnlessNamed {
    pub key: &'static str,
    pub flag: &'static str,
    pub shape: &'static str,
    pub replacement: &'static str,
    pub why: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub rules: Vec<Rule>,
    pub chosen_unless_named: Vec<ChosenUnlessNamed>,
    pub status_equivalences: Vec<StatusEquivalence>,
    pub may_be_absent: Vec<MayBeAbsent>,
    pub open_lists: Vec<OpenList>,
}

impl Table {
    pub fn is_open_list(&self, key: &str) -> bool {
        self.open_lists.iter().any(|o| o.key == key)
    }

    pub fn may_be_absent(&self, key: &str) -> bool {
        self.may_be_absent.iter().any(|m| m.key == key)
    }
}

const CATALOG: &str = "a catalog AWS grows over time (new engine versions, node types, parameters and offerings appear after the example was recorded), so the author's list is a snapshot of a longer one";

const TIME_KEY: &str = r"(DateTime|Date|Time|Timestamp)$";

/// The table, in the order rules apply.
pub fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table {
        rules: vec![
            Rule {
                name: "arn-account-region",
                matcher: Matcher::Pattern {
                    regex: r"arn:aws:([a-z0-9-]+):[a-z0-9-]*:(?:[0-9x]{12})?:",
                },
                replacement: "arn:aws:$1:<region>:<account>:",
                why: "ARNs carry the caller's account and the request's region; the examples were recorded in other accounts and regions (some with the account's digits redacted as x)",
            },
            Rule {
                name: "dynamodb-stream-label",
                matcher: Matcher::Pattern {
                    regex: r"/stream/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}",
                },
                replacement: "/stream/<stream-label>",
                why: "a stream ARN ends with the stream label, the creation time of the stream",
            },
            Rule {
                name: "dynamodb-backup-id",
                matcher: Matcher::Pattern {
                    regex: r"/backup/\d{14}-[0-9a-f]{8}",
                },
                replacement: "/backup/<backup-id>",
                why: "backup ARNs end with the creation time in milliseconds and a random suffix",
            },
            Rule {
                name: "contributor-insights-rule-time",
                matcher: Matcher::Pattern {
                    regex: r"^(DynamoDBContributorInsights-[A-Z]{3}-.+)-\d{13}$",
                },
                replacement: "$1-<enabled-at>",
                why: "Contributor Insights rule names end with the time, in milliseconds, insights were enabled",
            },
            Rule {
                name: "uuid",
                matcher: Matcher::Pattern {
                    regex: r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                },
                replacement: "<uuid>",
                why: "UUIDs (table ids, request ids, restore ids) are random per resource",
            },
            Rule {
                name: "table-id",
                matcher: Matcher::Key {
                    key: r"^TableId$",
                    parent: None,
                    value: None,
                },
                replacement: "<uuid>",
                why: "a table's id is a random UUID assigned at creation (the examples show redacted ones)",
            },
            Rule {
                name: "iso-timestamp",
                matcher: Matcher::Pattern {
                    regex: r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$",
                },
                replacement: "<timestamp>",
                why: "timestamps record when the command ran",
            },
            Rule {
                name: "time-key",
                matcher: Matcher::Key {
                    key: TIME_KEY,
                    parent: None,
                    value: None,
                },
                replacement: "<timestamp>",
                why: "keys named ...DateTime/...Date/...Time hold instants (epoch numbers in DynamoDB output) that record when the command ran",
            },
            Rule {
                name: "dynamodb-stream-label-key",
                matcher: Matcher::Key {
                    key: r"^(LatestStreamLabel|StreamLabel)$",
                    parent: None,
                    value: None,
                },
                replacement: "<stream-label>",
                why: "the stream label is the creation time of the stream",
            },
            Rule {
                name: "stream-positions",
                matcher: Matcher::Key {
                    key: r"^(SequenceNumber|StartingSequenceNumber|EndingSequenceNumber|ShardId|ParentShardId|ShardIterator|NextShardIterator|eventID)$",
                    parent: None,
                    value: None,
                },
                replacement: "<stream-position>",
                why: "shard ids, sequence numbers, iterators and event ids are assigned by the stream at write time",
            },
            Rule {
                name: "pagination-token",
                matcher: Matcher::Key {
                    key: r"^(NextToken|Marker|LastEvaluatedBackupArn|LastEvaluatedTableName|LastEvaluatedGlobalTableName)$",
                    parent: None,
                    value: None,
                },
                replacement: "<token>",
                why: "pagination tokens are opaque; only their presence is meaningful",
            },
            Rule {
                name: "account-id",
                matcher: Matcher::Key {
                    key: r"^(OwnerId|AccountId)$",
                    parent: None,
                    value: None,
                },
                replacement: "<account>",
                why: "the owner is the calling account",
            },
            Rule {
                name: "region-of-record",
                matcher: Matcher::Key {
                    key: r"^awsRegion$",
                    parent: None,
                    value: None,
                },
                replacement: "<region>",
                why: "stream records name the region of the request, which differs from the author's",
            },
            Rule {
                name: "availability-zone",
                matcher: Matcher::Key {
                    key: r"^(PreferredAvailabilityZone|CustomerAvailabilityZone|AvailabilityZone|Name)$",
                    parent: Some(r"^(CacheCluster|CacheNodes|NodeGroupMembers|SubnetAvailabilityZone|CacheClusters|Snapshot|Snapshots)$"),
                    // A zone name only: `Multiple` (nodes in several zones) is compared as it is.
                    value: Some(r"^[a-z]{2}(-[a-z]+)+-\d+[a-z]$"),
                },
                replacement: "<availability-zone>",
                why: "AWS picks the availability zone of a node or subnet when none is requested, within the request's region (a zone name; `Multiple`, nodes spread over zones, is compared)",
            },
            Rule {
                name: "vpc-id",
                matcher: Matcher::Key {
                    key: r"^VpcId$",
                    parent: None,
                    value: None,
                },
                replacement: "<vpc-id>",
                why: "every account has its own VPCs (its default VPC included), with ids AWS assigns at random",
            },
            Rule {
                name: "subnet-id",
                matcher: Matcher::Key {
                    key: r"^SubnetIdentifier$",
                    parent: None,
                    value: None,
                },
                replacement: "<subnet-id>",
                why: "subnets belong to an account's VPCs (its default subnets, one per availability zone, included), with ids AWS assigns at random",
            },
            Rule {
                name: "endpoint-address",
                matcher: Matcher::Key {
                    key: r"^(Address|Port)$",
                    parent: Some(r"Endpoints?$"),
                    value: None,
                },
                replacement: "<endpoint>",
                why: "endpoint hosts and ports name where the service or node runs; they differ for every account, region and host",
            },
        ],
        chosen_unless_named: vec![
            ChosenUnlessNamed {
                key: "PreferredMaintenanceWindow",
                flag: "--preferred-maintenance-window",
                shape: r"^(sun|mon|tue|wed|thu|fri|sat):\d{2}:\d{2}-(sun|mon|tue|wed|thu|fri|sat):\d{2}:\d{2}$",
                replacement: "<aws-chosen-maintenance-window>",
                why: "without PreferredMaintenanceWindow, ElastiCache assigns a 60-minute window chosen at random from the region's 8-hour block, on a random day (ElastiCache User Guide, Managing maintenance): the author's account got one draw",
            },
            ChosenUnlessNamed {
                key: "SnapshotWindow",
                flag: "--snapshot-window",
                shape: r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                replacement: "<aws-chosen-snapshot-window>",
                why: "without SnapshotWindow, ElastiCache automatically chooses the daily snapshot window (API reference, CreateCacheCluster SnapshotWindow): the author's account got one draw",
            },
        ],
        status_equivalences: vec![StatusEquivalence {
            key: "BackupStatus",
            values: &["CREATING", "AVAILABLE"],
            canonical: "<backup-creating-or-available>",
            why: "an on-demand backup completes asynchronously; for small tables it is already AVAILABLE when first described",
        }],
        may_be_absent: vec![],
        open_lists: vec![
            OpenList {
                key: "CacheEngineVersions",
                why: CATALOG,
            },
            OpenList {
                key: "Parameters",
                why: "the parameters of a cache parameter family or group: the engine's catalog, which grows with every engine release (AWS lists every parameter the family has, the example shows the ones it kept)",
            },
            OpenList {
                key: "CacheNodeTypeSpecificParameters",
                why: CATALOG,
            },
            OpenList {
                key: "CacheNodeTypeSpecificValues",
                why: "one value per node type: the node-type catalog grows as AWS adds instance families",
            },
            OpenList {
                key: "ScaleUpModifications",
                why: "the node types a node may scale to: the node-type catalog grows as AWS adds instance families",
            },
            OpenList {
                key: "ScaleDownModifications",
                why: "the node types a node may scale to: the node-type catalog grows as AWS adds instance families",
            },
            OpenList {
                key: "ReservedCacheNodesOfferings",
                why: CATALOG,
            },
            OpenList {
                key: "ServiceUpdates",
                why: "service updates are published by AWS over time; the list depends on when it is read",
            },
            OpenList {
                key: "UpdateActions",
                why: "update actions follow the service updates AWS publishes over time",
            },
            OpenList {
                key: "Events",
                why: "an event history of the account and region that a fixture cannot reproduce (AWS records events for everything that happened in the last 14 days)",
            },
        ],
    })
}

struct KeyRule {
    name: &'static str,
    key: Regex,
    parent: Option<Regex>,
    value: Option<Regex>,
    replacement: &'static str,
}

struct Compiled {
    patterns: Vec<(&'static str, Regex, &'static str)>,
    keys: Vec<KeyRule>,
    /// The shapes of the values AWS chooses, in table order.
    shapes: Vec<Regex>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut keys = Vec::new();
        for r in &table().rules {
            match &r.matcher {
                Matcher::Pattern { regex } => patterns.push((
                    r.name,
                    Regex::new(regex).expect("rule regex"),
                    r.replacement,
                )),
                Matcher::Key { key, parent, value } => keys.push(KeyRule {
                    name: r.name,
                    key: Regex::new(key).expect("rule regex"),
                    parent: parent.map(|p| Regex::new(p).expect("rule regex")),
                    value: value.map(|v| Regex::new(v).expect("rule regex")),
                    replacement: r.replacement,
                }),
            }
        }
        let shapes = table()
            .chosen_unless_named
            .iter()
            .map(|c| Regex::new(c.shape).expect("shape regex"))
            .collect();
        Compiled {
            patterns,
            keys,
            shapes,
        }
    })
}

/// One entry of the table, by the name reports use: a rule's own name, `aws-chosen:KEY`,
/// `status-equivalence:KEY`, `may-be-absent:KEY` or `open-list:KEY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub name: String,
    pub why: &'static str,
}

/// Every entry of the table, in table order.
pub fn entries() -> Vec<Entry> {
    let t = table();
    let mut out: Vec<Entry> = t
        .rules
        .iter()
        .map(|r| Entry {
            name: r.name.to_string(),
            why: r.why,
        })
        .collect();
    let named = |prefix: &str, key: &str, why: &'static str| Entry {
        name: format!("{prefix}:{key}"),
        why,
    };
    out.extend(
        t.chosen_unless_named
            .iter()
            .map(|c| named("aws-chosen", c.key, c.why)),
    );
    out.extend(
        t.status_equivalences
            .iter()
            .map(|e| named("status-equivalence", e.key, e.why)),
    );
    out.extend(
        t.may_be_absent
            .iter()
            .map(|m| named("may-be-absent", m.key, m.why)),
    );
    out.extend(
        t.open_lists
            .iter()
            .map(|o| named("open-list", o.key, o.why)),
    );
    out
}

/// The table with one entry left out (none: the whole table): what a comparison sees when
/// that entry is switched off, to tell which examples it turns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Without<'a>(pub Option<&'a str>);

impl Without<'_> {
    fn drops(&self, prefix: &str, key: &str) -> bool {
        self.0.is_some_and(|n| {
            n.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|k| k == key)
        })
    }

    fn drops_rule(&self, name: &str) -> bool {
        self.0 == Some(name)
    }

    /// Whether `key` is an open list with this entry left out.
    pub fn is_open_list(&self, key: &str) -> bool {
        table().is_open_list(key) && !self.drops("open-list", key)
    }

    /// Whether `key` may be absent with this entry left out.
    pub fn may_be_absent(&self, key: &str) -> bool {
        table().may_be_absent(key) && !self.drops("may-be-absent", key)
    }
}

/// Applies the table to a value (used on both sides).
pub fn normalize(v: &Value) -> Value {
    walk(v, None, None, &[], Without(None))
}

/// Applies the table to a value a step's command produced: values AWS chooses are compared
/// only when `command` (the step's argv and input files) names them.
pub fn normalize_step(v: &Value, command: &str) -> Value {
    normalize_step_without(v, command, Without(None))
}

/// `normalize_step` with one entry of the table left out.
pub fn normalize_step_without(v: &Value, command: &str, without: Without) -> Value {
    let chosen: Vec<(&str, &Regex, &str)> = table()
        .chosen_unless_named
        .iter()
        .zip(&compiled().shapes)
        .filter(|(c, _)| !command.contains(c.flag) && !command.contains(c.key))
        .filter(|(c, _)| !without.drops("aws-chosen", c.key))
        .map(|(c, re)| (c.key, re, c.replacement))
        .collect();
    walk(v, None, None, &chosen, without)
}

fn walk(
    v: &Value,
    key: Option<&str>,
    parent: Option<&str>,
    chosen: &[(&str, &Regex, &str)],
    without: Without,
) -> Value {
    let c = compiled();
    if let Some(k) = key {
        if let Value::String(s) = v {
            if let Some((_, _, rep)) = chosen.iter().find(|(ck, re, _)| *ck == k && re.is_match(s))
            {
                return Value::String((*rep).to_string());
            }
        }
        let empty = v.as_str() == Some("");
        if !v.is_null() && !v.is_object() && !v.is_array() && !empty {
            for r in c.keys.iter().filter(|r| !without.drops_rule(r.name)) {
                let parent_ok = match &r.parent {
                    None => true,
                    Some(p) => parent.is_some_and(|pk| p.is_match(pk)),
                };
                let value_ok = match (&r.value, v.as_str()) {
                    (None, _) => true,
                    (Some(re), Some(s)) => re.is_match(s),
                    (Some(_), None) => false,
                };
                if parent_ok && value_ok && r.key.is_match(k) {
                    return Value::String(r.replacement.to_string());
                }
            }
            if let Value::String(s) = v {
                for eq in &table().status_equivalences {
                    if eq.key == k
                        && eq.values.contains(&s.as_str())
                        && !without.drops("status-equivalence", eq.key)
                    {
                        return Value::String(eq.canonical.to_string());
                    }
                }
            }
        }
    }
    match v {
        Value::String(s) => {
            let mut out = s.clone();
            for (_, re, rep) in c.patterns.iter().filter(|(n, _, _)| !without.drops_rule(n)) {
                if re.is_match(&out) {
                    out = re.replace_all(&out, *rep).into_owned();
                }
            }
            Value::String(out)
        }
        // A list's items inherit the list's key as their parent (e.g. `CacheNodes[].Endpoint`).
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| walk(i, key, parent, chosen, without))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, val)| (k.clone(), walk(val, Some(k), key, chosen, without)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The table as Markdown, for reports.
pub fn describe_markdown() -> String {
    let t = table();
    let mut s = String::from("| rule | matches | becomes | why |\n|---|---|---|---|\n");
    for r in &t.rules {
        let m = match &r.matcher {
            Matcher::Pattern { regex } => format!("strings matching `{regex}`"),
            Matcher::Key { key, parent, value } => {
                let mut m = format!("values of keys `{key}`");
                if let Some(p) = parent {
                    m.push_str(&format!(" under `{p}`"));
                }
                if let Some(v) = value {
                    m.push_str(&format!(" matching `{v}`"));
                }
                m
            }
        };
        s.push_str(&format!(
            "| {} | {} | `{}` | {} |\n",
            r.name,
            m.replace('|', "\\|"),
            r.replacement,
            r.why
        ));
    }
    for c in &t.chosen_unless_named {
        s.push_str(&format!(
            "| aws-chosen | values of `{}` of the form `{}`, unless the command names `{}` | `{}` | {} |\n",
            c.key,
            c.shape.replace('|', "\\|"),
            c.flag,
            c.replacement,
            c.why
        ));
    }
    for e in &t.status_equivalences {
        s.push_str(&format!(
            "| status-equivalence | `{}` in {:?} | `{}` | {} |\n",
            e.key, e.values, e.canonical, e.why
        ));
    }
    if t.may_be_absent.is_empty() {
        s.push_str("\nKeys that may be absent: none (a key the example shows must be present).\n");
    }
    for m in &t.may_be_absent {
        s.push_str(&format!("\nMay be absent: `{}`: {}\n", m.key, m.why));
    }
    s.push_str(&describe_open_lists_markdown());
    s
}

/// The open lists as Markdown: every other list must have exactly the items the example shows.
pub fn describe_open_lists_markdown() -> String {
    let mut s = String::from(
        "\n### Open lists\n\nLists compare as multisets: the same number of items, unordered, each expected item matched to its own actual item. Only these list keys may hold more actual items than the example shows:\n\n| list key | why AWS returns more |\n|---|---|\n",
    );
    for o in &table().open_lists {
        s.push_str(&format!("| `{}` | {} |\n", o.key, o.why));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn windows_aws_chose_are_compared_only_when_the_command_names_them() {
        let v = json!({"CacheCluster": {"PreferredMaintenanceWindow": "sat:13:00-sat:14:00",
            "SnapshotWindow": "06:30-07:30"}});
        let unnamed = normalize_step(
            &v,
            "aws elasticache create-cache-cluster --cache-cluster-id x",
        );
        assert_eq!(
            unnamed["CacheCluster"]["PreferredMaintenanceWindow"],
            "<aws-chosen-maintenance-window>"
        );
        assert_eq!(
            unnamed["CacheCluster"]["SnapshotWindow"],
            "<aws-chosen-snapshot-window>"
        );
        let named = normalize_step(
            &v,
            "aws elasticache create-cache-cluster --preferred-maintenance-window sat:13:00-sat:14:00",
        );
        assert_eq!(
            named["CacheCluster"]["PreferredMaintenanceWindow"],
            "sat:13:00-sat:14:00"
        );
        assert_eq!(
            named["CacheCluster"]["SnapshotWindow"],
            "<aws-chosen-snapshot-window>"
        );
        // In an input JSON too.
        let json_input =
            normalize_step(&v, r#"--cli-input-json {"SnapshotWindow": "06:30-07:30"}"#);
        assert_eq!(json_input["CacheCluster"]["SnapshotWindow"], "06:30-07:30");
        // A value not of the window's form stays, so it is still compared.
        let odd = json!({"SnapshotWindow": "fri: 05: 30"});
        assert_eq!(normalize_step(&odd, "aws x"), odd);
    }

    #[test]
    fn open_lists_carry_a_reason_and_are_printed() {
        let t = table();
        assert!(t.is_open_list("Events"));
        assert!(!t.is_open_list("AttributeDefinitions"));
        assert!(!t.is_open_list("Replicas"));
        assert!(t.open_lists.iter().all(|o| o.why.len() > 20));
        let md = describe_markdown();
        assert!(md.contains("### Open lists"));
        assert!(md.contains("| `CacheEngineVersions` |"));
    }

    #[test]
    fn arns_and_timestamps() {
        let v = json!({
            "TableArn": "arn:aws:dynamodb:us-west-2:123456789012:table/MusicCollection",
            "LatestStreamArn": "arn:aws:dynamodb:us-west-2:123456789012:table/M/stream/2020-05-26T21:55:14.543",
            "CreationDateTime": 1576616366.715,
            "CacheClusterCreateTime": "2019-12-04T18:24:56.652Z",
            "TableId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            "TableName": "MusicCollection",
        });
        let n = normalize(&v);
        assert_eq!(
            n["TableArn"],
            "arn:aws:dynamodb:<region>:<account>:table/MusicCollection"
        );
        assert_eq!(
            n["LatestStreamArn"],
            "arn:aws:dynamodb:<region>:<account>:table/M/stream/<stream-label>"
        );
        assert_eq!(n["CreationDateTime"], "<timestamp>");
        assert_eq!(n["CacheClusterCreateTime"], "<timestamp>");
        assert_eq!(n["TableName"], "MusicCollection");
        assert_eq!(n["TableId"], "<uuid>");
    }

    #[test]
    fn endpoint_rules_are_scoped_by_parent() {
        let v =
            json!({"Endpoint": {"Address": "x.cache.amazonaws.com", "Port": 6379}, "Port": 6379});
        let n = normalize(&v);
        assert_eq!(n["Endpoint"]["Port"], "<endpoint>");
        assert_eq!(n["Port"], 6379);
    }

    #[test]
    fn null_is_left_alone() {
        let v = json!({"CreationDateTime": null});
        assert_eq!(normalize(&v)["CreationDateTime"], Value::Null);
    }

    #[test]
    fn redacted_accounts_and_vpc_ids_are_account_specific() {
        let v = json!({
            "ARN": "arn:aws:elasticache:us-west-2:xxxxxxxxxx52:usergroup:g",
            "VpcId": "vpc-a3e97cdb",
            "Snapshot": {"PreferredAvailabilityZone": "us-west-2b", "SnapshotName": "s"},
        });
        let n = normalize(&v);
        assert_eq!(
            n["ARN"],
            "arn:aws:elasticache:<region>:<account>:usergroup:g"
        );
        assert_eq!(n["VpcId"], "<vpc-id>");
        let sub = normalize(&json!({"Subnets": [{"SubnetIdentifier": "subnet-8d4bacf5"}]}));
        assert_eq!(sub["Subnets"][0]["SubnetIdentifier"], "<subnet-id>");
        assert_eq!(
            n["Snapshot"]["PreferredAvailabilityZone"],
            "<availability-zone>"
        );
        assert_eq!(n["Snapshot"]["SnapshotName"], "s");
        // `Multiple` says the nodes are in several zones: compared, never a zone placeholder.
        let multi =
            normalize(&json!({"CacheClusters": [{"PreferredAvailabilityZone": "Multiple"}]}));
        assert_eq!(
            multi["CacheClusters"][0]["PreferredAvailabilityZone"],
            "Multiple"
        );
        // An empty token is no token: `""` stays `""`.
        assert_eq!(normalize(&json!({"Marker": ""}))["Marker"], "");
        assert_eq!(normalize(&json!({"Marker": "abc"}))["Marker"], "<token>");
        // Anything else in the account position is not an account and stays.
        let odd = normalize(&json!("arn:aws:s3:::bucket"));
        assert_eq!(odd, "arn:aws:s3:<region>:<account>:bucket");
    }

    #[test]
    fn contributor_insights_rule_names_lose_their_enable_time() {
        let n = normalize(&json!([
            "DynamoDBContributorInsights-PKC-MusicCollection-1576629651520",
            "DynamoDBContributorInsights-PKC-MusicCollection-17954334",
        ]));
        assert_eq!(
            n[0],
            "DynamoDBContributorInsights-PKC-MusicCollection-<enabled-at>"
        );
        // Not a millisecond time: left alone.
        assert_eq!(
            n[1],
            "DynamoDBContributorInsights-PKC-MusicCollection-17954334"
        );
    }
}

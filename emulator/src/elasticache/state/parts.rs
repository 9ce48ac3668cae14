//! Small typed parts shared by the records, serialized with the API's member names.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An address clients connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    pub address: String,
    pub port: u16,
}

impl From<SocketAddr> for Endpoint {
    fn from(a: SocketAddr) -> Self {
        Self {
            address: a.ip().to_string(),
            port: a.port(),
        }
    }
}

/// A resource tag (the model requires neither member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An event DescribeEvents lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    pub source_identifier: String,
    /// One of the SourceType values DescribeEvents accepts.
    pub source_type: String,
    pub message: String,
    pub date: String,
}

/// An enabled log delivery as the API reports it; the members are the request's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDelivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_type: Option<String>,
    /// Passed through as given (CloudWatch Logs or Kinesis Firehose details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    pub status: String,
}

/// An enum of AWS's exact strings: serde names, `as_str` and `Display` from one table.
macro_rules! api_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$v => $s,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use api_enum;
api_enum! {
    /// AutomaticFailover, MultiAZ, ClusterMode as the API reports them.
    Switch {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

impl From<bool> for Switch {
    fn from(on: bool) -> Self {
        if on {
            Self::Enabled
        } else {
            Self::Disabled
        }
    }
}

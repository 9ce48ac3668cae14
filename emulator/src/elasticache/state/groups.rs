//! Parameter, subnet and security groups as records. Saved under `--state-dir` with the API's
//! member names, the format earlier versions wrote as JSON documents, so their saved groups
//! load as they are.

use serde::{Deserialize, Serialize};

/// A user's cache parameter group (the family defaults are implicit, not records).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParamGroupRecord {
    pub cache_parameter_group_name: String,
    pub cache_parameter_group_family: String,
    pub description: String,
    pub is_global: bool,
    #[serde(rename = "ARN")]
    pub arn: String,
}

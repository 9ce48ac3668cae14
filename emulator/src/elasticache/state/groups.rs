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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AvailabilityZone {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_identifier: String,
    pub subnet_availability_zone: AvailabilityZone,
    pub supported_network_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetGroupRecord {
    pub cache_subnet_group_name: String,
    pub cache_subnet_group_description: String,
    pub vpc_id: String,
    pub subnets: Vec<Subnet>,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub supported_network_types: Vec<String>,
}

/// An EC2 security group authorized in a cache security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ec2Grant {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "EC2SecurityGroupName")]
    pub name: String,
    #[serde(rename = "EC2SecurityGroupOwnerId")]
    pub owner_id: String,
}

/// An EC2-Classic cache security group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRecord {
    pub owner_id: String,
    pub cache_security_group_name: String,
    pub description: String,
    #[serde(rename = "EC2SecurityGroups")]
    pub ec2_security_groups: Vec<Ec2Grant>,
    #[serde(rename = "ARN")]
    pub arn: String,
}

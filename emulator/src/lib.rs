//! Local AWS endpoint: ElastiCache on real redis-server/memcached processes, DynamoDB and
//! DynamoDB Streams over AWS's DynamoDB Local, plus the S3 and STS calls their clients need. See ARCHITECTURE.md for the map.

pub mod config;
pub mod context;
pub mod dynamodb;
pub mod elasticache;
pub mod gateway;
#[cfg(test)]
mod layout_check;
pub mod protocol;
pub mod s3;
pub mod sts;
pub mod supervisor;

pub use config::Config;
pub use gateway::run;

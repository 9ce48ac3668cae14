//! Wire codecs, pure and free of IO: AWS JSON 1.0 (DynamoDB) and AWS Query (ElastiCache).

pub mod json;
pub mod query;

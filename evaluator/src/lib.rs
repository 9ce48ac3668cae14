//! Conformance harness: parses the AWS CLI's RST examples, runs them with the real AWS CLI against
//! an endpoint, normalizes and compares outputs, and writes strict pass-rate reports.
//!
//! `rst`, `normalize` and `compare` are pure; IO lives in `corpus`, `fixtures`, `runner`, `report`.

pub mod botocore;
pub mod cli;
pub mod compare;
pub mod corpus;
pub mod fixtures;
pub mod history;
pub mod http;
pub mod normalize;
pub mod progress;
pub mod report;
pub mod rst;
pub mod runner;
pub mod strict_json;
pub mod targets;

//! ElastiCache integration tests (through the real AWS CLI and real clients).

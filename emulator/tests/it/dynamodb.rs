//! DynamoDB integration tests (through the real AWS CLI).

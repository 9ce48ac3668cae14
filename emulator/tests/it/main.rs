//! One integration test binary for the emulator (submodules per service).

mod common;
mod dynamodb;
mod elasticache;
mod gateway;
mod image;
mod lifecycle;
mod reset;

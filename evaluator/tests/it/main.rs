//! Integration tests of the evaluator (one test binary, one module per concern).

mod baseline;
mod budget;
mod cli_errors;
mod common;
mod corpus;
mod drivers;
mod fixtures;
mod gate;
mod pages;

//! The proxy's vector indexes (DynamoDB Local has none): definitions and AWS's checks
//! (`index`), float32 scores (`score`), the contiguous float32 store and its journal
//! (`store`), the SearchConditionExpression parser and backfills (`search`), the data-plane write hooks that
//! keep the indexes current (`hooks`) and the key a PartiQL write names (`partiql`).

pub mod hooks;
pub mod index;
pub mod partiql;
pub mod score;
pub mod search;
pub mod store;

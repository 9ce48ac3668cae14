//! The proxy's vector indexes (DynamoDB Local has none): definitions and AWS's checks
//! (`index`), float32 scores (`score`), the contiguous float32 store and its journal
//! (`store`), the SearchConditionExpression (`condition`; its refusals' texts in
//! `condition_errors`, its tokens in `tokens`, DynamoDB's reserved words in `reserved`),
//! searches and backfills (`search`), the data-plane write hooks that keep the indexes current
//! (`hooks`), what a PutItem into such a table consumes (`capacity`) and the key a PartiQL
//! write names (`partiql`).

pub mod capacity;
pub mod condition;
pub mod condition_errors;
pub mod hooks;
pub mod index;
pub mod partiql;
pub mod reserved;
pub mod score;
pub mod search;
pub mod store;
pub mod tokens;

//! Client request tokens of transactions (TransactWriteItems, ExecuteTransaction) that succeeded
//! lately, so that a same-token replay can be told from a first call: AWS answers a replay's
//! ConsumedCapacity as the read of the stored result (nubo-db/dynamodb-conformance
//! `tests/tier2/transactions/transactWrite.test.ts`, `tests/tier2/partiql/executeTransaction.test.ts`).
//! DynamoDB Local applies the idempotency itself; this only remembers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token makes a request idempotent (API reference, TransactWriteItems
/// `ClientRequestToken`: "valid for 10 minutes after the first request that uses it").
const WINDOW: Duration = Duration::from_secs(600);

/// By operation, account, region and token: when it first succeeded.
#[derive(Default)]
pub struct ClientTokens(Mutex<HashMap<(String, String, String, String), Instant>>);

fn key(op: &str, account: &str, region: &str, token: &str) -> (String, String, String, String) {
    (op.into(), account.into(), region.into(), token.into())
}

impl ClientTokens {
    /// Whether `token` succeeded within the window.
    pub fn seen(&self, op: &str, account: &str, region: &str, token: &str) -> bool {
        let seen = self.0.lock().unwrap();
        seen.get(&key(op, account, region, token))
            .is_some_and(|t| t.elapsed() < WINDOW)
    }

    /// Notes a success with `token` (the first only: the window runs from it), forgetting
    /// tokens past the window.
    pub fn note(&self, op: &str, account: &str, region: &str, token: &str) {
        let mut seen = self.0.lock().unwrap();
        seen.retain(|_, t| t.elapsed() < WINDOW);
        seen.entry(key(op, account, region, token))
            .or_insert_with(Instant::now);
    }

    /// After a success with `token`: whether it replays one within the window (else it is
    /// noted from now).
    pub fn replayed(&self, op: &str, account: &str, region: &str, token: &str) -> bool {
        if self.seen(op, account, region, token) {
            return true;
        }
        self.note(op, account, region, token);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_use_within_the_window_is_a_replay() {
        let t = ClientTokens::default();
        let op = "TransactWriteItems";
        assert!(!t.replayed(op, "a", "r", "tok"));
        assert!(t.replayed(op, "a", "r", "tok"));
        assert!(!t.replayed(op, "b", "r", "tok"));
        assert!(!t.replayed(op, "a", "r", "other"));
        assert!(!t.seen("ExecuteTransaction", "a", "r", "tok"));
    }
}

//! TransactWriteItems client request tokens seen lately, so that a same-token replay can be
//! told from a first call: AWS answers a replay's ConsumedCapacity as the read of the stored
//! result (nubo-db/dynamodb-conformance `tests/tier2/transactions/transactWrite.test.ts`,
//! eu-west-2). DynamoDB Local applies the idempotency itself; this only remembers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token makes a request idempotent (API reference, TransactWriteItems
/// `ClientRequestToken`: "valid for 10 minutes after the first request that uses it").
const WINDOW: Duration = Duration::from_secs(600);

#[derive(Default)]
pub struct ClientTokens(Mutex<HashMap<(String, String, String), Instant>>);

impl ClientTokens {
    /// After a successful TransactWriteItems with `token`: whether it replays one within the
    /// window (else it is remembered from now). Tokens past the window are forgotten.
    pub fn replayed(&self, account: &str, region: &str, token: &str) -> bool {
        let mut seen = self.0.lock().unwrap();
        let key = (account.to_string(), region.to_string(), token.to_string());
        if seen.get(&key).is_some_and(|t| t.elapsed() < WINDOW) {
            return true;
        }
        seen.retain(|_, t| t.elapsed() < WINDOW);
        seen.insert(key, Instant::now());
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_use_within_the_window_is_a_replay() {
        let t = ClientTokens::default();
        assert!(!t.replayed("a", "r", "tok"));
        assert!(t.replayed("a", "r", "tok"));
        assert!(!t.replayed("b", "r", "tok"));
        assert!(!t.replayed("a", "r", "other"));
    }
}

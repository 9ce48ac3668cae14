//! The per-example time budget: a driver wrapper that never lets a command outlive the example's
//! deadline, so a slow or hanging endpoint ends the example with a clear outcome instead of
//! holding the run.

use std::time::{Duration, Instant};

use super::driver::{CmdOutput, Driver, DriverError, Invocation};

pub struct Budgeted<'a> {
    inner: &'a mut dyn Driver,
    deadline: Instant,
    budget: Duration,
}

impl<'a> Budgeted<'a> {
    pub fn new(inner: &'a mut dyn Driver, budget: Duration) -> Budgeted<'a> {
        Budgeted {
            inner,
            deadline: Instant::now() + budget,
            budget,
        }
    }

    pub fn exhausted(&self) -> bool {
        Instant::now() >= self.deadline
    }

    pub fn budget(&self) -> Duration {
        self.budget
    }
}

impl Driver for Budgeted<'_> {
    fn run(&mut self, inv: &Invocation) -> Result<CmdOutput, DriverError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // Spent: answer as a timed-out command without running it.
            return Ok(CmdOutput {
                exit_code: None,
                stdout: String::new(),
                stderr: String::new(),
                duration: Duration::ZERO,
                timed_out: true,
            });
        }
        self.inner.run(&Invocation {
            timeout: inv.timeout.min(left),
            ..*inv
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Sleeps for the command's timeout, as a hanging endpoint would make it.
    struct Hanging;

    impl Driver for Hanging {
        fn run(&mut self, inv: &Invocation) -> Result<CmdOutput, DriverError> {
            std::thread::sleep(inv.timeout);
            Ok(CmdOutput {
                exit_code: None,
                stdout: String::new(),
                stderr: String::new(),
                duration: inv.timeout,
                timed_out: true,
            })
        }
    }

    #[test]
    fn commands_never_outlive_the_budget() {
        let mut inner = Hanging;
        let mut b = Budgeted::new(&mut inner, Duration::from_millis(150));
        let argv = ["aws".to_string()];
        let inv = Invocation {
            argv: &argv,
            env: &[],
            cwd: Path::new("."),
            timeout: Duration::from_secs(60),
        };
        let start = Instant::now();
        let first = b.run(&inv).unwrap();
        assert!(first.timed_out);
        assert!(b.exhausted());
        // Once spent, commands are not run at all.
        let second = b.run(&inv).unwrap();
        assert!(second.timed_out && second.duration.is_zero());
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}

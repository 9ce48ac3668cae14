//! Progress while a run goes: a bar on a terminal; elsewhere (CI logs, `nohup`) one line to
//! stderr every few seconds with done/total, failures so far and what each worker is running, so
//! a slow run is never silent.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::report::{ExampleResult, Outcome};
use crate::runner::Progress;

#[derive(Default)]
struct State {
    done: usize,
    failed: usize,
    running: BTreeMap<usize, (String, Instant)>,
    stop: bool,
}

pub struct Reporter {
    total: usize,
    label: String,
    bar: Option<indicatif::ProgressBar>,
    state: Arc<(Mutex<State>, Condvar)>,
    ticker: Option<JoinHandle<()>>,
}

/// One progress line (`total` counts the selected examples): `[12 s] label 57/202 done, 3 failed; running: a (2 s), b (0 s)`.
fn line(label: &str, total: usize, st: &State, elapsed: Duration) -> String {
    let running: Vec<String> = st
        .running
        .values()
        .map(|(id, since)| format!("{id} ({} s)", since.elapsed().as_secs()))
        .collect();
    let mut l = format!(
        "[{} s] {label}{}/{total} done, {} failed",
        elapsed.as_secs(),
        st.done,
        st.failed
    );
    if !running.is_empty() {
        l.push_str("; running: ");
        l.push_str(&running.join(", "));
    }
    l
}

impl Reporter {
    /// `bar`: draw a bar (a terminal); else print a line every `every` to stderr. `quiet`: neither.
    pub fn new(total: usize, label: &str, bar: bool, quiet: bool, every: Duration) -> Reporter {
        let sink: Box<dyn Write + Send> = Box::new(std::io::stderr());
        Reporter::with_sink(total, label, bar, quiet, every, sink)
    }

    /// As `new`, with the lines going to `sink`.
    pub fn with_sink(
        total: usize,
        label: &str,
        bar: bool,
        quiet: bool,
        every: Duration,
        mut sink: Box<dyn Write + Send>,
    ) -> Reporter {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("{label}: ")
        };
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let (bar, ticker) = if quiet {
            (None, None)
        } else if bar {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            (Some(b), None)
        } else {
            let st = Arc::clone(&state);
            let label = label.clone();
            let start = Instant::now();
            let t = std::thread::spawn(move || {
                let (lock, cv) = &*st;
                let mut g = lock.lock().expect("progress lock");
                loop {
                    let (next, timeout) = cv.wait_timeout(g, every).expect("progress lock");
                    g = next;
                    if g.stop {
                        break;
                    }
                    if timeout.timed_out() {
                        let l = line(&label, total, &g, start.elapsed());
                        let _ = writeln!(sink, "{l}");
                        let _ = sink.flush();
                    }
                }
            });
            (None, Some(t))
        };
        Reporter {
            total,
            label,
            bar,
            state,
            ticker,
        }
    }

    /// Stops the ticker and clears the bar.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        {
            let (lock, cv) = &*self.state;
            lock.lock().expect("progress lock").stop = true;
            cv.notify_all();
        }
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    /// The line the ticker would print now (for tests and the final count).
    pub fn snapshot(&self, elapsed: Duration) -> String {
        let g = self.state.0.lock().expect("progress lock");
        line(&self.label, self.total, &g, elapsed)
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Progress for Reporter {
    fn started(&self, worker: usize, id: &str) {
        let mut g = self.state.0.lock().expect("progress lock");
        g.running.insert(worker, (id.to_string(), Instant::now()));
    }

    fn finished(&self, worker: usize, r: &ExampleResult) {
        // Examples left out by --filter are not part of the count.
        if r.outcome == Outcome::Skipped {
            self.state
                .0
                .lock()
                .expect("progress lock")
                .running
                .remove(&worker);
            return;
        }
        {
            let mut g = self.state.0.lock().expect("progress lock");
            g.running.remove(&worker);
            g.done += 1;
            // Waived examples are not failures of the endpoint; they count as done.
            if matches!(
                r.outcome,
                Outcome::FailExit | Outcome::FailOutput | Outcome::HarnessError
            ) {
                g.failed += 1;
            }
        }
        if let Some(b) = &self.bar {
            b.set_message(format!("{} {}", r.outcome.as_str(), r.id));
            b.inc(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink tests can read while the ticker writes to it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn without_a_terminal_lines_come_every_period() {
        let sink = Shared::default();
        let r = Reporter::with_sink(
            2,
            "",
            false,
            false,
            Duration::from_millis(40),
            Box::new(sink.clone()),
        );
        r.started(0, "elasticache/x.rst#1");
        // Three periods' lines, however long a busy machine takes to schedule the reporter.
        let lines_now = || {
            String::from_utf8_lossy(&sink.0.lock().unwrap())
                .lines()
                .count()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while lines_now() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        r.finish();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 3, "{text}");
        assert!(lines[0].contains("0/2 done, 0 failed; running: elasticache/x.rst#1"));
        // Nothing after finish.
        let n = lines.len();
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(
            sink.0
                .lock()
                .unwrap()
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            n
        );
    }

    #[test]
    fn a_line_names_counts_and_running_examples() {
        let r = Reporter::new(3, "ours", false, true, Duration::from_secs(5));
        r.started(0, "dynamodb/put-item.rst#1");
        r.started(1, "elasticache/x.rst#1");
        let l = r.snapshot(Duration::from_secs(7));
        assert!(
            l.starts_with("[7 s] ours: 0/3 done, 0 failed; running: "),
            "{l}"
        );
        assert!(l.contains("dynamodb/put-item.rst#1 (0 s)") && l.contains("elasticache/x.rst#1"));
    }
}

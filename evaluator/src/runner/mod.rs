//! Runs examples: reset, materialize files, setup (unscored), scored steps, outcome.

pub mod api_reset;
pub mod budget;
pub mod driver;
pub mod node_data;
pub mod target;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::compare;
use crate::normalize::{self, Without};
use crate::report::{ExamplePhases, ExampleResult, Outcome, StepResult};
use crate::rst::{self, Example, ExampleFile, Expected, Severity};
use driver::{CliKind, CmdOutput, Driver, Invocation};
use target::ResetMode;

/// Everything a worker needs to know about the run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub endpoint: String,
    pub reset: ResetMode,
    pub cli: CliKind,
    pub aws_cli: PathBuf,
    pub jobs: usize,
    pub timeout: Duration,
    /// The most one example may take, reset and setup included.
    pub example_budget: Duration,
    pub region: String,
    /// Regions `--reset api` cleans (the default one plus those the corpus names).
    pub api_regions: Vec<String>,
    /// Services `--reset api` cleans.
    pub api_services: Vec<String>,
    pub scratch: PathBuf,
}

/// One example to run, with its fixture data.
pub struct Job<'a> {
    pub file: &'a ExampleFile,
    pub example: &'a Example,
    pub setup: Vec<String>,
    /// The fixture's region for this example, if it names one.
    pub region: Option<String>,
    pub waiver: Option<(String, String)>,
    /// A known-failure explanation, attached to the result when the example does not pass.
    pub explanation: Option<String>,
    pub skip: Option<String>,
}

/// Serializes examples that run in an account named by their own ARNs.
static PINNED: Mutex<()> = Mutex::new(());

/// The account and region of the first full ARN an example's commands name, if any
/// (e.g. `arn:aws:dynamodb:us-west-2:123456789012:table/MusicCollection`).
pub fn pinned_identity(example: &rst::Example) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"arn:aws:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):").expect("regex")
    });
    example
        .steps
        .iter()
        .flat_map(|s| s.argv.iter())
        .find_map(|a| re.captures(a))
        .map(|c| (c[2].to_string(), c[1].to_string()))
}

/// The account a worker uses: parallel workers never share state.
pub fn worker_account(worker: usize) -> String {
    format!("{}", 100_000_000_001u64 + worker as u64)
}

pub fn example_id(file: &str, index: usize) -> String {
    format!("{file}#{index}")
}

pub fn rerun_command(id: &str) -> String {
    format!("cargo run -p evaluator -- show {id}")
}

pub fn step_env(cfg: &RunConfig, account: &str, home: &Path) -> Vec<(String, String)> {
    let empty = home.join("empty-aws-config");
    let mut env = vec![
        ("AWS_ENDPOINT_URL".to_string(), cfg.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID".to_string(), account.to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "dummy".to_string()),
        ("AWS_DEFAULT_REGION".to_string(), cfg.region.clone()),
        ("AWS_CONFIG_FILE".to_string(), empty.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            empty.display().to_string(),
        ),
        ("AWS_MAX_ATTEMPTS".to_string(), "1".to_string()),
        ("AWS_RETRY_MODE".to_string(), "standard".to_string()),
        ("AWS_PAGER".to_string(), String::new()),
        ("HOME".to_string(), home.display().to_string()),
        ("LANG".to_string(), "C.UTF-8".to_string()),
        ("PYTHONIOENCODING".to_string(), "utf-8".to_string()),
    ];
    if let Ok(path) = std::env::var("PATH") {
        env.push(("PATH".to_string(), path));
    }
    env
}

/// What a run reports to its observer while it goes.
pub trait Progress: Sync {
    /// `worker` starts the example `id`.
    fn started(&self, worker: usize, id: &str);
    /// An example finished.
    fn finished(&self, worker: usize, result: &ExampleResult);
}

/// The results in job order and how long the slowest worker took to warm up its AWS CLI.
pub struct RunOutput {
    pub results: Vec<ExampleResult>,
    pub cli_warmup: Duration,
}

/// The order workers take jobs in: DynamoDB examples last, so DynamoDB Local (a JVM, seconds to
/// start) comes up while the other examples run. Results keep the job order.
pub fn dispatch_order(jobs: &[Job]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| jobs[i].file.service.starts_with("dynamodb"));
    order
}

/// Runs all jobs on `cfg.jobs` workers; `progress` hears of each start and result.
pub fn run_jobs(jobs: &[Job], cfg: &RunConfig, progress: &dyn Progress) -> RunOutput {
    let next = AtomicUsize::new(0);
    let order = dispatch_order(jobs);
    let results: Mutex<Vec<Option<ExampleResult>>> = Mutex::new(vec![None; jobs.len()]);
    let warmup = Mutex::new(Duration::ZERO);
    let workers = cfg.jobs.max(1).min(jobs.len().max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("thread pool");
    pool.scope(|s| {
        for w in 0..workers {
            let next = &next;
            let results = &results;
            let order = &order;
            let warmup = &warmup;
            s.spawn(move |_| {
                let account = worker_account(w);
                let home = cfg.scratch.join(format!("worker-{w}"));
                let _ = std::fs::create_dir_all(&home);
                let _ = std::fs::write(home.join("empty-aws-config"), "");
                let started = Instant::now();
                let mut drv = driver::new_driver(cfg.cli, &cfg.aws_cli, &home).and_then(|mut d| {
                    d.warm_up(&step_env(cfg, &account, &home), &home)?;
                    Ok(d)
                });
                {
                    let mut slowest = warmup.lock().expect("warm-up lock");
                    *slowest = (*slowest).max(started.elapsed());
                }
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&i) = order.get(n) else { break };
                    let id = example_id(&jobs[i].file.path, jobs[i].example.index);
                    progress.started(w, &id);
                    let r = match drv.as_mut() {
                        Ok(d) => run_example(&jobs[i], cfg, d.as_mut(), &account, &home),
                        Err(e) => harness_error(&jobs[i], &e.to_string()),
                    };
                    progress.finished(w, &r);
                    results.lock().expect("results lock")[i] = Some(r);
                }
            });
        }
    });
    RunOutput {
        results: results
            .into_inner()
            .expect("results lock")
            .into_iter()
            .map(|r| r.expect("every job ran"))
            .collect(),
        cli_warmup: warmup.into_inner().expect("warm-up lock"),
    }
}

fn base_result(job: &Job) -> ExampleResult {
    let id = example_id(&job.file.path, job.example.index);
    ExampleResult {
        rerun: rerun_command(&id),
        id,
        index: job.example.index,
        title: job.example.title.clone(),
        line: job.example.line,
        outcome: Outcome::HarnessError,
        reason: None,
        waiver_category: None,
        unwaived_outcome: None,
        explanation: None,
        account: None,
        duration_ms: 0,
        phases: ExamplePhases::default(),
        steps: Vec::new(),
        reset_notes: Vec::new(),
    }
}

fn harness_error(job: &Job, reason: &str) -> ExampleResult {
    let mut r = base_result(job);
    r.reason = Some(reason.to_string());
    apply_waiver(job, r)
}

fn apply_waiver(job: &Job, mut r: ExampleResult) -> ExampleResult {
    if r.outcome != Outcome::Pass {
        r.explanation = job.explanation.clone();
    }
    if let Some((category, reason)) = &job.waiver {
        r.unwaived_outcome = Some(r.outcome);
        r.outcome = Outcome::Waived;
        r.waiver_category = Some(category.clone());
        r.reason = Some(format!("waived ({category}): {reason}"));
    }
    r
}

/// Runs one example on this worker's driver and account.
pub fn run_example(
    job: &Job,
    cfg: &RunConfig,
    drv: &mut dyn Driver,
    account: &str,
    home: &Path,
) -> ExampleResult {
    let start = Instant::now();
    let mut r = base_result(job);
    if let Some(reason) = &job.skip {
        r.account = Some(account.to_string());
        r.outcome = Outcome::Skipped;
        r.reason = Some(reason.clone());
        return r;
    }
    // An example that names a resource by a full ARN was written for that ARN's account and
    // region: run it there, one such example at a time, since workers may share that account.
    let pinned = pinned_identity(job.example);
    let _guard;
    let pinned_cfg;
    let (cfg, account) = match &pinned {
        Some((acct, region)) => {
            _guard = PINNED.lock().unwrap_or_else(|e| e.into_inner());
            pinned_cfg = RunConfig {
                region: region.clone(),
                ..cfg.clone()
            };
            (&pinned_cfg, acct.as_str())
        }
        None => match &job.region {
            Some(region) => {
                pinned_cfg = RunConfig {
                    region: region.clone(),
                    ..cfg.clone()
                };
                (&pinned_cfg, account)
            }
            None => (cfg, account),
        },
    };
    r.account = Some(account.to_string());
    let mut drv = budget::Budgeted::new(drv, cfg.example_budget);
    let (outcome, reason) = execute(
        job,
        cfg,
        &mut drv,
        account,
        home,
        &mut r.steps,
        &mut r.reset_notes,
        &mut r.phases,
    );
    r.outcome = outcome;
    r.reason = reason;
    r.duration_ms = start.elapsed().as_millis() as u64;
    apply_waiver(job, r)
}

fn budget_spent(drv: &budget::Budgeted, during: &str) -> (Outcome, Option<String>) {
    (
        Outcome::FailExit,
        Some(format!(
            "the example's time budget of {} s ran out during {during} (--example-timeout)",
            drv.budget().as_secs()
        )),
    )
}

#[allow(clippy::too_many_arguments)]
fn execute(
    job: &Job,
    cfg: &RunConfig,
    drv: &mut budget::Budgeted,
    account: &str,
    home: &Path,
    steps: &mut Vec<StepResult>,
    reset_notes: &mut Vec<String>,
    phases: &mut ExamplePhases,
) -> (Outcome, Option<String>) {
    let errors: Vec<String> = job
        .file
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.example == Some(job.example.index))
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return (Outcome::HarnessError, Some(errors.join("; ")));
    }
    let dir = match tempfile::Builder::new().prefix("ex-").tempdir_in(home) {
        Ok(d) => d,
        Err(e) => return (Outcome::HarnessError, Some(format!("temp dir: {e}"))),
    };
    let env = step_env(cfg, account, home);

    // Reset before every example.
    let phase = Instant::now();
    let reset = match cfg.reset {
        ResetMode::Emulator | ResetMode::Moto => {
            target::http_reset(&cfg.endpoint, cfg.reset, account)
                .map(|()| Vec::new())
                .map_err(|e| e.to_string())
        }
        ResetMode::Api => api_reset::reset(drv, cfg, &env, dir.path()),
        ResetMode::None => Ok(Vec::new()),
    };
    phases.reset_ms = phase.elapsed().as_millis() as u64;
    match reset {
        Ok(left) => *reset_notes = left,
        Err(e) => return (Outcome::HarnessError, Some(format!("reset failed: {e}"))),
    }
    if drv.exhausted() {
        return budget_spent(drv, "the reset");
    }

    // Every file of the example exists before setup runs (setup may use them too).
    for step in &job.example.steps {
        if let Err(e) = write_files(dir.path(), step) {
            return (Outcome::HarnessError, Some(e));
        }
    }

    let phase = Instant::now();
    for (i, cmd) in job.setup.iter().enumerate() {
        let argv = match shell_words::split(cmd) {
            Ok(a) => a,
            Err(e) => {
                return (
                    Outcome::HarnessError,
                    Some(format!("setup step {} cannot be split: {e}", i + 1)),
                )
            }
        };
        let ran = if argv.first().map(String::as_str) == Some(node_data::COMMAND) {
            node_data::NodeWrite::parse(&argv)
                .and_then(|w| w.run(drv, &env, dir.path(), cfg.timeout))
        } else {
            run_cmd(drv, &argv, &env, dir.path(), cfg.timeout)
        };
        let out = match ran {
            Ok(o) => o,
            Err(e) => return (Outcome::HarnessError, Some(e)),
        };
        phases.setup_ms = phase.elapsed().as_millis() as u64;
        let ok = out.exit_code == Some(0);
        steps.push(step_result(
            0,
            cmd,
            true,
            &out,
            json!({"kind": "setup"}),
            if ok {
                Outcome::Pass
            } else {
                Outcome::HarnessError
            },
            None,
            Vec::new(),
            None,
        ));
        if !ok && drv.exhausted() {
            return budget_spent(drv, &format!("setup step {}", i + 1));
        }
        if !ok {
            return (
                Outcome::HarnessError,
                Some(format!(
                    "setup step {} failed ({}): {}",
                    i + 1,
                    exit_text(&out),
                    first_line(&out.stderr)
                )),
            );
        }
    }

    let mut overall = Outcome::Pass;
    let mut reason = None;
    let phase = Instant::now();
    for step in &job.example.steps {
        if step.argv.first().map(String::as_str) != Some("aws") {
            return (
                Outcome::HarnessError,
                Some(format!(
                    "line {}: the command does not start with `aws`: {}",
                    step.line, step.command
                )),
            );
        }
        // A step's own files win over a same-named file of a later step.
        if let Err(e) = write_files(dir.path(), step) {
            return (Outcome::HarnessError, Some(e));
        }
        let out = match run_cmd(drv, &step.argv, &env, dir.path(), cfg.timeout) {
            Ok(o) => o,
            Err(e) => return (Outcome::HarnessError, Some(e)),
        };
        phases.scored_ms = phase.elapsed().as_millis() as u64;
        let command = std::iter::once(step.argv.join(" "))
            .chain(step.files.iter().map(|f| f.contents.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        let mut judged = judge_step(&step.expected, &out, cfg.timeout, &command);
        if out.timed_out && drv.exhausted() {
            let (o, r) = budget_spent(drv, &format!("the step at line {}", step.line));
            judged.outcome = o;
            judged.reason = r;
        }
        let expected = serde_json::to_value(&step.expected).unwrap_or(Value::Null);
        let mut result = step_result(
            step.line,
            &step.command,
            false,
            &out,
            expected,
            judged.outcome,
            judged.reason.clone(),
            judged.mismatches,
            judged.diff,
        );
        result.needed_entries = judged.needed_entries;
        steps.push(result);
        if judged.outcome != Outcome::Pass {
            // Worst outcome wins; a failed step ends the example (later steps build on it).
            if rank(judged.outcome) > rank(overall) {
                overall = judged.outcome;
                reason = judged.reason;
            }
            if matches!(judged.outcome, Outcome::FailExit | Outcome::FailOutput) {
                break;
            }
        }
    }
    (overall, reason)
}

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::ExitOnly => 1,
        Outcome::FailOutput => 2,
        Outcome::FailExit => 3,
        Outcome::HarnessError => 4,
        Outcome::Skipped | Outcome::Waived => 0,
    }
}

fn write_files(dir: &Path, step: &rst::Step) -> Result<(), String> {
    for f in &step.files {
        let name = Path::new(&f.name);
        if name.is_absolute() || name.components().any(|c| c.as_os_str() == "..") {
            return Err(format!(
                "line {}: file name `{}` leaves the example dir",
                f.line, f.name
            ));
        }
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&path, &f.contents)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

fn run_cmd(
    drv: &mut dyn Driver,
    argv: &[String],
    env: &[(String, String)],
    cwd: &Path,
    timeout: Duration,
) -> Result<CmdOutput, String> {
    if argv.first().map(String::as_str) != Some("aws") {
        return Err(format!(
            "command does not start with `aws`: {}",
            argv.join(" ")
        ));
    }
    drv.run(&Invocation {
        argv,
        env,
        cwd,
        timeout,
    })
    .map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
fn step_result(
    line: usize,
    command: &str,
    setup: bool,
    out: &CmdOutput,
    expected: Value,
    outcome: Outcome,
    reason: Option<String>,
    mismatches: Vec<compare::Mismatch>,
    diff: Option<String>,
) -> StepResult {
    let actual = if out.stdout.trim().is_empty() {
        Value::String(String::new())
    } else {
        serde_json::from_str(&out.stdout).unwrap_or_else(|_| Value::String(out.stdout.clone()))
    };
    StepResult {
        line,
        command: command.to_string(),
        setup,
        exit_code: out.exit_code,
        timed_out: out.timed_out,
        duration_ms: out.duration.as_millis() as u64,
        expected,
        actual,
        stderr: out.stderr.clone(),
        outcome,
        reason,
        mismatches,
        diff,
        needed_entries: Vec::new(),
    }
}

fn exit_text(out: &CmdOutput) -> String {
    match (out.timed_out, out.exit_code) {
        (true, _) => "timed out".into(),
        (false, Some(c)) => format!("exit {c}"),
        (false, None) => "killed by a signal".into(),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

pub struct Judged {
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub mismatches: Vec<compare::Mismatch>,
    pub diff: Option<String>,
    /// For a passing JSON step: the normalization entries without which it would fail.
    pub needed_entries: Vec<String>,
}

impl Judged {
    fn new(outcome: Outcome, reason: Option<String>) -> Judged {
        Judged {
            outcome,
            reason,
            mismatches: Vec::new(),
            diff: None,
            needed_entries: Vec::new(),
        }
    }
}

/// The entries of the normalization table a passing comparison rests on: switched off one at a
/// time, each of these makes `expected` and `actual` differ (the table's "examples each entry
/// turns", measured on the run's own outputs rather than by running the corpus once per entry:
/// the endpoint's answers do not depend on the table).
pub fn needed_entries(expected: &Value, actual: &Value, command: &str) -> Vec<String> {
    normalize::entries()
        .into_iter()
        .filter(|entry| {
            let off = Without(Some(&entry.name));
            let e = normalize::normalize_step_without(expected, command, off);
            let a = normalize::normalize_step_without(actual, command, off);
            let absent = |k: &str| off.may_be_absent(k);
            let open = |k: &str| off.is_open_list(k);
            let policy = compare::Policy {
                may_be_absent: &absent,
                open_list: &open,
            };
            !compare::matches(&e, &a, &policy)
        })
        .map(|entry| entry.name)
        .collect()
}

/// The outcome of one scored step: pure, so it is unit-tested without a CLI.
pub fn judge(expected: &Expected, out: &CmdOutput, timeout: Duration) -> Judged {
    judge_step(expected, out, timeout, "")
}

/// `judge` for a step whose command (argv and input files, as text) is `command`: values AWS
/// chooses unless the command names them are compared only when it does.
pub fn judge_step(
    expected: &Expected,
    out: &CmdOutput,
    timeout: Duration,
    command: &str,
) -> Judged {
    if out.timed_out {
        return Judged::new(
            Outcome::FailExit,
            Some(format!("timed out after {} s", timeout.as_secs())),
        );
    }
    let code = out.exit_code;
    let fail_exit = |what: &str| {
        Judged::new(
            Outcome::FailExit,
            Some(format!(
                "{what}, got {}: {}",
                exit_text(out),
                first_line(&out.stderr)
            )),
        )
    };
    match expected {
        Expected::Error { code: want, .. } => {
            if code == Some(0) {
                return Judged::new(
                    Outcome::FailExit,
                    Some(format!("expected error {want}, got exit 0")),
                );
            }
            let got = rst::error_code_re()
                .captures(&out.stderr)
                .map(|c| c[1].to_string());
            if got.as_deref() == Some(want.as_str()) {
                Judged::new(Outcome::Pass, None)
            } else {
                Judged::new(
                    Outcome::FailOutput,
                    Some(format!(
                        "expected error {want}, got {}: {}",
                        got.unwrap_or_else(|| "no error code".into()),
                        first_line(&out.stderr)
                    )),
                )
            }
        }
        _ if code != Some(0) => fail_exit("expected exit 0"),
        Expected::Unspecified => Judged::new(
            Outcome::ExitOnly,
            Some("the example documents no output; exit code only".into()),
        ),
        Expected::Text { reason, .. } => Judged::new(Outcome::ExitOnly, Some(reason.clone())),
        Expected::NoOutput { .. } => {
            if out.stdout.trim().is_empty() {
                Judged::new(Outcome::Pass, None)
            } else {
                Judged::new(
                    Outcome::FailOutput,
                    Some(format!(
                        "expected no output, got {} byte(s)",
                        out.stdout.len()
                    )),
                )
            }
        }
        Expected::Json { value, .. } => {
            let actual: Value = match serde_json::from_str(&out.stdout) {
                Ok(v) => v,
                Err(e) => {
                    return Judged::new(
                        Outcome::FailOutput,
                        Some(format!("actual output is not JSON ({e})")),
                    )
                }
            };
            let e = normalize::normalize_step(value, command);
            let a = normalize::normalize_step(&actual, command);
            let all = Without(None);
            let absent = |k: &str| all.may_be_absent(k);
            let open = |k: &str| all.is_open_list(k);
            let policy = compare::Policy {
                may_be_absent: &absent,
                open_list: &open,
            };
            let mismatches = compare::compare(&e, &a, &policy);
            if mismatches.is_empty() {
                let mut j = Judged::new(Outcome::Pass, None);
                j.needed_entries = needed_entries(value, &actual, command);
                return j;
            }
            let shown = compare::project(&e, &a, &policy);
            let first = &mismatches[0];
            Judged {
                outcome: Outcome::FailOutput,
                reason: Some(format!(
                    "{} mismatch(es); first at {}: {}",
                    mismatches.len(),
                    first.path,
                    first.message
                )),
                diff: Some(compare::unified_diff(&e, &shown)),
                mismatches,
                needed_entries: Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stdout: &str, stderr: &str) -> CmdOutput {
        CmdOutput {
            exit_code: Some(code),
            stdout: stdout.into(),
            stderr: stderr.into(),
            duration: Duration::ZERO,
            timed_out: false,
        }
    }

    #[test]
    fn a_pass_names_the_entries_it_rests_on() {
        let expected = serde_json::json!({
            "TableArn": "arn:aws:dynamodb:us-west-2:123456789012:table/A",
            "TableName": "A",
            "CacheEngineVersions": [{"Engine": "redis"}],
        });
        let actual = serde_json::json!({
            "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/A",
            "TableName": "A",
            "CacheEngineVersions": [{"Engine": "redis"}, {"Engine": "valkey"}],
        });
        assert_eq!(
            needed_entries(&expected, &actual, "aws dynamodb describe-table"),
            ["arn-account-region", "open-list:CacheEngineVersions"]
        );
        // Equal outputs rest on nothing.
        assert!(needed_entries(&expected, &expected, "aws x").is_empty());
        let j = judge_step(
            &Expected::Json {
                line: 3,
                value: expected.clone(),
            },
            &out(0, &actual.to_string(), ""),
            Duration::from_secs(5),
            "aws dynamodb describe-table",
        );
        assert_eq!(j.outcome, Outcome::Pass);
        assert_eq!(j.needed_entries.len(), 2);
    }

    #[test]
    fn judges_each_expectation_kind() {
        let t = Duration::from_secs(5);
        let json = Expected::Json {
            line: 1,
            value: serde_json::json!({"TableNames": ["A"]}),
        };
        assert_eq!(
            judge(&json, &out(0, r#"{"TableNames":["A"]}"#, ""), t).outcome,
            Outcome::Pass
        );
        // Lists are closed unless the table opens them: a table more than shown fails.
        assert_eq!(
            judge(&json, &out(0, r#"{"TableNames":["B","A"]}"#, ""), t).outcome,
            Outcome::FailOutput
        );
        let events = Expected::Json {
            line: 1,
            value: serde_json::json!({"Events": [{"Message": "m"}]}),
        };
        assert_eq!(
            judge(
                &events,
                &out(0, r#"{"Events":[{"Message":"x"},{"Message":"m"}]}"#, ""),
                t
            )
            .outcome,
            Outcome::Pass
        );
        let j = judge(&json, &out(0, r#"{"TableNames":["B"]}"#, ""), t);
        assert_eq!(j.outcome, Outcome::FailOutput);
        assert!(j.diff.unwrap().contains("\"A\""));
        assert_eq!(
            judge(&json, &out(254, "", "boom"), t).outcome,
            Outcome::FailExit
        );
        let none = Expected::NoOutput { line: 1 };
        assert_eq!(judge(&none, &out(0, "\n", ""), t).outcome, Outcome::Pass);
        assert_eq!(
            judge(&none, &out(0, "{}", ""), t).outcome,
            Outcome::FailOutput
        );
        let err = Expected::Error {
            line: 1,
            code: "ConditionalCheckFailedException".into(),
            text: String::new(),
        };
        let stderr = "\nAn error occurred (ConditionalCheckFailedException) when calling the PutItem operation: x";
        assert_eq!(judge(&err, &out(254, "", stderr), t).outcome, Outcome::Pass);
        assert_eq!(judge(&err, &out(0, "", ""), t).outcome, Outcome::FailExit);
        assert_eq!(
            judge(
                &err,
                &out(254, "", "An error occurred (ValidationException) when"),
                t
            )
            .outcome,
            Outcome::FailOutput
        );
        assert_eq!(
            judge(&Expected::Unspecified, &out(0, "x", ""), t).outcome,
            Outcome::ExitOnly
        );
        let mut timed = out(0, "", "");
        timed.timed_out = true;
        timed.exit_code = None;
        let j = judge(&json, &timed, t);
        assert_eq!(j.outcome, Outcome::FailExit);
        assert!(j.reason.unwrap().contains("timed out after 5 s"));
    }
}

#[cfg(test)]
mod pinned_tests {
    use super::*;

    fn example(cmd: &str) -> rst::Example {
        rst::Example {
            index: 1,
            title: String::new(),
            line: 1,
            steps: vec![rst::Step {
                line: 1,
                command: cmd.into(),
                argv: shell_words::split(cmd).unwrap(),
                files: vec![],
                expected: Expected::NoOutput { line: 1 },
            }],
        }
    }

    #[test]
    fn an_arn_in_a_command_pins_account_and_region() {
        let e = example("aws dynamodb tag-resource --resource-arn arn:aws:dynamodb:us-west-2:123456789012:table/MusicCollection --tags Key=a,Value=b");
        assert_eq!(
            pinned_identity(&e),
            Some(("123456789012".into(), "us-west-2".into()))
        );
        assert_eq!(pinned_identity(&example("aws dynamodb list-tables")), None);
        // Redacted account numbers name no account.
        let r = example("aws elasticache list-tags-for-resource --resource-name arn:aws:elasticache:us-east-1:xxxxxxxxxx52:user:u1");
        assert_eq!(pinned_identity(&r), None);
    }
}

//! Command line: `run` (default), `list`, `show FILE[#N]`, `compare --target ...`.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use regex::Regex;

use crate::botocore;
use crate::corpus::Corpus;
use crate::fixtures::Fixtures;
use crate::history;
use crate::normalize;
use crate::progress::Reporter;
use crate::report::{self, baseline::Baseline, FileResult, Outcome, Report, RunInfo, RunPhases};
use crate::rst::{Expected, Severity};
use crate::runner::driver::{self, CliKind};
use crate::runner::target::{self, ResetMode};
use crate::runner::{self, Job, RunConfig};
use crate::targets::{self, TargetSpec};

#[derive(Parser, Debug)]
#[command(
    name = "evaluator",
    version,
    about = "Scores an AWS endpoint against the AWS CLI's own RST examples (strict conformance)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    opts: Opts,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the corpus and write reports (the default).
    Run,
    /// List files, examples, steps and parse diagnostics without running anything.
    List,
    /// Run one file or one example (`dynamodb/put-item.rst#2`) and print every detail.
    Show { target: String },
    /// Score several endpoints one after another and write a side-by-side report
    /// (compare.json, compare.md, compare.html; each target's own reports in a folder).
    /// Which examples each normalization entry turns: the table of `rules.md`. Reads a
    /// report.json (`--report`), or runs the corpus like `run` and prints the table after it.
    Rules {
        /// A report.json from an earlier run: print its table without running anything.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Also write the table to this file (the committed copy is evaluator/RULES.md).
        #[arg(long)]
        write: Option<PathBuf>,
    },
    Compare {
        /// NAME=WHERE[,reset=MODE][,service=S]...; WHERE: embedded, dynamodb-local,
        /// moto-server:PATH or http://host:port. Repeat for each endpoint.
        #[arg(long = "target", required = true)]
        targets: Vec<String>,
    },
}

#[derive(Args, Debug, Clone)]
struct Opts {
    /// Only these services (repeatable): dynamodb, dynamodbstreams, elasticache.
    #[arg(long, global = true)]
    service: Vec<String>,
    /// Only examples whose id (`dynamodb/put-item.rst#2`) matches this regex; others are skipped.
    #[arg(long, global = true)]
    filter: Option<String>,
    /// Score this endpoint instead of the embedded emulator.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// How state is reset before every example (default: emulator when embedded or when the
    /// endpoint is a running emulator, else api).
    #[arg(long, value_enum, global = true)]
    reset: Option<ResetMode>,
    /// Parallel workers, each in its own account.
    #[arg(long, default_value_t = 2, global = true)]
    jobs: usize,
    /// AWS CLI driver.
    #[arg(long, value_enum, default_value_t = CliKind::Warm, global = true)]
    cli: CliKind,
    #[arg(long, global = true)]
    report_dir: Option<PathBuf>,
    /// Fail (exit 1) when an example that passes in this baseline does not pass now.
    #[arg(long, global = true)]
    baseline: Option<PathBuf>,
    /// Write the run's outcomes to the baseline file (default reports/baseline.json).
    #[arg(long, global = true)]
    update_baseline: bool,
    /// The AWS CLI to run.
    #[arg(long, env = "AWSEMU_AWS_CLI", global = true)]
    aws_cli: Option<PathBuf>,
    /// The emulator binary (default: `emulator` beside this executable).
    #[arg(long, global = true)]
    emulator_bin: Option<PathBuf>,
    /// Only this corpus: awscli-rst (the AWS CLI's RST examples) or botocore-examples
    /// (botocore's examples-1.json). Default: both.
    #[arg(long, global = true, value_parser = clap::builder::PossibleValuesParser::new(botocore::CORPORA))]
    corpus: Option<String>,
    /// RST corpus root holding manifest.json (default rst-examples/).
    #[arg(long, global = true)]
    corpus_dir: Option<PathBuf>,
    /// botocore examples root holding manifest.json (default botocore-examples/).
    #[arg(long, global = true)]
    botocore_dir: Option<PathBuf>,
    /// Fixture root.
    #[arg(long, global = true)]
    fixtures: Option<PathBuf>,
    /// Per-command timeout in seconds.
    #[arg(long, default_value_t = 60, global = true)]
    timeout: u64,
    /// Per-example time budget in seconds (reset, setup and steps): an example that needs more
    /// ends as fail-exit with the reason, and the run goes on.
    #[arg(long, default_value_t = 300, global = true)]
    example_timeout: u64,
    /// Without a terminal, print a progress line to stderr every N seconds (0: never).
    #[arg(long, default_value_t = 5, global = true)]
    progress_every: u64,
    /// Append this run's strict rates and wall time to FILE (JSON lines); report.html then
    /// draws the trend.
    #[arg(long, global = true)]
    history: Option<PathBuf>,
    /// Region given to every command (AWS_DEFAULT_REGION). The default is the region most
    /// corpus examples were recorded in (43 of 103 files name us-west-2, 14 us-east-1).
    #[arg(long, default_value = "us-west-2", global = true)]
    region: String,
}

/// The workspace root: the current directory when it holds the corpus, else the source tree.
fn workspace_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join("rst-examples").join("manifest.json").is_file() {
        return cwd;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

pub fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    let opts = cli.opts;
    let corpus_dir = opts
        .corpus_dir
        .clone()
        .unwrap_or_else(|| root.join("rst-examples"));
    let botocore_dir = opts
        .botocore_dir
        .clone()
        .unwrap_or_else(|| root.join("botocore-examples"));
    let corpus = Corpus::load(&corpus_dir)?.merge(Corpus::load_botocore(&botocore_dir)?);
    let fixtures_dir = opts
        .fixtures
        .clone()
        .unwrap_or_else(|| root.join("fixtures"));
    if let Some(Cmd::Rules {
        report: Some(path),
        write,
    }) = &cli.command
    {
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut report: Report = serde_json::from_str(&raw)
            .with_context(|| format!("{} is not a report.json", path.display()))?;
        // A report written before the table was kept is measured again from its outputs.
        if report.rule_impact.is_empty() {
            report.rule_impact = report::rule_impact(&report.files);
        }
        return print_rules(&report, write.as_deref());
    }
    let fixtures = Fixtures::load(&fixtures_dir, &corpus)?;
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::List => list(&corpus, &fixtures, &opts),
        Cmd::Run => {
            let code = run(&corpus, &fixtures, &opts, &root, None)?;
            std::process::exit(code)
        }
        Cmd::Rules { write, .. } => {
            let code = run(&corpus, &fixtures, &opts, &root, None)?;
            let dir = opts
                .report_dir
                .clone()
                .unwrap_or_else(|| root.join("reports"));
            let raw = std::fs::read_to_string(dir.join("report.json"))
                .with_context(|| format!("reading {}/report.json", dir.display()))?;
            let report: Report = serde_json::from_str(&raw)?;
            print_rules(&report, write.as_deref())?;
            std::process::exit(code)
        }
        Cmd::Show { target } => {
            let code = run(&corpus, &fixtures, &opts, &root, Some(&target))?;
            std::process::exit(code)
        }
        Cmd::Compare { targets } => {
            let code = compare(&corpus, &fixtures, &opts, &root, &targets)?;
            std::process::exit(code)
        }
    }
}

fn print_rules(report: &Report, write: Option<&Path>) -> Result<()> {
    let table = report::rule_table(report);
    println!("{table}");
    if let Some(path) = write {
        let file = format!(
            "# Normalization entries and the examples they turn\n\nWritten by `cargo run --release -p evaluator -- rules --write evaluator/RULES.md` from a run against the {}, AWS CLI {}. The rules themselves, with their reasons, are in `evaluator/src/normalize.rs` and in every report.\n\n{table}",
            report.run.target, report.run.awscli_version
        );
        std::fs::write(path, file).with_context(|| format!("writing {}", path.display()))?;
        println!("written to {}", path.display());
    }
    Ok(())
}

fn selected_files<'a>(corpus: &'a Corpus, opts: &Opts) -> Vec<&'a crate::rst::ExampleFile> {
    corpus
        .files
        .iter()
        .filter(|f| opts.service.is_empty() || opts.service.contains(&f.service))
        .filter(|f| {
            opts.corpus
                .as_deref()
                .is_none_or(|c| c == botocore::corpus_of(&f.path))
        })
        .collect()
}

fn list(corpus: &Corpus, fixtures: &Fixtures, opts: &Opts) -> Result<()> {
    let mut errors = 0;
    let mut examples = 0;
    for f in selected_files(corpus, opts) {
        println!("{} ({} example(s))", f.path, f.examples.len());
        for e in &f.examples {
            examples += 1;
            let id = runner::example_id(&f.path, e.index);
            println!("  #{} {}  [{}]", e.index, e.title, id);
            if let Some(r) = fixtures.region_for(&f.path, e.index) {
                println!("    region: {r}");
            }
            for s in fixtures.setup_for(&f.path, e.index) {
                println!("    setup: {s}");
            }
            if let Some(w) = fixtures.waiver_for(&f.path, e.index) {
                println!("    waiver ({}): {}", w.category, w.reason);
            }
            for s in &e.steps {
                let kind = match &s.expected {
                    Expected::Unspecified => "no documented output (exit-only)".to_string(),
                    Expected::NoOutput { .. } => "no output".to_string(),
                    Expected::Json { line, .. } => format!("JSON output (line {line})"),
                    Expected::Error { code, .. } => format!("error {code}"),
                    Expected::Text { line, .. } => format!("text output (line {line}, exit-only)"),
                };
                let files: Vec<&str> = s.files.iter().map(|f| f.name.as_str()).collect();
                println!("    line {}: {}", s.line, s.command);
                if !files.is_empty() {
                    println!("      files: {}", files.join(", "));
                }
                println!("      expects: {kind}");
            }
        }
        for d in &f.diagnostics {
            if d.severity == Severity::Error {
                errors += 1;
            }
            println!("  {d}");
        }
    }
    println!("{examples} example(s), {errors} error diagnostic(s)");
    if errors > 0 {
        bail!("{errors} corpus parse error(s); see the diagnostics above");
    }
    Ok(())
}

fn corpus_regions(corpus: &Corpus, fixtures: &Fixtures, default: &str) -> Vec<String> {
    let mut set = BTreeSet::from([default.to_string()]);
    for f in fixtures.files.values() {
        for e in &f.example {
            if let Some(r) = &e.region {
                set.insert(r.clone());
            }
            for cmd in &e.setup {
                let argv = shell_words::split(cmd).unwrap_or_default();
                for w in argv.windows(2) {
                    if w[0] == "--region" {
                        set.insert(w[1].clone());
                    }
                }
            }
        }
    }
    for f in &corpus.files {
        for e in &f.examples {
            for s in &e.steps {
                for w in s.argv.windows(2) {
                    if w[0] == "--region" {
                        set.insert(w[1].clone());
                    }
                }
            }
        }
    }
    set.into_iter().collect()
}

/// What to run: the files and the regex of selected example ids (None: all).
fn selection<'a>(
    corpus: &'a Corpus,
    opts: &Opts,
    show: Option<&str>,
) -> Result<(Vec<&'a crate::rst::ExampleFile>, Option<Regex>)> {
    Ok(match show {
        Some(t) => {
            let (path, idx) = match t.split_once('#') {
                Some((p, n)) => (
                    p,
                    Some(n.parse::<usize>().context("example number after #")?),
                ),
                None => (t, None),
            };
            let f = corpus
                .file(path)
                .with_context(|| format!("no corpus file {path} (try `evaluator list`)"))?;
            if let Some(i) = idx {
                if i == 0 || i > f.examples.len() {
                    bail!(
                        "{path} has {} example(s); #{i} does not exist",
                        f.examples.len()
                    );
                }
            }
            let re = idx.map(|i| {
                Regex::new(&format!(
                    "^{}$",
                    regex::escape(&runner::example_id(path, i))
                ))
                .expect("escaped")
            });
            (vec![f], re)
        }
        None => (
            selected_files(corpus, opts),
            opts.filter
                .as_deref()
                .map(Regex::new)
                .transpose()
                .context("--filter is not a valid regex")?,
        ),
    })
}

/// Everything one scoring needs besides the target.
struct Scoring<'a> {
    corpus: &'a Corpus,
    fixtures: &'a Fixtures,
    opts: &'a Opts,
    files: Vec<&'a crate::rst::ExampleFile>,
    filter: Option<Regex>,
    show: Option<&'a str>,
    aws_cli: PathBuf,
    emulator_bin: PathBuf,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Starts `spec`, runs the selected examples of its services against it, stops it.
fn score(sc: &Scoring, spec: &TargetSpec, label: &str) -> Result<Report> {
    let opts = sc.opts;
    let started_at = now_rfc3339();
    let wall = Instant::now();
    let mut jobs = Vec::new();
    let files: Vec<_> = sc
        .files
        .iter()
        .filter(|f| spec.services.is_empty() || spec.services.contains(&f.service))
        .collect();
    for f in &files {
        for e in &f.examples {
            let id = runner::example_id(&f.path, e.index);
            let skip = match &sc.filter {
                Some(re) if !re.is_match(&id) => Some("not selected by --filter".to_string()),
                _ => None,
            };
            if sc.show.is_some() && skip.is_some() {
                continue;
            }
            jobs.push(Job {
                file: f,
                example: e,
                setup: sc.fixtures.setup_for(&f.path, e.index),
                region: sc.fixtures.region_for(&f.path, e.index),
                waiver: sc
                    .fixtures
                    .waiver_for(&f.path, e.index)
                    .map(|w| (w.category.clone(), w.reason.clone())),
                explanation: sc
                    .fixtures
                    .known_failure_for(&f.path, e.index)
                    .map(|k| k.reason.clone()),
                skip,
            });
        }
    }

    // Where to run it.
    let scratch = tempfile::Builder::new()
        .prefix("awsemu-eval-")
        .tempdir()
        .context("creating a scratch dir")?;
    let running = targets::start(spec, &sc.emulator_bin, scratch.path())
        .with_context(|| format!("starting target {}", spec.name))?;
    let endpoint = running.endpoint.clone();
    let mut jobs_n = opts.jobs.max(1);
    if spec.reset == ResetMode::Moto && jobs_n > 1 {
        eprintln!("evaluator: --reset moto resets every account at once; running with 1 job");
        jobs_n = 1;
    }
    let services: Vec<String> = files
        .iter()
        .map(|f| f.service.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // The emulator starts DynamoDB Local on first use: ask now, while the CLI warms up.
    let wants_dynamodb = jobs
        .iter()
        .any(|j| j.skip.is_none() && j.file.service.starts_with("dynamodb"));
    let dynamodb_early = (running.emulator.is_some() && wants_dynamodb)
        .then(|| target::start_dynamodb_early(&endpoint, &runner::worker_account(0), &opts.region));
    let cfg = RunConfig {
        endpoint: endpoint.clone(),
        reset: spec.reset,
        cli: opts.cli,
        aws_cli: sc.aws_cli.clone(),
        jobs: jobs_n,
        timeout: Duration::from_secs(opts.timeout),
        example_budget: Duration::from_secs(opts.example_timeout),
        region: opts.region.clone(),
        api_regions: corpus_regions(sc.corpus, sc.fixtures, &opts.region),
        api_services: services,
        scratch: scratch.path().to_path_buf(),
    };

    let runnable = jobs.iter().filter(|j| j.skip.is_none()).count();
    let reporter = Reporter::new(
        runnable,
        label,
        std::io::stderr().is_terminal(),
        sc.show.is_some() || opts.progress_every == 0,
        Duration::from_secs(opts.progress_every.max(1)),
    );
    if sc.show.is_none() {
        eprintln!(
            "evaluator: {}{} example(s) ({} selected) against {} ({}), {} job(s)",
            if label.is_empty() {
                String::new()
            } else {
                format!("{label}: ")
            },
            jobs.len(),
            runnable,
            endpoint,
            spec.describe(),
            jobs_n
        );
    }
    let out = runner::run_jobs(&jobs, &cfg, &reporter);
    reporter.finish();
    let mut phases = RunPhases {
        start_ms: running.start.as_millis() as u64,
        cli_warmup_ms: out.cli_warmup.as_millis() as u64,
        ..RunPhases::default()
    };
    if let Some(h) = dynamodb_early {
        match h.join() {
            Ok(Ok(d)) => phases.dynamodb_ready_ms = Some(d.as_millis() as u64),
            Ok(Err(e)) => eprintln!("evaluator: starting DynamoDB Local early: {e}"),
            Err(_) => {}
        }
    }
    drop(running);

    // Group results back by file (jobs are in file order).
    let mut file_results: Vec<FileResult> = Vec::new();
    for (job, r) in jobs.iter().zip(out.results) {
        if file_results.last().map(|f| f.path.as_str()) != Some(job.file.path.as_str()) {
            file_results.push(FileResult {
                path: job.file.path.clone(),
                service: job.file.service.clone(),
                corpus: botocore::corpus_of(&job.file.path).to_string(),
                examples: Vec::new(),
                diagnostics: job.file.diagnostics.iter().map(|d| d.to_string()).collect(),
            });
        }
        file_results.last_mut().expect("pushed").examples.push(r);
    }
    phases.add_examples(file_results.iter().flat_map(|f| f.examples.iter()));
    let mut filters: Vec<String> = opts
        .service
        .iter()
        .map(|s| format!("--service {s}"))
        .collect();
    if let Some(c) = &opts.corpus {
        filters.push(format!("--corpus {c}"));
    }
    if let Some(f) = &opts.filter {
        filters.push(format!("--filter {f}"));
    }
    if let Some(t) = sc.show {
        filters.push(format!("show {t}"));
    }
    Ok(Report::build(
        RunInfo {
            endpoint,
            target: spec.describe(),
            reset: format!("{:?}", spec.reset).to_lowercase(),
            cli: format!("{:?}", opts.cli).to_lowercase(),
            jobs: jobs_n,
            awscli_version: sc.corpus.awscli_version.clone(),
            started_at,
            wall_time_ms: wall.elapsed().as_millis() as u64,
            phases,
            filters,
        },
        file_results,
        serde_json::to_value(normalize::table()).unwrap_or_default(),
    ))
}

fn scoring<'a>(
    corpus: &'a Corpus,
    fixtures: &'a Fixtures,
    opts: &'a Opts,
    root: &Path,
    show: Option<&'a str>,
) -> Result<Scoring<'a>> {
    let aws_cli = opts
        .aws_cli
        .clone()
        .unwrap_or_else(|| root.join(".venv/bin/aws"));
    driver::check_cli(&aws_cli, opts.cli)?;
    let (files, filter) = selection(corpus, opts, show)?;
    let emulator_bin = opts
        .emulator_bin
        .clone()
        .unwrap_or_else(target::default_emulator_bin);
    Ok(Scoring {
        corpus,
        fixtures,
        opts,
        files,
        filter,
        show,
        aws_cli,
        emulator_bin,
    })
}

/// The target of `run` and `show`: `--endpoint` or the embedded emulator.
fn single_target(opts: &Opts) -> TargetSpec {
    match &opts.endpoint {
        Some(url) => {
            let url = url.trim_end_matches('/').to_string();
            // A running emulator (it answers its health route) resets itself in milliseconds;
            // any other endpoint is emptied through the API.
            let reset = opts.reset.unwrap_or_else(|| {
                match crate::http::request(
                    "GET",
                    &format!("{url}/_emulator/health"),
                    Duration::from_secs(2),
                ) {
                    Ok(r) if r.status == 200 => ResetMode::Emulator,
                    _ => ResetMode::Api,
                }
            });
            TargetSpec {
                name: "endpoint".into(),
                place: targets::Where::Url(url),
                reset,
                services: Vec::new(),
            }
        }
        None => TargetSpec {
            name: "embedded".into(),
            place: targets::Where::Embedded,
            reset: opts.reset.unwrap_or(ResetMode::Emulator),
            services: Vec::new(),
        },
    }
}

fn needs_emulator(specs: &[TargetSpec], opts: &Opts, root: &Path, bin: &Path) -> Result<()> {
    if opts.emulator_bin.is_none() && specs.iter().any(|t| t.place == targets::Where::Embedded) {
        target::ensure_emulator(bin, root)?;
    }
    Ok(())
}

fn run(
    corpus: &Corpus,
    fixtures: &Fixtures,
    opts: &Opts,
    root: &Path,
    show: Option<&str>,
) -> Result<i32> {
    let sc = scoring(corpus, fixtures, opts, root, show)?;
    let spec = single_target(opts);
    needs_emulator(std::slice::from_ref(&spec), opts, root, &sc.emulator_bin)?;
    let report = score(&sc, &spec, "")?;

    if show.is_some() {
        print_verbose(&report);
        println!("{}", report.run.phases.summary());
        println!("wall time {:.1} s", report.run.wall_time_ms as f64 / 1000.0);
        let ok = report.examples().all(|e| e.outcome == Outcome::Pass);
        return Ok(if ok { 0 } else { 1 });
    }

    let report_dir = opts
        .report_dir
        .clone()
        .unwrap_or_else(|| root.join("reports"));
    let history = match &opts.history {
        Some(path) => {
            history::append(path, &history::Entry::of(&report))
                .with_context(|| format!("appending to {}", path.display()))?;
            history::load(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => Vec::new(),
    };
    report::write_all(&report, &report_dir)
        .with_context(|| format!("writing reports to {}", report_dir.display()))?;
    std::fs::write(
        report_dir.join("report.html"),
        report::html::page(&report, &history),
    )
    .with_context(|| format!("writing {}/report.html", report_dir.display()))?;
    println!("{}", report::summary_table(&report));
    let left: BTreeSet<&String> = report.examples().flat_map(|e| &e.reset_notes).collect();
    if !left.is_empty() {
        println!(
            "the reset could not delete ({} distinct, details in report.md):",
            left.len()
        );
        for n in left.iter().take(10) {
            println!("  {n}");
        }
    }
    println!("{}", report.run.phases.summary());
    println!(
        "wall time {:.1} s ({} job(s), {} driver); reports in {}",
        report.run.wall_time_ms as f64 / 1000.0,
        report.run.jobs,
        report.run.cli,
        report_dir.display()
    );

    let mut code = 0;
    if let Some(path) = &opts.baseline {
        let base = Baseline::load(path)?;
        let regressions = base.regressions(&report);
        let improvements = base.improvements(&report);
        if !improvements.is_empty() {
            println!(
                "{} example(s) pass now that did not in the baseline (refresh it with --update-baseline): {}",
                improvements.len(),
                improvements.join(", ")
            );
        }
        if regressions.is_empty() {
            println!("baseline {}: no regression", path.display());
        } else {
            println!(
                "baseline {}: {} regression(s):",
                path.display(),
                regressions.len()
            );
            for (id, o) in &regressions {
                println!(
                    "  {id}: pass -> {}  (rerun: {})",
                    o.as_str(),
                    runner::rerun_command(id)
                );
            }
            code = 1;
        }
    }
    if opts.update_baseline {
        let path = opts
            .baseline
            .clone()
            .unwrap_or_else(|| root.join("reports").join("baseline.json"));
        if !opts.service.is_empty() || opts.filter.is_some() || opts.corpus.is_some() {
            bail!("--update-baseline needs a full run (no --service / --filter / --corpus)");
        }
        Baseline::from_report(&report)
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("baseline written to {}", path.display());
        code = 0;
    }
    Ok(code)
}

/// `compare`: every target in turn, then the side-by-side reports.
fn compare(
    corpus: &Corpus,
    fixtures: &Fixtures,
    opts: &Opts,
    root: &Path,
    target_args: &[String],
) -> Result<i32> {
    let specs = TargetSpec::parse_all(target_args)?;
    if specs.is_empty() {
        bail!("compare needs at least one --target NAME=WHERE (e.g. --target ours=embedded)");
    }
    let sc = scoring(corpus, fixtures, opts, root, None)?;
    needs_emulator(&specs, opts, root, &sc.emulator_bin)?;
    let report_dir = opts
        .report_dir
        .clone()
        .unwrap_or_else(|| root.join("reports").join("compare"));
    let mut reports = Vec::new();
    // A target that cannot be scored (its server does not start) leaves the others compared.
    let mut failed = Vec::new();
    for spec in &specs {
        let r = match score(&sc, spec, &spec.name) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("evaluator: {}: not scored: {e:#}", spec.name);
                failed.push(spec.name.clone());
                continue;
            }
        };
        let dir = report_dir.join(&spec.name);
        report::write_all(&r, &dir).with_context(|| format!("writing {}", dir.display()))?;
        std::fs::write(dir.join("report.html"), report::html::page(&r, &[]))
            .with_context(|| format!("writing {}/report.html", dir.display()))?;
        eprintln!(
            "evaluator: {}: {}/{} strict ({:.1} s)",
            spec.name,
            r.overall.examples.passed,
            r.overall.examples.total,
            r.run.wall_time_ms as f64 / 1000.0
        );
        reports.push((spec.name.clone(), r));
    }
    if reports.is_empty() {
        bail!("no target could be scored ({})", failed.join(", "));
    }
    let cmp = report::side_by_side::Comparison::build(&reports, &now_rfc3339());
    report::write_comparison(&cmp, &report_dir)
        .with_context(|| format!("writing {}", report_dir.display()))?;
    println!("{}", report::side_by_side::summary_table(&cmp));
    println!(
        "{} example(s) differ between the targets; reports in {} (compare.json, compare.md, compare.html)",
        cmp.examples.iter().filter(|e| e.differ).count(),
        report_dir.display()
    );
    if !failed.is_empty() {
        println!("not compared (could not be scored): {}", failed.join(", "));
        return Ok(1);
    }
    Ok(0)
}

fn print_verbose(report: &Report) {
    for f in &report.files {
        for d in &f.diagnostics {
            println!("{d}");
        }
        for e in &f.examples {
            println!("== {} {} -> {}", e.id, e.title, e.outcome.as_str());
            if let Some(r) = &e.reason {
                println!("   {r}");
            }
            if let Some(x) = &e.explanation {
                println!("   why (known failure): {x}");
            }
            for n in &e.reset_notes {
                println!("   reset could not delete: {n}");
            }
            for s in &e.steps {
                println!(
                    "-- {} line {}: {}",
                    if s.setup { "setup" } else { "step" },
                    s.line,
                    s.command
                );
                println!(
                    "   exit {} in {} ms -> {}",
                    s.exit_code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "none".into()),
                    s.duration_ms,
                    s.outcome.as_str()
                );
                if let Some(r) = &s.reason {
                    println!("   {r}");
                }
                if !s.setup {
                    println!(
                        "   expected: {}",
                        serde_json::to_string_pretty(&s.expected).unwrap_or_default()
                    );
                    println!(
                        "   actual: {}",
                        serde_json::to_string_pretty(&s.actual).unwrap_or_default()
                    );
                }
                for m in &s.mismatches {
                    println!("   mismatch {}: {}", m.path, m.message);
                }
                if let Some(d) = &s.diff {
                    println!("{d}");
                }
                if !s.stderr.trim().is_empty() {
                    println!("   stderr: {}", s.stderr.trim());
                }
            }
        }
    }
}

//! Command line: `run` (default), `list`, `show FILE[#N]`.

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
use crate::normalize;
use crate::report::{self, baseline::Baseline, FileResult, Outcome, Report, RunInfo};
use crate::rst::{Expected, Severity};
use crate::runner::driver::{self, CliKind};
use crate::runner::target::{self, Emulator, ResetMode};
use crate::runner::{self, Job, RunConfig};

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
    /// How state is reset before every example (default: emulator when embedded, else api).
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
    let fixtures = Fixtures::load(&fixtures_dir, &corpus)?;
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::List => list(&corpus, &fixtures, &opts),
        Cmd::Run => {
            let code = run(&corpus, &fixtures, &opts, &root, None)?;
            std::process::exit(code)
        }
        Cmd::Show { target } => {
            let code = run(&corpus, &fixtures, &opts, &root, Some(&target))?;
            std::process::exit(code)
        }
    }
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

fn run(
    corpus: &Corpus,
    fixtures: &Fixtures,
    opts: &Opts,
    root: &Path,
    show: Option<&str>,
) -> Result<i32> {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let wall = Instant::now();
    let aws_cli = opts
        .aws_cli
        .clone()
        .unwrap_or_else(|| root.join(".venv/bin/aws"));
    driver::check_cli(&aws_cli, opts.cli)?;

    // What to run.
    let (files, filter): (Vec<_>, Option<Regex>) = match show {
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
    };
    let mut jobs = Vec::new();
    for f in &files {
        for e in &f.examples {
            let id = runner::example_id(&f.path, e.index);
            let skip = match &filter {
                Some(re) if !re.is_match(&id) => Some("not selected by --filter".to_string()),
                _ => None,
            };
            if show.is_some() && skip.is_some() {
                continue;
            }
            jobs.push(Job {
                file: f,
                example: e,
                setup: fixtures.setup_for(&f.path, e.index),
                region: fixtures.region_for(&f.path, e.index),
                waiver: fixtures
                    .waiver_for(&f.path, e.index)
                    .map(|w| (w.category.clone(), w.reason.clone())),
                explanation: fixtures
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
    let (_emulator, endpoint, target_name) = match &opts.endpoint {
        Some(url) => {
            target::probe(url)?;
            (
                None,
                url.trim_end_matches('/').to_string(),
                "external endpoint".to_string(),
            )
        }
        None => {
            let bin = opts
                .emulator_bin
                .clone()
                .unwrap_or_else(target::default_emulator_bin);
            if opts.emulator_bin.is_none() {
                target::ensure_emulator(&bin, root)?;
            }
            let emu = Emulator::start(&bin, scratch.path())?;
            let ep = emu.endpoint.clone();
            (Some(emu), ep, "embedded emulator".to_string())
        }
    };
    let reset = opts.reset.unwrap_or(if opts.endpoint.is_some() {
        ResetMode::Api
    } else {
        ResetMode::Emulator
    });
    let mut jobs_n = opts.jobs.max(1);
    if reset == ResetMode::Moto && jobs_n > 1 {
        eprintln!("evaluator: --reset moto resets every account at once; running with 1 job");
        jobs_n = 1;
    }
    let services: Vec<String> = files
        .iter()
        .map(|f| f.service.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let cfg = RunConfig {
        endpoint: endpoint.clone(),
        reset,
        cli: opts.cli,
        aws_cli,
        jobs: jobs_n,
        timeout: Duration::from_secs(opts.timeout),
        region: opts.region.clone(),
        api_regions: corpus_regions(corpus, fixtures, &opts.region),
        api_services: services,
        scratch: scratch.path().to_path_buf(),
    };

    let bar = indicatif::ProgressBar::new(jobs.len() as u64);
    if show.is_some() || !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let results = runner::run_jobs(&jobs, &cfg, &|r| {
        bar.set_message(format!("{} {}", r.outcome.as_str(), r.id));
        bar.inc(1);
    });
    bar.finish_and_clear();

    // Group results back by file (jobs are in file order).
    let mut file_results: Vec<FileResult> = Vec::new();
    for (job, r) in jobs.iter().zip(results) {
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
    if let Some(t) = show {
        filters.push(format!("show {t}"));
    }
    let report = Report::build(
        RunInfo {
            endpoint,
            target: target_name,
            reset: format!("{reset:?}").to_lowercase(),
            cli: format!("{:?}", opts.cli).to_lowercase(),
            jobs: jobs_n,
            awscli_version: corpus.awscli_version.clone(),
            started_at,
            wall_time_ms: wall.elapsed().as_millis() as u64,
            filters,
        },
        file_results,
        serde_json::to_value(normalize::table()).unwrap_or_default(),
    );

    if show.is_some() {
        print_verbose(&report);
        let ok = report.examples().all(|e| e.outcome == Outcome::Pass);
        return Ok(if ok { 0 } else { 1 });
    }

    let report_dir = opts
        .report_dir
        .clone()
        .unwrap_or_else(|| root.join("reports"));
    report::write_all(&report, &report_dir)
        .with_context(|| format!("writing reports to {}", report_dir.display()))?;
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
    println!(
        "wall time {:.1} s ({} job(s), {} driver); reports in {}",
        report.run.wall_time_ms as f64 / 1000.0,
        jobs_n,
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

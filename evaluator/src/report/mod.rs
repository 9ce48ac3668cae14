//! Reports: report.json (the contract), report.md (for people), junit.xml (for CI), baseline.

pub mod baseline;
pub mod html;
#[cfg(test)]
mod layout_tests;
pub mod model;
pub mod side_by_side;

use std::fmt::Write as _;
use std::path::Path;

pub use model::*;

use crate::normalize;

pub fn write_all(report: &Report, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("report.json"), json + "\n")?;
    std::fs::write(dir.join("report.md"), markdown(report))?;
    std::fs::write(dir.join("rules.md"), rule_table(report))?;
    std::fs::write(dir.join("junit.xml"), junit(report))?;
    Ok(())
}

/// The side-by-side report of `evaluator compare`: compare.json, compare.md, compare.html.
/// Written here, above both, so `side_by_side` (the data) never names `html` (the page).
pub fn write_comparison(cmp: &side_by_side::Comparison, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(cmp).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("compare.json"), json + "\n")?;
    std::fs::write(dir.join("compare.md"), side_by_side::markdown(cmp))?;
    std::fs::write(dir.join("compare.html"), html::compare_page(cmp))?;
    Ok(())
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// One row per service and corpus, a row per service for both corpora, and the overall rows.
pub fn summary_table(report: &Report) -> String {
    let mut s = String::from(
        "| service | corpus | total | passed | failed | exit-only | skipped | waived | harness-error | strict rate |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut row = |name: &str, corpus: &str, c: &Counts, rate: f64| {
        let _ = writeln!(
            s,
            "| {name} | {corpus} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.total,
            c.passed,
            c.failed,
            c.exit_only,
            c.skipped,
            c.waived,
            c.harness_error,
            pct(rate)
        );
    };
    let rows = report
        .services
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .chain(std::iter::once(("**overall**", &report.overall)));
    for (name, v) in rows {
        for (corpus, c) in &v.corpora {
            row(name, corpus, &c.examples, c.strict_rate);
        }
        if v.corpora.len() != 1 {
            row(name, "both", &v.examples, v.strict_rate);
        }
    }
    s
}

pub fn markdown(report: &Report) -> String {
    let r = &report.run;
    let mut s = String::new();
    let _ = writeln!(s, "# Conformance report\n");
    let _ = writeln!(
        s,
        "Endpoint: {} ({}), reset: {}, AWS CLI {} ({} driver, {} job(s)), started {}, wall time {:.1} s.\n",
        r.endpoint,
        r.target,
        r.reset,
        r.awscli_version,
        r.cli,
        r.jobs,
        r.started_at,
        r.wall_time_ms as f64 / 1000.0
    );
    let _ = writeln!(s, "{}.\n", r.phases.summary());
    if !r.filters.is_empty() {
        let _ = writeln!(s, "Selection: {}\n", r.filters.join(", "));
    }
    let _ = writeln!(
        s,
        "Strict pass rate = passed examples / all examples. An example passes only if every scored step passes.\n"
    );
    s.push_str(&summary_table(report));

    let _ = writeln!(
        s,
        "\n## Examples\n\n| example | outcome | reason |\n|---|---|---|"
    );
    for e in report.examples() {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            e.id,
            e.outcome.as_str(),
            match &e.explanation {
                Some(x) => format!("{} (why: {x})", e.reason.as_deref().unwrap_or("")),
                None => e.reason.clone().unwrap_or_default(),
            }
            .replace('|', "\\|")
            .replace('\n', " ")
        );
    }

    let failing: Vec<_> = report
        .examples()
        .filter(|e| {
            matches!(
                e.outcome,
                Outcome::FailOutput | Outcome::FailExit | Outcome::HarnessError
            )
        })
        .collect();
    let _ = writeln!(s, "\n## Failing examples ({})\n", failing.len());
    for e in failing {
        let _ = writeln!(s, "### `{}`: {}\n", e.id, e.outcome.as_str());
        let _ = writeln!(s, "{}\n", e.title);
        if let Some(r) = &e.reason {
            let _ = writeln!(s, "Reason: {}\n", r.replace('\n', " "));
        }
        if let Some(x) = &e.explanation {
            let _ = writeln!(s, "Why (known failure): {}\n", x.replace('\n', " "));
        }
        let _ = writeln!(s, "Rerun: `{}`\n", e.rerun);
        for st in e.steps.iter().filter(|st| st.outcome != Outcome::Pass) {
            let _ = writeln!(
                s,
                "{} step (line {}), exit {}: `{}`\n",
                if st.setup { "Setup" } else { "Scored" },
                st.line,
                st.exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none".into()),
                st.command
            );
            for m in st.mismatches.iter().take(20) {
                let _ = writeln!(s, "- `{}`: {}", m.path, m.message);
            }
            if let Some(d) = &st.diff {
                let _ = writeln!(s, "\n```diff\n{}```\n", d);
            }
            if !st.stderr.trim().is_empty() {
                let tail: String = st.stderr.trim().chars().take(800).collect();
                let _ = writeln!(s, "\nstderr:\n\n```\n{tail}\n```\n");
            }
        }
    }

    let waived: Vec<_> = report
        .examples()
        .filter(|e| e.outcome == Outcome::Waived)
        .collect();
    let _ = writeln!(
        s,
        "\n## Waivers ({}): not passes; the outcome each run gave anyway\n",
        waived.len()
    );
    if !waived.is_empty() {
        let _ = writeln!(
            s,
            "| example | run gave | category: reason |\n|---|---|---|"
        );
    }
    for e in waived {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            e.id,
            e.unwaived_outcome.map(Outcome::as_str).unwrap_or(""),
            e.reason
                .as_deref()
                .unwrap_or("")
                .replace('|', "\\|")
                .replace('\n', " ")
        );
    }

    // What resets left behind: each distinct line once, with how many examples saw it.
    let mut left: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in report.examples() {
        for n in &e.reset_notes {
            *left.entry(n.as_str()).or_default() += 1;
        }
    }
    if !left.is_empty() {
        let _ = writeln!(
            s,
            "\n## What the reset could not delete ({} distinct)\n",
            left.len()
        );
        for (n, c) in &left {
            let _ = writeln!(s, "- {n} (before {c} example(s))");
        }
    }

    let diags: Vec<&String> = report.files.iter().flat_map(|f| &f.diagnostics).collect();
    let _ = writeln!(s, "\n## Parse diagnostics ({})\n", diags.len());
    for d in diags {
        let _ = writeln!(s, "- {d}");
    }
    let _ = writeln!(
        s,
        "\n## Normalization rules (applied to expected and actual)\n"
    );
    s.push_str(&normalize::describe_markdown());
    s.push('\n');
    s.push_str(&rule_table(report));
    s
}

/// Per entry of the normalization table, the examples it turns (they pass, and would not with
/// the entry switched off): `evaluator rules` prints it, report.md carries it, and
/// `evaluator/RULES.md` is the committed copy for the embedded emulator.
pub fn rule_table(report: &Report) -> String {
    let mut s = String::from(
        "## Examples each normalization entry turns\n\nEach entry of the table switched off alone, on this run's outputs: the examples that pass and would then fail. An entry that turns none hides nothing in this run.\n\n| entry | examples turned | which |\n|---|---|---|\n",
    );
    for r in &report.rule_impact {
        let which = if r.turned.is_empty() {
            "-".to_string()
        } else {
            r.turned
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(s, "| {} | {} | {which} |", r.entry, r.turned.len());
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

pub fn junit(report: &Report) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let c = &report.overall.examples;
    let _ = writeln!(
        s,
        "<testsuites name=\"conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        c.total,
        c.failed + c.exit_only,
        c.harness_error,
        c.skipped + c.waived
    );
    let suites = report.services.iter().flat_map(|(service, summary)| {
        summary
            .corpora
            .iter()
            .map(move |(corpus, c)| (service, corpus, &c.examples))
    });
    for (service, corpus, c) in suites {
        let _ = writeln!(
            s,
            "  <testsuite name=\"{} ({})\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            xml_escape(service),
            xml_escape(corpus),
            c.total,
            c.failed + c.exit_only,
            c.harness_error,
            c.skipped + c.waived
        );
        for f in report
            .files
            .iter()
            .filter(|f| &f.service == service && &f.corpus == corpus)
        {
            for e in &f.examples {
                let _ = write!(
                    s,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                    xml_escape(&f.path),
                    xml_escape(&e.id),
                    e.duration_ms as f64 / 1000.0
                );
                let msg = xml_escape(e.reason.as_deref().unwrap_or(""));
                match e.outcome {
                    Outcome::Pass => s.push_str("/>\n"),
                    Outcome::Skipped | Outcome::Waived => {
                        let _ = writeln!(
                            s,
                            "><skipped message=\"{}: {msg}\"/></testcase>",
                            e.outcome.as_str()
                        );
                    }
                    Outcome::HarnessError => {
                        let _ = writeln!(s, "><error message=\"{msg}\"/></testcase>");
                    }
                    other => {
                        let body: String = e
                            .steps
                            .iter()
                            .filter_map(|st| st.diff.clone())
                            .collect::<Vec<_>>()
                            .join("\n");
                        let _ = writeln!(
                            s,
                            "><failure type=\"{}\" message=\"{msg}\">{}</failure></testcase>",
                            other.as_str(),
                            xml_escape(&body)
                        );
                    }
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::compare::Mismatch;

    fn step(outcome: Outcome, diff: Option<&str>) -> StepResult {
        StepResult {
            line: 5,
            command: "aws dynamodb list-tables".into(),
            setup: false,
            exit_code: Some(0),
            timed_out: false,
            duration_ms: 12,
            expected: serde_json::json!({"kind": "json", "line": 9, "value": {"TableNames": ["A"]}}),
            actual: serde_json::json!({"TableNames": []}),
            stderr: String::new(),
            outcome,
            reason: None,
            mismatches: diff
                .map(|_| {
                    vec![Mismatch {
                        path: "$.TableNames[0]".into(),
                        message: "no matching item among 0 actual item(s) (expected \"A\")".into(),
                    }]
                })
                .unwrap_or_default(),
            diff: diff.map(str::to_string),
            needed_entries: if outcome == Outcome::Pass {
                vec!["time-key".into()]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn each_entry_lists_the_passes_that_rest_on_it() {
        let r = sample();
        let time_key = r
            .rule_impact
            .iter()
            .find(|i| i.entry == "time-key")
            .unwrap();
        let passing: Vec<&str> = r
            .examples()
            .filter(|e| e.outcome == Outcome::Pass)
            .map(|e| e.id.as_str())
            .collect();
        assert!(!passing.is_empty());
        assert_eq!(time_key.turned, passing);
        // Every entry of the table has a row, turning nothing when no pass needs it.
        assert_eq!(r.rule_impact.len(), crate::normalize::entries().len());
        let uuid = r.rule_impact.iter().find(|i| i.entry == "uuid").unwrap();
        assert!(uuid.turned.is_empty());
        let table = rule_table(&r);
        assert!(
            table.contains(&format!("| time-key | {} |", passing.len())),
            "{table}"
        );
        assert!(table.contains("| uuid | 0 | - |"), "{table}");
    }

    fn example(
        id: &str,
        outcome: Outcome,
        reason: Option<&str>,
        steps: Vec<StepResult>,
    ) -> ExampleResult {
        ExampleResult {
            id: id.into(),
            index: 1,
            title: "Example 1: To list tables".into(),
            line: 1,
            outcome,
            reason: reason.map(str::to_string),
            waiver_category: None,
            explanation: None,
            unwaived_outcome: None,
            account: Some("100000000001".into()),
            duration_ms: 15,
            phases: ExamplePhases {
                reset_ms: 1,
                setup_ms: 0,
                scored_ms: 14,
            },
            rerun: format!("cargo run -p evaluator -- show {id}"),
            steps,
            reset_notes: Vec::new(),
        }
    }

    pub(crate) fn sample() -> Report {
        let files = vec![
            FileResult {
                path: "dynamodb/list-tables.rst".into(),
                service: "dynamodb".into(),
                corpus: "awscli-rst".into(),
                examples: vec![
                    ExampleResult {
                        explanation: Some("the table list depends on the author's account".into()),
                        ..example(
                            "dynamodb/list-tables.rst#1",
                            Outcome::FailOutput,
                            Some("1 mismatch(es)"),
                            vec![step(Outcome::FailOutput, Some("-  \"A\"\n"))],
                        )
                    },
                    example(
                        "dynamodb/list-tables.rst#2",
                        Outcome::Pass,
                        None,
                        vec![step(Outcome::Pass, None)],
                    ),
                ],
                diagnostics: vec![
                    "dynamodb/list-tables.rst:9: warning: an example diagnostic".into()
                ],
            },
            FileResult {
                path: "elasticache/x.rst".into(),
                service: "elasticache".into(),
                corpus: "awscli-rst".into(),
                examples: vec![example(
                    "elasticache/x.rst#1",
                    Outcome::Skipped,
                    Some("not selected by --filter"),
                    vec![],
                )],
                diagnostics: vec![],
            },
            FileResult {
                path: "botocore/dynamodb/get-item".into(),
                service: "dynamodb".into(),
                corpus: "botocore-examples".into(),
                examples: vec![example(
                    "botocore/dynamodb/get-item#1",
                    Outcome::Pass,
                    None,
                    vec![step(Outcome::Pass, None)],
                )],
                diagnostics: vec![],
            },
        ];
        Report::build(
            RunInfo {
                endpoint: "http://127.0.0.1:1".into(),
                target: "embedded emulator".into(),
                reset: "emulator".into(),
                cli: "warm".into(),
                jobs: 2,
                awscli_version: "1.46.2".into(),
                started_at: "2026-01-01T00:00:00Z".into(),
                wall_time_ms: 1500,
                phases: RunPhases::default(),
                filters: vec![],
            },
            files,
            serde_json::Value::Null,
        )
    }

    #[test]
    fn counts_and_strict_rate() {
        let r = sample();
        let d = &r.services["dynamodb"];
        assert_eq!(
            (d.examples.total, d.examples.passed, d.examples.failed),
            (3, 2, 1)
        );
        let rst = &d.corpora["awscli-rst"];
        assert_eq!((rst.examples.total, rst.examples.passed), (2, 1));
        assert_eq!(rst.strict_rate, 0.5);
        assert_eq!(d.corpora["botocore-examples"].strict_rate, 1.0);
        assert_eq!(r.services["elasticache"].examples.skipped, 1);
        assert_eq!(r.overall.examples.total, 4);
        assert_eq!(r.overall.corpora["awscli-rst"].examples.total, 3);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["services"]["dynamodb"]["examples"]["exit_only"], 0);
        assert_eq!(json["files"][2]["corpus"], "botocore-examples");
        let table = summary_table(&r);
        assert!(
            table.contains("| dynamodb | botocore-examples | 1 | 1 |"),
            "{table}"
        );
        assert!(junit(&r).contains("testsuite name=\"dynamodb (botocore-examples)\""));
    }

    #[test]
    fn what_the_reset_left_is_listed_once_with_its_count() {
        let mut r = sample();
        for e in r.files[0].examples.iter_mut() {
            e.reset_notes =
                vec!["us-west-2: 1 stream(s) left (no API call deletes a stream)".into()];
        }
        let md = markdown(&r);
        assert!(
            md.contains("## What the reset could not delete (1 distinct)"),
            "{md}"
        );
        assert!(md.contains(
            "- us-west-2: 1 stream(s) left (no API call deletes a stream) (before 2 example(s))"
        ));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["files"][0]["examples"][0]["reset_notes"][0],
            "us-west-2: 1 stream(s) left (no API call deletes a stream)"
        );
        assert!(json["files"][1]["examples"][0].get("reset_notes").is_none());
        assert!(!markdown(&sample()).contains("could not delete"));
    }

    #[test]
    fn markdown_and_junit_snapshots() {
        let r = sample();
        insta::assert_snapshot!("report_md", markdown(&r));
        insta::assert_snapshot!("report_junit", junit(&r));
    }

    #[test]
    fn baseline_flags_only_lost_passes() {
        let r = sample();
        let mut b = baseline::Baseline::from_report(&r);
        assert!(b.regressions(&r).is_empty());
        b.examples
            .insert("dynamodb/list-tables.rst#1".into(), Outcome::Pass);
        b.examples
            .insert("elasticache/x.rst#1".into(), Outcome::Pass);
        assert_eq!(
            b.regressions(&r),
            vec![(
                "dynamodb/list-tables.rst#1".to_string(),
                Outcome::FailOutput
            )]
        );
    }
}

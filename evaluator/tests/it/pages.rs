//! report.html and compare.html as a browser sees them: Debian's headless chromium loads each
//! page from disk (no network), and the test reads the DOM after the page's script ran and the
//! console messages chromium logged.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{common, gate};

/// Kills chromium's whole process group when dropped, so a failing test leaves nothing behind.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// The DOM after load and the console lines chromium logged.
fn chromium_dom(page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let dom_path = out_dir.path().join("dom.html");
    let log_path = out_dir.path().join("chromium.log");
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_path).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("chromium (scripts/setup installs Debian's chromium)");
    let pgid = child.id() as i32;
    let mut group = Group(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if group.0.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "chromium did not finish in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(group);
    // Nothing of chromium is left: its process group empties once the killed helpers are reaped.
    let deadline = Instant::now() + Duration::from_secs(10);
    while unsafe { libc::kill(-pgid, 0) } == 0 {
        assert!(
            Instant::now() < deadline,
            "a chromium process outlived the test"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = std::fs::read_to_string(&dom_path).unwrap();
    let console = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (dom, console)
}

/// The text of the first element with this id.
fn element_text<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let open = start + dom[start..].find('>').unwrap() + 1;
    let close = open + dom[open..].find('<').unwrap();
    &dom[open..close]
}

#[test]
fn report_html_of_the_full_run_renders_in_chromium() {
    let (_, stdout, stderr, dir) = gate::gate_run();
    let page = dir.join("report.html");
    assert!(page.is_file(), "no report.html:\n{stdout}\n{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let (dom, console) = chromium_dom(&page);
    assert!(console.is_empty(), "console messages: {console:#?}");

    // The page's script recounted the outcomes and agrees with the summary it shows.
    let passed = report["overall"]["examples"]["passed"].as_u64().unwrap();
    let total = report["overall"]["examples"]["total"].as_u64().unwrap();
    assert!(
        dom.contains("id=\"selfcheck\" data-ok=\"true\""),
        "selfcheck: {}",
        element_text(&dom, "selfcheck")
    );
    let check = element_text(&dom, "selfcheck");
    assert!(
        check.contains(&format!(": {passed}/{total} (matches the summary)")),
        "{check}"
    );

    // Summary rows per service and corpus, with the rates report.json gives.
    for (service, v) in report["services"].as_object().unwrap() {
        for (corpus, c) in v["corpora"].as_object().unwrap() {
            let ex = &c["examples"];
            let row = format!(
                "<tr><td>{service}</td><td>{corpus}</td><td>{}</td><td>{}</td>",
                ex["total"], ex["passed"]
            );
            assert!(dom.contains(&row), "missing summary row {row}");
            let rate = format!("{:.1}%", c["strict_rate"].as_f64().unwrap() * 100.0);
            assert!(dom.contains(&rate), "missing rate {rate}");
        }
    }
    // One matrix row per example, the rerun command, the normalization table, the waivers.
    assert_eq!(dom.matches("<tr id=\"ex-").count() as u64, total);
    assert!(dom.contains("cargo run -p evaluator -- show dynamodb/"));
    assert!(dom.contains("id=\"normalization\"") && dom.contains("arn-account-region"));
    let waived = report["overall"]["examples"]["waived"].as_u64().unwrap();
    assert!(dom.contains(&format!("Waivers ({waived})")));
    // The trend of the history file: the earlier run and this one.
    assert!(
        dom.contains("Trend (2 runs of the history file)"),
        "no trend"
    );
    assert!(dom.contains(&format!("<td>{passed}/{total}</td>")));
    assert!(dom.contains("<td>100/202</td>"), "the earlier run's row");
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 2);
    assert!(history.starts_with(gate::EARLIER_RUN));
}

#[test]
fn compare_scores_two_targets_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let sample = r"^(elasticache/(describe-cache-engine-versions|create-cache-parameter-group)\.rst#1|dynamodbstreams/list-streams\.rst#1)$";
    let out = common::evaluator()
        .args([
            "compare",
            "--target",
            "ours=embedded",
            "--target",
            "cacheonly=embedded,service=elasticache",
            // A target whose server cannot start: reported, the others still compared.
            "--target",
            "broken=moto-server:/nonexistent/moto_server",
            "--filter",
            sample,
            "--emulator-bin",
        ])
        .arg(common::emulator_bin())
        .arg("--report-dir")
        .arg(dir.path())
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("evaluator: broken: not scored:"),
        "{stderr}"
    );
    assert!(
        stdout.contains("not compared (could not be scored): broken"),
        "{stdout}"
    );
    let cmp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = cmp["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ours", "cacheonly"]);
    // Each target's own reports.
    for n in &names {
        assert!(dir.path().join(n).join("report.json").is_file());
        assert!(dir.path().join(n).join("report.html").is_file());
    }
    // Per example the outcome of each target; the streams example only for the one that scored it.
    let row = |id: &str| {
        cmp["examples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let ec = row("elasticache/describe-cache-engine-versions.rst#1");
    assert_eq!(ec["outcomes"]["ours"], ec["outcomes"]["cacheonly"]);
    assert_eq!(ec["differ"], false);
    let streams = row("dynamodbstreams/list-streams.rst#1");
    assert!(streams["outcomes"]["ours"].is_string());
    assert!(streams["outcomes"].get("cacheonly").is_none());
    let md = std::fs::read_to_string(dir.path().join("compare.md")).unwrap();
    assert!(
        md.contains("| ours (embedded emulator, reset emulator) | awscli-rst |"),
        "{md}"
    );
    assert!(stdout.contains("| cacheonly (embedded emulator, reset emulator) | awscli-rst |"));

    let (dom, console) = chromium_dom(&dir.path().join("compare.html"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    let check = element_text(&dom, "selfcheck");
    assert!(dom.contains("data-ok=\"true\""), "{check}");
    let ours = &cmp["targets"][0]["overall"]["examples"];
    let expect = format!("ours: {}/{}", ours["passed"], ours["total"]);
    assert!(check.contains(&expect), "{check} lacks {expect}");
    assert!(dom.contains("<td class=\"o na\">n/a</td>"), "no n/a cell");
}

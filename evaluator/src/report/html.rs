//! report.html and compare.html: one self-contained page each (inline style and script, no
//! network). Everything is rendered here, so the page reads without its script; the script only
//! filters rows and checks its own numbers: it recounts the strict rates from the per-example
//! outcomes it carries and writes the result into `#selfcheck`, which the browser test reads.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::model::{Counts, ExampleResult, Outcome, Report, RuleImpact, ServiceSummary};
use super::side_by_side::{rate_cell, Comparison};
use crate::history;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON for a `<script type="application/json">` block: `</` cannot end the block early.
fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.o{font-weight:600;white-space:nowrap}
.pass{background:#c8ecc8}.fail-output{background:#f7c6c6}.fail-exit{background:#f2a7a7}
.exit-only{background:#f5e7b0}.skipped{background:#e4e4e4}.waived{background:#d7def5}
.harness-error{background:#e8b3e8}.na{background:#fafafa;color:#999}
code,pre{font:12px/1.35 ui-monospace,monospace}
pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:24em;margin:.3em 0}
.bar{display:inline-block;height:.7em;background:#4a9a4a;vertical-align:middle}
.muted{color:#666}.differ td:first-child{border-left:4px solid #c33}
#controls button{margin-right:.4em}
details summary{cursor:pointer}
"#;

const SCRIPT: &str = r#"
(function(){
  var data = JSON.parse(document.getElementById('data').textContent);
  // Recount the strict rate of each column from the outcomes the page carries.
  var counts = data.columns.map(function(){ return {passed:0,total:0}; });
  data.examples.forEach(function(row){
    row[1].forEach(function(o, i){
      if (o === null) return;
      counts[i].total += 1;
      if (o === 'pass') counts[i].passed += 1;
    });
  });
  var ok = true;
  var parts = data.columns.map(function(c, i){
    var same = counts[i].passed === c.passed && counts[i].total === c.total;
    if (!same) ok = false;
    return c.name + ': ' + counts[i].passed + '/' + counts[i].total;
  });
  var check = document.getElementById('selfcheck');
  check.textContent = 'Recounted in the browser: ' + parts.join(', ') + (ok ? ' (matches the summary)' : ' (DIFFERS from the summary)');
  check.setAttribute('data-ok', ok ? 'true' : 'false');
  check.setAttribute('data-counts', JSON.stringify(counts));
  var rows = document.querySelectorAll('#matrix tbody tr');
  function show(which){
    rows.forEach(function(tr){
      var v = which === 'all' || (which === 'notpass' && tr.dataset.notpass === '1') || (which === 'differ' && tr.dataset.differ === '1');
      tr.style.display = v ? '' : 'none';
    });
  }
  document.querySelectorAll('#controls button').forEach(function(b){
    b.addEventListener('click', function(){ show(b.dataset.show); });
  });
})();
"#;

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    )
}

fn outcome_cell(o: Option<Outcome>) -> String {
    match o {
        Some(o) => format!("<td class=\"o {0}\">{0}</td>", o.as_str()),
        None => "<td class=\"o na\">n/a</td>".into(),
    }
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

fn counts_row(label: &str, corpus: &str, c: &Counts) -> String {
    let rate = c.strict_rate();
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"rate\"><span class=\"bar\" style=\"width:{:.0}px\"></span> {}</td></tr>\n",
        esc(label),
        esc(corpus),
        c.total,
        c.passed,
        c.failed,
        c.exit_only,
        c.skipped,
        c.waived,
        c.harness_error,
        rate * 80.0,
        pct(rate)
    )
}

fn summary_section(report: &Report) -> String {
    let mut s = String::from(
        "<h2>Summary</h2>\n<p class=\"muted\">Strict rate = passed examples / all examples; waived, exit-only and harness errors are not passes.</p>\n<table id=\"summary\"><thead><tr><th>service</th><th>corpus</th><th>total</th><th>passed</th><th>failed</th><th>exit-only</th><th>skipped</th><th>waived</th><th>harness-error</th><th>strict rate</th></tr></thead><tbody>\n",
    );
    let rows = report
        .services
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .chain(std::iter::once(("overall", &report.overall)));
    for (name, v) in rows {
        for (corpus, c) in &v.corpora {
            s.push_str(&counts_row(name, corpus, &c.examples));
        }
        if v.corpora.len() != 1 {
            s.push_str(&counts_row(name, "both", &v.examples));
        }
    }
    s.push_str("</tbody></table>\n");
    s
}

fn step_details(e: &ExampleResult) -> String {
    let mut s = String::new();
    if let Some(r) = &e.reason {
        let _ = writeln!(s, "<p>{}</p>", esc(r));
    }
    if let Some(x) = &e.explanation {
        let _ = writeln!(s, "<p><b>Known failure:</b> {}</p>", esc(x));
    }
    for n in &e.reset_notes {
        let _ = writeln!(
            s,
            "<p class=\"muted\">reset could not delete: {}</p>",
            esc(n)
        );
    }
    let _ = writeln!(
        s,
        "<p>Rerun: <code>{}</code> <span class=\"muted\">({} ms: reset {}, setup {}, scored {})</span></p>",
        esc(&e.rerun),
        e.duration_ms,
        e.phases.reset_ms,
        e.phases.setup_ms,
        e.phases.scored_ms
    );
    for st in &e.steps {
        let _ = writeln!(
            s,
            "<p><b>{} line {}</b> <span class=\"o {}\">{}</span> exit {} in {} ms</p><pre>{}</pre>",
            if st.setup { "setup" } else { "step" },
            st.line,
            st.outcome.as_str(),
            st.outcome.as_str(),
            st.exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "none".into()),
            st.duration_ms,
            esc(&st.command)
        );
        if let Some(r) = &st.reason {
            let _ = writeln!(s, "<p>{}</p>", esc(r));
        }
        if !st.mismatches.is_empty() {
            s.push_str("<ul>");
            for m in st.mismatches.iter().take(20) {
                let _ = write!(
                    s,
                    "<li><code>{}</code>: {}</li>",
                    esc(&m.path),
                    esc(&m.message)
                );
            }
            s.push_str("</ul>\n");
        }
        if let Some(d) = &st.diff {
            let _ = writeln!(s, "<pre class=\"diff\">{}</pre>", esc(d));
        }
        if st.outcome != Outcome::Pass && !st.stderr.trim().is_empty() {
            let tail: String = st.stderr.trim().chars().take(800).collect();
            let _ = writeln!(s, "<pre class=\"stderr\">{}</pre>", esc(&tail));
        }
    }
    s
}

/// The table, one row per entry, with the number of examples each entry turns for each run
/// (`impacts`: run name and its measure; the examples are listed in the cell's tooltip).
fn normalization_section(n: &Value, impacts: &[(&str, &[RuleImpact])]) -> String {
    let mut s = String::from(
        "<h2>Normalization table</h2>\n<p class=\"muted\">Applied to expected and actual alike. <i>Turned</i>: the passing examples that would fail with the entry switched off alone (rules.md lists them).</p>\n<table id=\"normalization\"><thead><tr><th>entry</th><th>matches</th><th>becomes</th><th>why</th>",
    );
    for (name, _) in impacts {
        let label = if impacts.len() == 1 {
            "turned".to_string()
        } else {
            format!("turned ({name})")
        };
        let _ = write!(s, "<th>{}</th>", esc(&label));
    }
    s.push_str("</tr></thead><tbody>\n");
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut row = |entry: String, matches: String, becomes: String, why: String| {
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td>",
            esc(&entry),
            esc(&matches),
            esc(&becomes),
            esc(&why)
        );
        for (_, impact) in impacts {
            let turned = impact
                .iter()
                .find(|r| r.entry == entry)
                .map(|r| r.turned.as_slice())
                .unwrap_or_default();
            let _ = write!(
                s,
                "<td class=\"turned\" title=\"{}\">{}</td>",
                esc(&turned.join(", ")),
                turned.len()
            );
        }
        s.push_str("</tr>\n");
    };
    for r in n["rules"].as_array().into_iter().flatten() {
        let m = &r["matcher"];
        let mut matches = match m["kind"].as_str() {
            Some("pattern") => format!("strings matching {}", str_of(&m["regex"])),
            Some("key") if m["parent"].is_string() => format!(
                "values of keys {} under {}",
                str_of(&m["key"]),
                str_of(&m["parent"])
            ),
            _ => format!("values of keys {}", str_of(&m["key"])),
        };
        if m["value"].is_string() {
            matches.push_str(&format!(" matching {}", str_of(&m["value"])));
        }
        row(
            str_of(&r["name"]),
            matches,
            str_of(&r["replacement"]),
            str_of(&r["why"]),
        );
    }
    for c in n["chosen_unless_named"].as_array().into_iter().flatten() {
        row(
            format!("aws-chosen:{}", str_of(&c["key"])),
            format!(
                "values of {} of the form {}, unless the command names {}",
                str_of(&c["key"]),
                str_of(&c["shape"]),
                str_of(&c["flag"])
            ),
            str_of(&c["replacement"]),
            str_of(&c["why"]),
        );
    }
    for e in n["status_equivalences"].as_array().into_iter().flatten() {
        row(
            format!("status-equivalence:{}", str_of(&e["key"])),
            format!("{} in {}", str_of(&e["key"]), e["values"]),
            str_of(&e["canonical"]),
            str_of(&e["why"]),
        );
    }
    for (prefix, what, key) in [
        ("open-list", "may hold more items", "open_lists"),
        ("may-be-absent", "may be absent", "may_be_absent"),
    ] {
        for o in n[key].as_array().into_iter().flatten() {
            row(
                format!("{prefix}:{}", str_of(&o["key"])),
                format!("{} ({what})", str_of(&o["key"])),
                String::new(),
                str_of(&o["why"]),
            );
        }
    }
    s.push_str("</tbody></table>\n");
    s
}

fn waivers_section(report: &Report) -> String {
    let mut s = String::new();
    let waived: Vec<&ExampleResult> = report
        .examples()
        .filter(|e| e.outcome == Outcome::Waived)
        .collect();
    let _ = writeln!(
        s,
        "<h2>Waivers ({})</h2>\n<p class=\"muted\">Not passes; what the run gave anyway.</p>",
        waived.len()
    );
    s.push_str("<table id=\"waivers\"><thead><tr><th>example</th><th>run gave</th><th>category</th><th>reason</th></tr></thead><tbody>\n");
    for e in waived {
        let category = e.waiver_category.as_deref().unwrap_or("");
        // The reason is stored as "waived (category): reason"; the category has its own column.
        let reason = e.reason.as_deref().unwrap_or("");
        let reason = reason
            .strip_prefix(&format!("waived ({category}): "))
            .unwrap_or(reason);
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{}\">{}</a></td>{}<td class=\"category\">{}</td><td>{}</td></tr>",
            anchor(&e.id),
            esc(&e.id),
            outcome_cell(e.unwaived_outcome),
            esc(category),
            esc(reason)
        );
    }
    s.push_str("</tbody></table>\n");
    let known: Vec<&ExampleResult> = report
        .examples()
        .filter(|e| e.explanation.is_some() && e.outcome != Outcome::Waived)
        .collect();
    let _ = writeln!(s, "<h2>Known failures ({})</h2>", known.len());
    s.push_str("<table id=\"known\"><thead><tr><th>example</th><th>outcome</th><th>why</th></tr></thead><tbody>\n");
    for e in known {
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{}\">{}</a></td>{}<td>{}</td></tr>",
            anchor(&e.id),
            esc(&e.id),
            outcome_cell(Some(e.outcome)),
            esc(e.explanation.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</tbody></table>\n");
    s
}

fn anchor(id: &str) -> String {
    let a: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("ex-{a}")
}

/// An inline SVG line chart: one polyline per series, values in 0..=max.
fn line_chart(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<f64>)],
    max: f64,
    unit: &str,
) -> String {
    const W: f64 = 640.0;
    const H: f64 = 170.0;
    const PAD: f64 = 34.0;
    const COLOURS: [&str; 6] = [
        "#222", "#2a6fb0", "#c0392b", "#27ae60", "#8e44ad", "#d68910",
    ];
    let n = labels.len().max(1);
    let x = |i: usize| {
        PAD + (W - 2.0 * PAD)
            * if n == 1 {
                0.5
            } else {
                i as f64 / (n - 1) as f64
            }
    };
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * (v / max.max(f64::EPSILON)).clamp(0.0, 1.0);
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\">",
        esc(title)
    );
    let _ = write!(
        s,
        "<line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#999\"/><text x=\"2\" y=\"{2}\" font-size=\"10\">{3}{unit}</text><text x=\"2\" y=\"{0}\" font-size=\"10\">0</text>",
        H - PAD,
        W - PAD,
        PAD,
        max
    );
    for (k, (name, vals)) in series.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let pts: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
            pts.join(" ")
        );
        for (i, v) in vals.iter().enumerate() {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{c}\"><title>{} {}: {:.1}{unit}</title></circle>",
                x(i),
                y(*v),
                esc(&labels[i]),
                esc(name),
                v
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{c}\">{}</text>",
            PAD + 130.0 * k as f64,
            H - 8.0,
            esc(name)
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

fn trend_section(history: &[history::Entry]) -> String {
    if history.is_empty() {
        return String::new();
    }
    let labels: Vec<String> = history.iter().map(|h| h.started_at.clone()).collect();
    let services: BTreeSet<&String> = history.iter().flat_map(|h| h.services.keys()).collect();
    let mut rates = vec![(
        "overall".to_string(),
        history
            .iter()
            .map(|h| h.strict_rate * 100.0)
            .collect::<Vec<_>>(),
    )];
    for svc in services {
        rates.push((
            svc.clone(),
            history
                .iter()
                .map(|h| h.services.get(svc).copied().unwrap_or(0.0) * 100.0)
                .collect(),
        ));
    }
    let walls: Vec<f64> = history
        .iter()
        .map(|h| h.wall_time_ms as f64 / 1000.0)
        .collect();
    let max_wall = walls.iter().cloned().fold(1.0, f64::max).ceil();
    let mut s = format!(
        "<h2>Trend ({} runs of the history file)</h2>\n<div id=\"trend\">",
        history.len()
    );
    s.push_str(&line_chart(
        "strict rate per service",
        &labels,
        &rates,
        100.0,
        "%",
    ));
    s.push_str(&line_chart(
        "wall time",
        &labels,
        &[("wall time".to_string(), walls)],
        max_wall,
        " s",
    ));
    s.push_str("</div>\n<table id=\"history\"><thead><tr><th>started</th><th>endpoint</th><th>passed</th><th>strict rate</th><th>wall time</th><th>selection</th></tr></thead><tbody>\n");
    for h in history {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td><td>{:.1} s</td><td>{}</td></tr>",
            esc(&h.started_at),
            esc(&h.target),
            h.passed,
            h.total,
            pct(h.strict_rate),
            h.wall_time_ms as f64 / 1000.0,
            esc(&h.filters.join(" "))
        );
    }
    s.push_str("</tbody></table>\n");
    s
}

/// The script's data: per column the summary's numbers, per example its outcome in each column.
fn data_block(columns: Value, examples: Vec<Value>) -> String {
    format!(
        "<script id=\"data\" type=\"application/json\">{}</script>\n<script>{SCRIPT}</script>\n",
        script_json(&json!({"columns": columns, "examples": examples}))
    )
}

/// The row filters (`differ`: the compare page's extra button) and the script's check line.
fn controls(differ: bool) -> String {
    format!(
        "<p id=\"controls\">Show: <button data-show=\"all\">all</button><button data-show=\"notpass\">not passing</button>{}</p>\n<p id=\"selfcheck\" data-ok=\"unknown\">(the page script did not run)</p>\n",
        if differ {
            "<button data-show=\"differ\">differing</button>"
        } else {
            ""
        }
    )
}

pub fn page(report: &Report, history: &[history::Entry]) -> String {
    let r = &report.run;
    let mut s = head("Conformance report");
    let _ = writeln!(
        s,
        "<p>Endpoint {} ({}), reset {}, AWS CLI {} ({} driver, {} job(s)), started {}, wall time {:.1} s.</p>\n<p class=\"muted\">{}.</p>",
        esc(&r.endpoint),
        esc(&r.target),
        esc(&r.reset),
        esc(&r.awscli_version),
        esc(&r.cli),
        r.jobs,
        esc(&r.started_at),
        r.wall_time_ms as f64 / 1000.0,
        esc(&r.phases.summary())
    );
    if !r.filters.is_empty() {
        let _ = writeln!(s, "<p>Selection: {}</p>", esc(&r.filters.join(", ")));
    }
    s.push_str(&summary_section(report));
    s.push_str(&trend_section(history));
    let _ = writeln!(s, "<h2>Examples ({})</h2>", report.examples().count());
    s.push_str(&controls(false));
    s.push_str("<table id=\"matrix\"><thead><tr><th>example</th><th>outcome</th><th>details</th></tr></thead><tbody>\n");
    for f in &report.files {
        for e in &f.examples {
            let _ = writeln!(
                s,
                "<tr id=\"{}\" data-notpass=\"{}\" data-differ=\"0\"><td><code>{}</code><br><span class=\"muted\">{}</span></td>{}<td><details><summary>{}</summary>{}</details></td></tr>",
                anchor(&e.id),
                u8::from(e.outcome != Outcome::Pass),
                esc(&e.id),
                esc(&e.title),
                outcome_cell(Some(e.outcome)),
                esc(e.reason.as_deref().unwrap_or("commands and output")),
                step_details(e)
            );
        }
    }
    s.push_str("</tbody></table>\n");
    s.push_str(&waivers_section(report));
    s.push_str(&normalization_section(
        &report.normalization,
        &[("this run", report.rule_impact.as_slice())],
    ));
    let examples = report
        .examples()
        .map(|e| json!([e.id, [e.outcome.as_str()]]))
        .collect();
    s.push_str(&data_block(
        json!([{"name": r.target, "passed": report.overall.examples.passed, "total": report.overall.examples.total}]),
        examples,
    ));
    s.push_str("</body></html>\n");
    s
}

fn service_cell(v: Option<&ServiceSummary>, corpus: &str) -> String {
    match v.and_then(|v| v.corpora.get(corpus)) {
        Some(c) => format!(
            "<td class=\"rate\"><span class=\"bar\" style=\"width:{:.0}px\"></span> {}</td>",
            c.strict_rate * 80.0,
            rate_cell(&c.examples)
        ),
        None => "<td class=\"na\">n/a</td>".into(),
    }
}

pub fn compare_page(cmp: &Comparison) -> String {
    let mut s = head("Side-by-side conformance");
    let _ = writeln!(
        s,
        "<p>Started {}, AWS CLI {}. Strict rate = passed / all examples the endpoint was scored on; n/a: not scored.</p>\n<ul>",
        esc(&cmp.started_at),
        esc(&cmp.awscli_version)
    );
    for t in &cmp.targets {
        let _ = writeln!(
            s,
            "<li><b>{}</b>: {} at {}, reset {}, wall time {:.1} s (<a href=\"{}/report.html\">its report</a>)</li>",
            esc(&t.name),
            esc(&t.target),
            esc(&t.endpoint),
            esc(&t.reset),
            t.wall_time_ms as f64 / 1000.0,
            esc(&t.name)
        );
    }
    s.push_str(
        "</ul>\n<h2>Summary</h2>\n<table id=\"summary\"><thead><tr><th>service</th><th>corpus</th>",
    );
    for t in &cmp.targets {
        let _ = write!(s, "<th>{}</th>", esc(&t.name));
    }
    s.push_str("</tr></thead><tbody>\n");
    let corpora: BTreeSet<String> = cmp.cells().into_iter().map(|(_, c)| c).collect();
    for (svc, corpus) in cmp.cells() {
        let _ = write!(s, "<tr><td>{}</td><td>{}</td>", esc(&svc), esc(&corpus));
        for t in &cmp.targets {
            s.push_str(&service_cell(t.services.get(&svc), &corpus));
        }
        s.push_str("</tr>\n");
    }
    for corpus in &corpora {
        let _ = write!(s, "<tr><td><b>overall</b></td><td>{}</td>", esc(corpus));
        for t in &cmp.targets {
            s.push_str(&service_cell(Some(&t.overall), corpus));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    let differ = cmp.examples.iter().filter(|e| e.differ).count();
    let _ = writeln!(
        s,
        "<h2>Examples ({} differ of {}; differing first)</h2>",
        differ,
        cmp.examples.len()
    );
    s.push_str(&controls(true));
    s.push_str("<table id=\"matrix\"><thead><tr><th>example</th>");
    for t in &cmp.targets {
        let _ = write!(s, "<th>{}</th>", esc(&t.name));
    }
    s.push_str("<th>details</th></tr></thead><tbody>\n");
    for e in &cmp.examples {
        let _ = write!(
            s,
            "<tr id=\"{}\" class=\"{}\" data-notpass=\"{}\" data-differ=\"{}\"><td><code>{}</code><br><span class=\"muted\">{}</span></td>",
            anchor(&e.id),
            if e.differ { "differ" } else { "" },
            u8::from(e.outcomes.values().any(|o| *o != Outcome::Pass)),
            u8::from(e.differ),
            esc(&e.id),
            esc(&e.title)
        );
        for t in &cmp.targets {
            s.push_str(&outcome_cell(e.outcomes.get(&t.name).copied()));
        }
        s.push_str("<td><details><summary>why, rerun</summary>");
        for (name, reason) in &e.reasons {
            let _ = write!(
                s,
                "<p><b>{}</b>: {} (<a href=\"{}/report.html#{}\">commands and diff</a>)</p>",
                esc(name),
                esc(reason),
                esc(name),
                anchor(&e.id)
            );
        }
        let _ = write!(s, "<p>Rerun: <code>{}</code></p>", esc(&e.rerun));
        s.push_str("</details></td></tr>\n");
    }
    s.push_str("</tbody></table>\n");
    let impacts: Vec<(&str, &[RuleImpact])> = cmp
        .targets
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                cmp.rule_impact
                    .get(&t.name)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
        })
        .collect();
    s.push_str(&normalization_section(&cmp.normalization, &impacts));
    let columns: Vec<Value> = cmp
        .targets
        .iter()
        .map(|t| json!({"name": t.name, "passed": t.overall.examples.passed, "total": t.overall.examples.total}))
        .collect();
    let examples = cmp
        .examples
        .iter()
        .map(|e| {
            let outs: Vec<Value> = cmp
                .targets
                .iter()
                .map(|t| {
                    e.outcomes
                        .get(&t.name)
                        .map(|o| Value::from(o.as_str()))
                        .unwrap_or(Value::Null)
                })
                .collect();
            json!([e.id, outs])
        })
        .collect();
    s.push_str(&data_block(Value::Array(columns), examples));
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn the_page_is_self_contained_and_escapes_what_it_shows() {
        let mut r = sample();
        r.files[0].examples[0].title = "<script>alert(1)</script>".into();
        let page = page(&r, &[]);
        assert!(!page.contains("<script>alert(1)"));
        assert!(page.contains("&lt;script&gt;alert(1)"));
        // No network: nothing is loaded from elsewhere.
        for needle in ["src=\"http", "href=\"http", "@import", "url("] {
            assert!(!page.contains(needle), "{needle}");
        }
        assert!(page.contains("id=\"selfcheck\""));
        assert!(page.contains("cargo run -p evaluator -- show dynamodb/list-tables.rst#1"));
    }

    #[test]
    fn json_in_a_script_block_cannot_close_it() {
        assert_eq!(script_json(&json!("</script>")), "\"<\\/script>\"");
    }
}

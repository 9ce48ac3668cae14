//! RST example file -> examples, steps, input files and expectations.
//!
//! The AWS CLI example files are Markdown-compatible where it matters: bold headings are `**...**`
//! paragraphs and `::` literal blocks are indented code blocks. pulldown-cmark does the block
//! parsing; we classify each literal block by what it holds and the paragraph that introduces it.

use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use regex::Regex;
use serde::Serialize;

use crate::strict_json;

/// One corpus file, parsed.
#[derive(Debug, Clone, Serialize)]
pub struct ExampleFile {
    /// Path relative to the corpus root, e.g. `dynamodb/create-table.rst`.
    pub path: String,
    /// First path component: `dynamodb`, `dynamodbstreams` or `elasticache`.
    pub service: String,
    pub examples: Vec<Example>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// 1-based position in the file.
    pub index: usize,
    pub title: String,
    pub line: usize,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub line: usize,
    /// The command as one line (continuations joined), as shown in reports.
    pub command: String,
    pub argv: Vec<String>,
    /// `Contents of ``name``::` blocks that belong to this step (written to the example dir).
    pub files: Vec<InputFile>,
    pub expected: Expected,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub name: String,
    pub line: usize,
    pub contents: String,
}

/// What the example documents for a step.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Expected {
    /// Nothing documented: only the exit code can be checked (exit-only).
    Unspecified,
    /// "This command produces no output.": exit 0 and empty stdout.
    NoOutput { line: usize },
    /// A JSON `Output::` block: compared as a subset of the actual output.
    Json {
        line: usize,
        value: serde_json::Value,
    },
    /// A documented error: non-zero exit and this error code on stderr.
    Error {
        line: usize,
        code: String,
        text: String,
    },
    /// Output that is not JSON (tables, prose): exit-only.
    Text {
        line: usize,
        text: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The example cannot be run as documented (it becomes a harness error).
    Error,
    /// Something was read in a lossy way (e.g. an output that is not JSON, an alternative output).
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub severity: Severity,
    /// 1-based example index the diagnostic belongs to, if any.
    pub example: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {}: {}", self.file, self.line, sev, self.message)
    }
}

fn example_heading_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^Example\s+(\d+)\s*:?").unwrap())
}

fn contents_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)^Contents of (?:the )?``([^`]+)``").unwrap())
}

/// Error messages as the AWS CLI prints them (v1 current and legacy forms).
pub fn error_code_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:An error occurred|A client error) \(([A-Za-z0-9_.]+)\)").unwrap()
    })
}

/// Byte offset -> 1-based line number.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts)
    }
    fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// A paragraph's plain text (inline code kept with its ``...`` marks) and where it starts.
struct Para {
    text: String,
    line: usize,
    start: usize,
    end: usize,
    starts_bold: bool,
    bold: String,
}

struct Builder {
    file: String,
    examples: Vec<Example>,
    diagnostics: Vec<Diagnostic>,
    /// Whether this file numbers its examples (`**Example N: ...**`).
    numbered: bool,
    /// Files seen before the first command of an example (attached to the next step).
    pending_files: Vec<InputFile>,
}

impl Builder {
    fn diag(&mut self, line: usize, severity: Severity, message: String) {
        let example = self.examples.last().map(|e| e.index);
        self.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            line,
            severity,
            example,
            message,
        });
    }

    fn start_example(&mut self, title: String, line: usize) {
        self.flush_pending_files();
        let index = self.examples.len() + 1;
        self.examples.push(Example {
            index,
            title,
            line,
            steps: Vec::new(),
        });
    }

    fn current(&mut self, line: usize) -> &mut Example {
        if self.examples.is_empty() {
            // Content before the first `**Example N**` heading of a numbered file, or an
            // unnumbered file without a bold title: still one example.
            self.examples.push(Example {
                index: 1,
                title: String::new(),
                line,
                steps: Vec::new(),
            });
        }
        self.examples.last_mut().expect("just ensured")
    }

    fn flush_pending_files(&mut self) {
        if self.pending_files.is_empty() {
            return;
        }
        let files = std::mem::take(&mut self.pending_files);
        for f in &files {
            self.diag(
                f.line,
                Severity::Warning,
                format!("contents of `{}` belong to no command", f.name),
            );
        }
    }

    fn add_command(&mut self, line: usize, text: &str) {
        let joined = join_continuations(text);
        let argv = match shell_words::split(&joined) {
            Ok(a) => a,
            Err(e) => {
                self.current(line);
                self.diag(
                    line,
                    Severity::Error,
                    format!("cannot split the command into words ({e}): {joined}"),
                );
                return;
            }
        };
        let files = std::mem::take(&mut self.pending_files);
        let ex = self.current(line);
        ex.steps.push(Step {
            line,
            command: joined,
            argv,
            files,
            expected: Expected::Unspecified,
        });
    }

    fn add_file(&mut self, name: String, line: usize, contents: String) {
        let file = InputFile {
            name,
            line,
            contents,
        };
        match self.examples.last_mut().and_then(|e| e.steps.last_mut()) {
            Some(step) => step.files.push(file),
            None => self.pending_files.push(file),
        }
    }

    fn set_expected(&mut self, expected: Expected, line: usize) {
        let Some(step) = self.examples.last_mut().and_then(|e| e.steps.last_mut()) else {
            self.current(line);
            self.diag(
                line,
                Severity::Error,
                "an output block comes before any command".into(),
            );
            return;
        };
        if step.expected == Expected::Unspecified {
            step.expected = expected;
            return;
        }
        // The corpus sometimes documents a second, conditional outcome ("If the key already
        // exists, you should see ..."). The first one is what the example as written produces.
        let kind = match &expected {
            Expected::Error { code, .. } => format!("error {code}"),
            Expected::NoOutput { .. } => "no output".into(),
            _ => "output".into(),
        };
        self.diag(
            line,
            Severity::Warning,
            format!("alternative outcome ({kind}) documented for the same command; not scored"),
        );
    }
}

/// Joins `\`-newline continuations into one line.
pub fn join_continuations(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        match t.strip_suffix('\\') {
            Some(rest) => {
                out.push_str(rest.trim_end());
                out.push(' ');
            }
            None => out.push_str(t),
        }
    }
    out.trim_end().to_string()
}

fn classify_output(text: &str, line: usize) -> (Expected, Option<String>) {
    let trimmed = text.trim();
    if let Some(c) = error_code_re().captures(trimmed) {
        return (
            Expected::Error {
                line,
                code: c[1].to_string(),
                text: trimmed.to_string(),
            },
            None,
        );
    }
    match strict_json::parse(trimmed) {
        Ok(value) => (Expected::Json { line, value }, None),
        Err(e) => {
            let reason = format!("output is not JSON ({e}); exit code only");
            (
                Expected::Text {
                    line,
                    text: trimmed.to_string(),
                    reason: reason.clone(),
                },
                Some(reason),
            )
        }
    }
}

/// Parses one RST example file. Never fails: problems become diagnostics.
pub fn parse(path: &str, text: &str) -> ExampleFile {
    let service = path.split('/').next().unwrap_or_default().to_string();
    let lines = Lines::new(text);
    let numbered = text.lines().any(|l| {
        l.trim_start().starts_with("**Example")
            && example_heading_re().is_match(l.trim_start().trim_start_matches('*'))
    });
    let mut b = Builder {
        file: path.to_string(),
        examples: Vec::new(),
        diagnostics: Vec::new(),
        numbered,
        pending_files: Vec::new(),
    };

    let mut para: Option<Para> = None;
    // The last finished paragraph, i.e. what introduces a following literal block.
    let mut last_para: Option<Para> = None;
    let mut in_strong = 0usize;
    let mut code: Option<(usize, String)> = None;

    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Paragraph) => {
                para = Some(Para {
                    text: String::new(),
                    line: lines.line(range.start),
                    start: range.start,
                    end: range.end,
                    starts_bold: false,
                    bold: String::new(),
                });
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = para.take() {
                    let intro = last_para
                        .as_ref()
                        .filter(|l| l.text.trim_end().ends_with("::"));
                    if let (Some(intro), Some(body)) = (intro, indented_source(text, &p)) {
                        // An RST literal block that Markdown did not see as code (indented
                        // less than 4 spaces, or nested in a list item).
                        b.diag(
                            p.line,
                            Severity::Warning,
                            "literal block indented in a way Markdown reads as text; read as RST"
                                .into(),
                        );
                        handle_literal(&mut b, p.line, &body, Some(intro));
                        last_para = None;
                    } else {
                        handle_paragraph(&mut b, &p);
                        last_para = Some(p);
                    }
                }
            }
            Event::Start(Tag::Strong) => {
                in_strong += 1;
                if let Some(p) = para.as_mut() {
                    if p.text.trim().is_empty() {
                        p.starts_bold = true;
                    }
                }
            }
            Event::End(TagEnd::Strong) => in_strong = in_strong.saturating_sub(1),
            Event::Text(t) => {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(&t);
                    if in_strong > 0 && p.starts_bold {
                        p.bold.push_str(&t);
                    }
                } else if let Some((_, c)) = code.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::Code(t) => {
                if let Some(p) = para.as_mut() {
                    p.text.push_str("``");
                    p.text.push_str(&t);
                    p.text.push_str("``");
                    if in_strong > 0 && p.starts_bold {
                        p.bold.push_str(&t);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = para.as_mut() {
                    p.text.push(' ');
                    if in_strong > 0 && p.starts_bold {
                        p.bold.push(' ');
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                // Indented blocks start at their first content line; fenced ones after the fence.
                let line =
                    lines.line(range.start) + usize::from(matches!(kind, CodeBlockKind::Fenced(_)));
                code = Some((line, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((line, body)) = code.take() {
                    handle_literal(&mut b, line, &body, last_para.as_ref());
                }
                // A literal block consumes its introduction; a second block needs its own.
                last_para = None;
            }
            _ => {}
        }
    }
    b.flush_pending_files();

    for ex in &b.examples.clone() {
        if ex.steps.is_empty() {
            b.diagnostics.push(Diagnostic {
                file: path.to_string(),
                line: ex.line,
                severity: Severity::Error,
                example: Some(ex.index),
                message: "example has no `aws ...` command".into(),
            });
        }
    }
    if b.examples.is_empty() {
        b.diagnostics.push(Diagnostic {
            file: path.to_string(),
            line: 1,
            severity: Severity::Error,
            example: None,
            message: "file holds no example".into(),
        });
    }
    b.diagnostics.sort_by_key(|d| d.line);
    ExampleFile {
        path: path.to_string(),
        service,
        examples: b.examples,
        diagnostics: b.diagnostics,
    }
}

/// The paragraph's full source lines, dedented, when its first line is indented.
fn indented_source(text: &str, p: &Para) -> Option<String> {
    let line_start = text[..p.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[p.end..].find('\n').map_or(text.len(), |i| p.end + i);
    let raw = &text[line_start..line_end];
    let first = raw.lines().next()?;
    let indent = first.len() - first.trim_start().len();
    if indent == 0 {
        return None;
    }
    let body: Vec<&str> = raw
        .lines()
        .map(|l| {
            let n = (l.len() - l.trim_start().len()).min(indent);
            &l[n..]
        })
        .collect();
    Some(body.join("\n"))
}

fn handle_paragraph(b: &mut Builder, p: &Para) {
    let text = p.text.trim();
    if p.starts_bold {
        let bold = p.bold.trim().to_string();
        if b.numbered {
            if let Some(c) = example_heading_re().captures(&bold) {
                let n: usize = c[1].parse().unwrap_or(0);
                b.start_example(bold.clone(), p.line);
                if n != b.examples.len() {
                    b.diag(
                        p.line,
                        Severity::Warning,
                        format!(
                            "heading says Example {n} but it is example {} of the file",
                            b.examples.len()
                        ),
                    );
                }
                return;
            }
        } else if b.examples.is_empty() && text == bold {
            b.start_example(bold, p.line);
            return;
        }
    }
    if text.to_ascii_lowercase().contains("produces no output") {
        b.set_expected(Expected::NoOutput { line: p.line }, p.line);
    }
}

fn handle_literal(b: &mut Builder, line: usize, body: &str, intro: Option<&Para>) {
    let first = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let intro_text = intro.map(|p| p.text.trim()).unwrap_or("");
    if let Some(c) = contents_re().captures(intro_text) {
        b.add_file(c[1].to_string(), line, body.to_string());
        return;
    }
    if first == "aws" || first.starts_with("aws ") {
        b.add_command(line, body);
        return;
    }
    if intro.is_none() {
        b.diag(
            line,
            Severity::Warning,
            "literal block without an introducing paragraph; read as output".into(),
        );
    }
    let (expected, warn) = classify_output(body, line);
    let had_step = b
        .examples
        .last()
        .and_then(|e| e.steps.last())
        .is_some_and(|s| s.expected == Expected::Unspecified);
    if let (Some(w), true) = (warn, had_step) {
        b.diag(line, Severity::Warning, w);
    }
    b.set_expected(expected, line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_and_splits_quotes() {
        let f = parse(
            "dynamodb/x.rst",
            "**To do it**\n\nRun ::\n\n    aws dynamodb put-item \\\n        --table-name \"My Table\" \\\n        --item '{\"a\": 1}'\n\nOutput::\n\n    {\"A\": 1}\n",
        );
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        let s = &f.examples[0].steps[0];
        assert_eq!(
            s.argv,
            vec![
                "aws",
                "dynamodb",
                "put-item",
                "--table-name",
                "My Table",
                "--item",
                "{\"a\": 1}"
            ]
        );
        assert_eq!(s.line, 5);
        assert!(matches!(s.expected, Expected::Json { line: 11, .. }));
    }

    #[test]
    fn numbered_examples_files_and_errors() {
        let text = "**Example 1: One**\n\nText. ::\n\n    aws dynamodb list-tables\n\nThis command produces no output.\n\n**Example 2: Two**\n\nText ::\n\n    aws dynamodb put-item --item file://item.json\n\nContents of ``item.json``::\n\n    {\"a\": {\"S\": \"b\"}}\n\nOutput::\n\n    An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: no\n";
        let f = parse("dynamodb/y.rst", text);
        assert_eq!(f.examples.len(), 2);
        assert!(matches!(
            f.examples[0].steps[0].expected,
            Expected::NoOutput { .. }
        ));
        let s = &f.examples[1].steps[0];
        assert_eq!(s.files[0].name, "item.json");
        assert!(s.files[0].contents.contains("\"S\""));
        match &s.expected {
            Expected::Error { code, .. } => assert_eq!(code, "ConditionalCheckFailedException"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_output_is_exit_only_with_a_diagnostic() {
        let f = parse(
            "elasticache/z.rst",
            "**T**\n\nRun ::\n\n    aws elasticache x\n\nOutput::\n\n    not json at all\n",
        );
        assert!(matches!(
            f.examples[0].steps[0].expected,
            Expected::Text { .. }
        ));
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].line, 9);
    }

    #[test]
    fn malformed_command_is_an_error_diagnostic() {
        let f = parse(
            "elasticache/bad.rst",
            "**T**\n\nRun ::\n\n    aws elasticache x --name \"unclosed\n",
        );
        let errs: Vec<_> = f
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errs
            .iter()
            .any(|d| d.line == 5 && d.message.contains("cannot split")));
        assert!(errs
            .iter()
            .any(|d| d.message.contains("no `aws ...` command")));
    }
}

//! The tokens of a SearchConditionExpression: DynamoDB's expression lexicon (`#name` and
//! `:value` placeholders of letters, digits and `_`, comparators, parentheses, commas), with a
//! document path below the top level kept whole so that it can be refused by name.

use super::condition_errors as err;
use crate::protocol::json::JsonError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Name,
    Value,
    /// A document path below the top level (`a.b`, `a[0]`).
    Path,
    Op,
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone, Copy)]
pub struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

pub fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// The end of a path continuing at `i` (`.name`, `.#name`, `[digits]`), `i` when none does.
fn path_end(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(b'.') => {
                let s = i + 1 + usize::from(b.get(i + 1) == Some(&b'#'));
                let e = word_end(b, s);
                if e == s {
                    return i;
                }
                i = e;
            }
            Some(b'[') => {
                let e = (i + 1..b.len())
                    .find(|&j| !b[j].is_ascii_digit())
                    .unwrap_or(b.len());
                if e == i + 1 || b.get(e) != Some(&b']') {
                    return i;
                }
                i = e + 1;
            }
            _ => return i,
        }
    }
}

pub fn tokenize(s: &str) -> Result<Vec<Tok>, JsonError> {
    let b = s.as_bytes();
    let mut out: Vec<Tok> = vec![];
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'(' => Kind::Open,
            b')' => Kind::Close,
            b',' => Kind::Comma,
            b'=' => Kind::Op,
            b'<' | b'>' => {
                if matches!(&b[i..(i + 2).min(b.len())], b"<=" | b">=" | b"<>") {
                    i += 1;
                }
                Kind::Op
            }
            b':' if word_end(b, i + 1) > i + 1 => {
                i = word_end(b, i + 1) - 1;
                Kind::Value
            }
            c if c == b'#' || c.is_ascii_alphanumeric() || c == b'_' => {
                let e = word_end(b, i + 1);
                let p = path_end(b, e);
                i = p - 1;
                if p > e {
                    Kind::Path
                } else {
                    Kind::Name
                }
            }
            _ => {
                let c = s[i..].chars().next().unwrap_or(' ');
                let from = out.last().map_or(i, |t| t.start);
                return Err(err::syntax(&c.to_string(), &s[from..i + c.len_utf8()]));
            }
        };
        i += 1;
        out.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    Ok(out)
}

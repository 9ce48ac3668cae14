//! PartiQL as AWS reads it where DynamoDB Local reads it otherwise: number parameters (checked
//! before forwarding, in document order with the nesting limit) and the statement facts the
//! error translator needs (a refused statement's parser detail, the path of a number literal,
//! a repeated bag member). Facts from AWS's answers recorded by paritysuite/dynamodb-conformance
//! (`tests/tier3/error-messages/partiqlGrammar.test.ts`, `partiqlParameterNumbers.test.ts`,
//! `partiqlFunctions.test.ts`; eu-west-2 and us-east-1, 2026-10).

use serde_json::Value;

use super::updated::Elem;

pub const NESTING: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
const UNCONVERTIBLE: &str = "The parameter cannot be converted to a numeric value";
const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
/// Attribute values nest 32 levels at most (the parameter itself being level 1), as outside
/// PartiQL (`validate`).
const MAX_LEVEL: usize = 32;

/// The first problem AWS reports in a statement's parameters, in document order: a value
/// nested too deeply, or a number AWS cannot read (`parameter_number`). None leaves the
/// parameters to DynamoDB Local.
pub fn parameters_error(params: &Value) -> Option<String> {
    fn walk(v: &Value, level: usize) -> Option<String> {
        if level > MAX_LEVEL {
            return Some(NESTING.into());
        }
        let o = v.as_object()?;
        o.iter().find_map(|(k, c)| match (k.as_str(), c) {
            ("N", Value::String(n)) => parameter_number(n),
            ("NS", Value::Array(ns)) => ns
                .iter()
                .find_map(|n| n.as_str().and_then(parameter_number)),
            ("M", Value::Object(m)) => m.values().find_map(|c| walk(c, level + 1)),
            ("L", Value::Array(l)) => l.iter().find_map(|c| walk(c, level + 1)),
            _ => None,
        })
    }
    params.as_array()?.iter().find_map(|p| walk(p, 1))
}

/// A number parameter is read as Java's `BigDecimal` reads a string: what it cannot read
/// (an exponent or a scale outside a 32-bit integer, no digits) cannot be converted, the text
/// echoed (nothing after the text when it is empty); AWS's magnitude check then takes
/// precision less scale in 32-bit arithmetic, which wraps to an underflow for the largest
/// exponents. Everything else is left to DynamoDB Local, which answers the same range texts.
pub fn parameter_number(n: &str) -> Option<String> {
    let unconvertible = || {
        Some(if n.is_empty() {
            UNCONVERTIBLE.to_string()
        } else {
            format!("{UNCONVERTIBLE}: {n}")
        })
    };
    let Some(d) = Decimal::read(n) else {
        return unconvertible();
    };
    let Some(scale) = d.scale() else {
        return unconvertible();
    };
    (d.precision() - scale > i64::from(i32::MAX)).then(|| UNDERFLOW.to_string())
}

/// A number literal's parts, as written.
struct Decimal<'a> {
    int: &'a str,
    frac: &'a str,
    /// The exponent, None when it does not fit a 32-bit integer.
    exp: Option<i64>,
}

impl<'a> Decimal<'a> {
    /// Sign, digits with at most one point (at least one digit), then an optional exponent.
    fn read(n: &'a str) -> Option<Self> {
        let body = n.strip_prefix(['-', '+']).unwrap_or(n);
        let (mantissa, exp) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (body, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        let exp = match exp {
            None => Some(0),
            Some(e) => {
                let m = e.strip_prefix(['-', '+']).unwrap_or(e);
                if m.is_empty() || !digits(m) {
                    return None;
                }
                e.parse::<i64>().ok().filter(|e| i32::try_from(*e).is_ok())
            }
        };
        Some(Decimal { int, frac, exp })
    }

    /// Digits after the point less the exponent; None outside a 32-bit integer (or when the
    /// exponent is).
    fn scale(&self) -> Option<i64> {
        let s = self.frac.len() as i64 - self.exp?;
        i32::try_from(s).is_ok().then_some(s)
    }

    fn significant(&self) -> String {
        let all: String = self.int.chars().chain(self.frac.chars()).collect();
        all.trim_start_matches('0').to_string()
    }

    /// Digits of the unscaled value (1 for zero).
    fn precision(&self) -> i64 {
        (self.significant().len() as i64).max(1)
    }

    /// The decimal exponent of the leading digit (None for zero or an unreadable exponent).
    fn magnitude(&self) -> Option<i64> {
        let sig = self.significant();
        if sig.is_empty() {
            return None;
        }
        Some(self.exp? - self.frac.len() as i64 + sig.len() as i64 - 1)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word (identifier or keyword), as written.
    Word(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    /// A `'string'`.
    Str(String),
    Num(String),
    Punct(&'static str),
}

/// Why the statement could not be split into tokens.
pub(super) enum LexError {
    /// A character no token starts with (`#`), or a block comment left open.
    Unreadable,
    /// Anything else (an unterminated string): AWS's detail not recorded.
    Other,
}

const PUNCT: &[&str] = &[
    "<<", ">>", "<>", "!=", "<=", ">=", "||", "(", ")", "[", "]", "{", "}", ",", ".", ":", "?",
    "*", "=", "<", ">", "+", "-", "/", "%", ";",
];

fn lex(s: &str) -> Result<Vec<Tok>, LexError> {
    Ok(lex_spans(s)?.into_iter().map(|(t, _)| t).collect())
}

/// `lex` with each token's place in the statement (char offsets, end excluded).
pub(super) fn lex_spans(s: &str) -> Result<Vec<(Tok, std::ops::Range<usize>)>, LexError> {
    let c: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < c.len() {
        let begin = i;
        let rest: String = c[i..c.len().min(i + 2)].iter().collect();
        if c[i].is_whitespace() {
            i += 1;
        } else if rest == "--" {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if rest == "/*" {
            let close =
                (i + 2..c.len().saturating_sub(1)).find(|&j| c[j] == '*' && c[j + 1] == '/');
            i = close.ok_or(LexError::Unreadable)? + 2;
        } else if c[i] == '\'' || c[i] == '"' {
            let q = c[i];
            let mut text = String::new();
            i += 1;
            loop {
                match c.get(i) {
                    None => return Err(LexError::Other),
                    Some(&ch) if ch == q && c.get(i + 1) == Some(&q) => {
                        text.push(q);
                        i += 2;
                    }
                    Some(&ch) if ch == q => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        text.push(ch);
                        i += 1;
                    }
                }
            }
            let t = if q == '"' {
                Tok::Quoted(text)
            } else {
                Tok::Str(text)
            };
            out.push((t, begin..i));
        } else if c[i].is_ascii_digit()
            || c[i] == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            let start = i;
            while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                i += 1;
            }
            if matches!(c.get(i), Some('e' | 'E')) {
                let signed = matches!(c.get(i + 1), Some('+' | '-'));
                let first = i + 1 + usize::from(signed);
                if c.get(first).is_some_and(char::is_ascii_digit) {
                    i = first;
                    while i < c.len() && c[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            out.push((Tok::Num(c[start..i].iter().collect()), begin..i));
        } else if c[i].is_alphabetic() || c[i] == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                i += 1;
            }
            out.push((Tok::Word(c[start..i].iter().collect()), begin..i));
        } else if let Some(p) = PUNCT.iter().find(|p| s_at(&c, i, p)) {
            i += p.chars().count();
            out.push((Tok::Punct(p), begin..i));
        } else {
            return Err(LexError::Unreadable);
        }
    }
    Ok(out)
}

fn s_at(c: &[char], i: usize, p: &str) -> bool {
    p.chars()
        .enumerate()
        .all(|(k, pc)| c.get(i + k) == Some(&pc))
}

/// Words PartiQL reads as keywords, never as an operand or a path component.
const KEYWORDS: &[&str] = &[
    "all",
    "and",
    "as",
    "asc",
    "at",
    "between",
    "by",
    "case",
    "cross",
    "delete",
    "desc",
    "distinct",
    "else",
    "end",
    "exists",
    "false",
    "from",
    "full",
    "in",
    "inner",
    "insert",
    "into",
    "is",
    "join",
    "left",
    "like",
    "missing",
    "modified",
    "natural",
    "new",
    "not",
    "null",
    "old",
    "on",
    "or",
    "order",
    "outer",
    "remove",
    "returning",
    "right",
    "select",
    "set",
    "then",
    "true",
    "update",
    "value",
    "values",
    "when",
    "where",
];

pub(super) fn keyword(w: &str) -> bool {
    KEYWORDS.contains(&w.to_ascii_lowercase().as_str())
}

/// Clauses in the order each statement kind takes them (SET and REMOVE share a place).
fn clauses(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "select" => &[&["from"], &["where"], &["order"]],
        "delete" => &[&["from"], &["where"], &["returning"]],
        "update" => &[&["set", "remove"], &["where"], &["returning"]],
        "insert" => &[&["into"], &["value"]],
        // The FROM-first UPDATE.
        "from" => &[&["from"], &["where"], &["set", "remove"], &["returning"]],
        _ => &[],
    }
}

const CLAUSE_WORDS: &[&str] = &[
    "from",
    "where",
    "order",
    "set",
    "remove",
    "returning",
    "into",
    "value",
];

/// Type names `IS` takes (`DOUBLE PRECISION` and `CHARACTER VARYING` by their first word).
const TYPES: &[&str] = &[
    "any",
    "bag",
    "bigint",
    "blob",
    "bool",
    "boolean",
    "char",
    "character",
    "clob",
    "date",
    "decimal",
    "double",
    "float",
    "int",
    "int2",
    "int4",
    "int8",
    "integer",
    "integer2",
    "integer4",
    "integer8",
    "list",
    "missing",
    "null",
    "numeric",
    "real",
    "sexp",
    "smallint",
    "string",
    "struct",
    "symbol",
    "time",
    "timestamp",
    "tuple",
    "varchar",
];

/// Keywords a term may start with.
const TERM_KEYWORDS: &[&str] = &[
    "case", "exists", "false", "missing", "not", "null", "select", "true", "value", "values",
];

/// Operators that only stand between two terms.
fn infix(t: &Tok) -> bool {
    match t {
        Tok::Word(w) => matches!(w.to_ascii_lowercase().as_str(), "and" | "or" | "like"),
        Tok::Punct(p) => matches!(*p, "=" | "<>" | "!=" | "<" | "<=" | ">" | ">=" | "||"),
        _ => false,
    }
}

pub(super) fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
}

const LEFTOVER: &str = "Unexpected token after expression";
const PATH_DOT: &str = "Invalid path dot component";
const EXPECTED_DML: &str = "Expected data manipulation";

/// The detail AWS puts after `Statement wasn't well formed, can't be processed: ` for a
/// statement DynamoDB Local refused as malformed, from the first problem in written order:
/// nothing for what cannot be read at all (a `#`, a block comment left open, a number literal
/// whose exponent or scale does not fit a 32-bit integer); where a term should start, `Unexpected
/// term` (the end), `Missing right-hand side expression of infix operator` (the end after an
/// infix operator), `Unexpected operator`, `Unexpected keyword`; `Expected identifier for simple
/// path` (DELETE FROM without a table), `Expected type name` (IS without one), `Invalid path dot
/// component` (a keyword after a path's dot), `Unexpected token after expression` (a token left
/// over after a complete statement: two operands in a row, a closing bracket never opened, a
/// clause out of place), `Expected data manipulation` (a FROM-first write without its write,
/// where an expression statement's operand is due). None when the statement shows none of
/// these (AWS's detail unknown).
pub fn malformed_detail(statement: &str) -> Option<&'static str> {
    let toks = match lex(statement) {
        Ok(t) => t,
        Err(LexError::Unreadable) => return Some(""),
        Err(LexError::Other) => return None,
    };
    let unreadable_number = toks.iter().any(|t| match t {
        Tok::Num(n) => Decimal::read(n).is_none_or(|d| d.scale().is_none()),
        _ => false,
    });
    if unreadable_number {
        return Some("");
    }
    // A `;` ends the statement.
    let end = toks
        .iter()
        .position(|t| *t == Tok::Punct(";"))
        .unwrap_or(toks.len());
    let toks = &toks[..end];
    let kind = match toks.first() {
        Some(Tok::Word(w)) => w.to_ascii_lowercase(),
        _ => return None,
    };
    let order = clauses(&kind);
    let ends_operand = |t: &Tok| match t {
        Tok::Word(w) => !keyword(w),
        Tok::Quoted(_) | Tok::Str(_) | Tok::Num(_) => true,
        Tok::Punct(p) => matches!(*p, ")" | "]" | "}" | ">>" | "?"),
    };
    let starts_operand = |t: &Tok| match t {
        Tok::Word(w) => !keyword(w),
        Tok::Quoted(_) | Tok::Str(_) | Tok::Num(_) => true,
        Tok::Punct(p) => matches!(*p, "{" | "<<" | "?"),
    };
    let (mut depth, mut place) = (0usize, 0usize);
    for i in 0..=toks.len() {
        let t = toks.get(i);
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let before = i.checked_sub(2).map(|p| &toks[p]);
        // A statement that starts with an expression reads `FROM` where an operand is due as
        // a FROM-first write, which must go on to SET, REMOVE, INSERT or DELETE (`SLECT *
        // FROM "t" WHERE ...`: nubo-db/dynamodb-conformance
        // `tests/tier2/partiql/batchExecuteStatement.test.ts`, eu-west-2).
        let operand_due =
            |p: &Tok| infix(p) || matches!(p, Tok::Punct("*" | "+" | "-" | "/" | "%"));
        if is_word(t, "from") && depth == 0 && !keyword(&kind) && prev.is_some_and(operand_due) {
            let writes = toks[i + 1..].iter().any(|t| {
                ["set", "remove", "insert", "delete"]
                    .iter()
                    .any(|w| is_word(Some(t), w))
            });
            return (!writes).then_some(EXPECTED_DML);
        }
        // What must come next, after the previous token.
        if is_word(prev, "is") || is_word(prev, "not") && is_word(before, "is") {
            match t {
                Some(Tok::Word(w)) if TYPES.contains(&w.to_ascii_lowercase().as_str()) => {}
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") => {}
                _ => return Some("Expected type name"),
            }
        } else if is_word(prev, "from") && kind == "delete" {
            match t {
                Some(Tok::Word(w)) if !keyword(w) => {}
                Some(Tok::Quoted(_)) => {}
                _ => return Some("Expected identifier for simple path"),
            }
        } else {
            let after_infix = prev.is_some_and(infix);
            let term_due = after_infix
                || is_word(prev, "where")
                || is_word(prev, "from") && kind == "select"
                || is_word(prev, "not") && !before.is_some_and(ends_operand)
                || prev == Some(&Tok::Punct("("))
                    && !matches!(before, Some(Tok::Word(w)) if !keyword(w));
            if term_due {
                match t {
                    None if after_infix => {
                        return Some("Missing right-hand side expression of infix operator")
                    }
                    None => return Some("Unexpected term"),
                    Some(t) if infix(t) => return Some("Unexpected operator"),
                    Some(Tok::Word(w))
                        if matches!(w.to_ascii_lowercase().as_str(), "is" | "in" | "between") =>
                    {
                        return Some("Unexpected operator")
                    }
                    Some(Tok::Word(w))
                        if keyword(w)
                            && !TERM_KEYWORDS.contains(&w.to_ascii_lowercase().as_str()) =>
                    {
                        return Some("Unexpected keyword")
                    }
                    _ => {}
                }
            }
        }
        let Some(t) = t else {
            break;
        };
        match t {
            Tok::Punct("(" | "[" | "{" | "<<") => depth += 1,
            Tok::Punct(")" | "]" | "}" | ">>") => {
                if depth == 0 {
                    return Some(LEFTOVER);
                }
                depth -= 1;
            }
            Tok::Word(w) if prev == Some(&Tok::Punct(".")) && keyword(w) => {
                return Some(PATH_DOT);
            }
            Tok::Word(w)
                if depth == 0 && CLAUSE_WORDS.contains(&w.to_ascii_lowercase().as_str()) =>
            {
                let w = w.to_ascii_lowercase();
                if toks.get(i + 1) == Some(&Tok::Punct("=")) {
                    continue;
                }
                match order.iter().position(|c| c.contains(&w.as_str())) {
                    Some(p) if p >= place => place = p,
                    _ => return Some(LEFTOVER),
                }
            }
            _ => {}
        }
        if prev.is_some_and(ends_operand) && starts_operand(t) {
            return Some(LEFTOVER);
        }
    }
    None
}

/// A bare `path IS [NOT] <type>` statement, which AWS parses and then refuses as the
/// operation it is: `Unsupported operation: IsType` (DynamoDB Local refuses some type names as
/// malformed and names the others `Typed`).
pub fn is_type_statement(statement: &str) -> bool {
    let Ok(toks) = lex(statement) else {
        return false;
    };
    let mut i = 0;
    while let Some(Tok::Word(w)) = toks.get(i) {
        if keyword(w) {
            return false;
        }
        if toks.get(i + 1) != Some(&Tok::Punct(".")) {
            break;
        }
        i += 2;
    }
    if i >= toks.len() || !matches!(toks.get(i), Some(Tok::Word(_))) {
        return false;
    }
    i += 1;
    if !is_word(toks.get(i), "is") {
        return false;
    }
    i += 1;
    if is_word(toks.get(i), "not") {
        i += 1;
    }
    let words: Vec<String> = toks[i.min(toks.len())..]
        .iter()
        .map(|t| match t {
            Tok::Word(w) => w.to_ascii_lowercase(),
            _ => String::new(),
        })
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["double", "precision"] | ["character", "varying"] => true,
        [w] => !matches!(*w, "null" | "missing" | "double") && TYPES.contains(w),
        _ => false,
    }
}

/// Where a container literal is, for the path of a value inside it.
enum Frame {
    Map(String),
    List(usize),
    /// Parentheses: not part of a path.
    Paren,
    Bag,
}

/// AWS's text for a number literal out of DynamoDB's range (`Number overflow...`, `Number
/// underflow...`, more than 38 significant digits), which names the literal's path inside the
/// attribute value it belongs to: `root`, `root.x`, `root[1]` (an INSERT's item is not part of
/// the path). None when no literal of the statement breaks that rule (a parameter did) or the
/// literal sits in a bag.
pub fn literal_number_message(statement: &str, message: &str) -> Option<String> {
    let (text, broken): (&str, fn(&Decimal) -> bool) = if message.starts_with("Number overflow") {
        (message, |d| d.magnitude().is_some_and(|m| m > 125))
    } else if message.starts_with("Number underflow") {
        (message, |d| d.magnitude().is_some_and(|m| m < -130))
    } else {
        (
            "Attempting to store more than 38 significant digits in a Number",
            |d| d.significant().trim_end_matches('0').len() > 38,
        )
    };
    let toks = lex(statement).ok()?;
    let insert = matches!(toks.first(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("insert"));
    let mut stack: Vec<Frame> = vec![];
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct("{") => stack.push(Frame::Map(String::new())),
            Tok::Punct("[") => stack.push(Frame::List(0)),
            Tok::Punct("(") => stack.push(Frame::Paren),
            Tok::Punct("<<") => stack.push(Frame::Bag),
            Tok::Punct("}" | "]" | ")" | ">>") => {
                stack.pop();
            }
            Tok::Punct(",") => {
                if let Some(Frame::List(n)) = stack.last_mut() {
                    *n += 1;
                }
            }
            Tok::Str(k) | Tok::Quoted(k) if toks.get(i + 1) == Some(&Tok::Punct(":")) => {
                if let Some(Frame::Map(key)) = stack.last_mut() {
                    *key = k.clone();
                }
            }
            Tok::Num(n) if Decimal::read(n).is_some_and(|d| broken(&d)) => {
                let frames = if insert && matches!(stack.first(), Some(Frame::Map(_))) {
                    &stack[1..]
                } else {
                    &stack[..]
                };
                let mut path = String::from("root");
                for f in frames {
                    match f {
                        Frame::Map(k) => {
                            path.push('.');
                            path.push_str(k);
                        }
                        Frame::List(n) => path.push_str(&format!("[{n}]")),
                        Frame::Paren => {}
                        Frame::Bag => return None,
                    }
                }
                return Some(format!("{text} under {path}"));
            }
            _ => {}
        }
    }
    None
}

/// AWS's text for a bag literal with a repeated member, which lists the bag's members:
/// `One or more parameter values were invalid: Input collection [x, x] contains duplicates.`
/// None when no bag literal of the statement repeats a member.
pub fn duplicate_bag_message(statement: &str) -> Option<String> {
    let toks = lex(statement).ok()?;
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == Tok::Punct("<<") {
            let mut members = vec![];
            let mut j = i + 1;
            while let Some(t) = toks.get(j) {
                match t {
                    Tok::Str(s) | Tok::Num(s) => members.push(s.clone()),
                    Tok::Punct(",") => {}
                    Tok::Punct(">>") => break,
                    _ => {
                        members.clear();
                        break;
                    }
                }
                j += 1;
            }
            let repeated = members
                .iter()
                .enumerate()
                .any(|(k, m)| members[..k].contains(m));
            if repeated {
                return Some(format!(
                    "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                    members.join(", ")
                ));
            }
            i = j;
        }
        i += 1;
    }
    None
}

/// The table a SELECT reads, when it names no index (`FROM "t"` or `FROM t`).
pub fn select_table(statement: &str) -> Option<String> {
    let toks = lex(statement).ok()?;
    if !is_word(toks.first(), "select") {
        return None;
    }
    let from = toks.iter().position(|t| is_word(Some(t), "from"))?;
    let name = match toks.get(from + 1)? {
        Tok::Quoted(n) => n.clone(),
        Tok::Word(w) if !keyword(w) => w.clone(),
        _ => return None,
    };
    (toks.get(from + 2) != Some(&Tok::Punct("."))).then_some(name)
}

/// AWS's refusal of a PartiQL read of a global secondary index whose key has more than one
/// HASH or more than one RANGE attribute; DynamoDB Local says `composite` where AWS says
/// `multi-attribute` (paritysuite/dynamodb-conformance
/// `tests/tier3/error-messages/partiqlMultiAttributeIndex.test.ts`, 2026-10).
pub const MULTI_KEY_INDEX: &str = "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.";

/// The table and index a SELECT reads, when it names an index (`FROM "t"."i"`).
pub fn select_index(statement: &str) -> Option<(String, String)> {
    let toks = lex(statement).ok()?;
    if !is_word(toks.first(), "select") {
        return None;
    }
    let from = toks.iter().position(|t| is_word(Some(t), "from"))?;
    let name = |t: Option<&Tok>| match t? {
        Tok::Quoted(n) => Some(n.clone()),
        Tok::Word(w) if !keyword(w) => Some(w.clone()),
        _ => None,
    };
    if toks.get(from + 2) != Some(&Tok::Punct(".")) {
        return None;
    }
    Some((name(toks.get(from + 1))?, name(toks.get(from + 3))?))
}

/// Whether DynamoDB Local's `message` refusing a SELECT of an index is one AWS reports only
/// after its multi-attribute key refusal (`MULTI_KEY_INDEX`, same source): a key value of the
/// wrong type, and COUNT(*) (`Unexpected path component`). A missing WHERE and a WHERE on
/// other attributes DynamoDB Local already refuses with the multi-attribute text; syntax and
/// number errors come first on both.
pub fn after_multi_key_refusal(statement: &str, message: &str) -> bool {
    let count = lex(statement)
        .is_ok_and(|t| is_word(t.get(1), "count") && t.get(2) == Some(&Tok::Punct("(")));
    message.starts_with("Key attribute's data type should match its data type in table's schema")
        || (count && message.starts_with("Unexpected path component"))
}

pub const OVERLAP: &str =
    "Overlapping conditions with range keys are not supported in where clause";

/// A key value a condition compares with: a literal or a parameter.
#[derive(Clone, PartialEq, PartialOrd)]
enum Key {
    S(String),
    N(f64),
}

impl Key {
    fn of(t: &Tok, params: &[Value], next_param: &mut usize) -> Option<Key> {
        match t {
            Tok::Str(s) => Some(Key::S(s.clone())),
            Tok::Num(n) => n.parse().ok().map(Key::N),
            Tok::Punct("?") => {
                let p = params.get(*next_param)?;
                *next_param += 1;
                match (p.get("S"), p.get("N")) {
                    (Some(Value::String(s)), _) => Some(Key::S(s.clone())),
                    (_, Some(Value::String(n))) => n.parse().ok().map(Key::N),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn comparable(&self, other: &Key) -> bool {
        matches!(
            (self, other),
            (Key::S(_), Key::S(_)) | (Key::N(_), Key::N(_))
        )
    }
}

/// A sort-key range: each end a value and whether it is included, None for no bound.
#[derive(Clone, Default)]
struct Range {
    lo: Option<(Key, bool)>,
    hi: Option<(Key, bool)>,
}

impl Range {
    /// Whether `below`'s upper end reaches `above`'s lower end (None: not comparable).
    fn reaches(below: &Option<(Key, bool)>, above: &Option<(Key, bool)>) -> Option<bool> {
        match (below, above) {
            (None, _) | (_, None) => Some(true),
            (Some((h, hi_in)), Some((l, lo_in))) => {
                if !h.comparable(l) {
                    return None;
                }
                Some(l < h || l == h && *hi_in && *lo_in)
            }
        }
    }

    fn overlaps(&self, other: &Range) -> bool {
        Range::reaches(&self.hi, &other.lo).unwrap_or(false)
            && Range::reaches(&other.hi, &self.lo).unwrap_or(false)
    }
}

/// Whether a SELECT's OR branches read overlapping sort-key ranges of one partition, which
/// AWS refuses (`OVERLAP`). Only a statement every branch of which is a key read is checked:
/// each branch pins the partition key with `=` and puts at most one plain range condition on
/// the sort key (`=`, `<`, `<=`, `>`, `>=`, BETWEEN, begins_with); a branch without one reads
/// the whole partition. A negated or `<>` sort-key condition makes the statement no key read,
/// and it runs (paritysuite/dynamodb-conformance `tests/tier2/partiql/whereOverlap.test.ts`
/// and `tests/tier3/error-messages/partiqlGrammar.test.ts`, recorded against AWS, 2026-10).
/// False whenever the statement is outside these shapes.
pub fn overlapping_branches(statement: &str, params: &[Value], hash: &str, range: &str) -> bool {
    let Ok(toks) = lex(statement) else {
        return false;
    };
    let Some(mut i) = toks.iter().position(|t| is_word(Some(t), "where")) else {
        return false;
    };
    // `?` before WHERE (none in a SELECT's projection or table) would shift the parameters.
    let mut next_param = toks[..i].iter().filter(|t| **t == Tok::Punct("?")).count();
    i += 1;
    let mut branches: Vec<(Option<Key>, Range)> = vec![];
    let (mut part, mut sort, mut sorts) = (None::<Key>, Range::default(), 0);
    let is_path = |t: Option<&Tok>, name: &str| match t {
        Some(Tok::Word(w)) => w == name && !keyword(w),
        Some(Tok::Quoted(q)) => q == name,
        _ => false,
    };
    let mut ors = 0;
    loop {
        let t = toks.get(i);
        if t.is_none() || is_word(t, "order") || is_word(t, "or") {
            branches.push((part.take(), std::mem::take(&mut sort)));
            sorts = 0;
            if !is_word(t, "or") {
                break;
            }
            ors += 1;
            i += 1;
            continue;
        }
        if is_word(t, "and") {
            i += 1;
            continue;
        }
        // One condition: `path op value`, BETWEEN, begins_with, or anything else (a filter,
        // unless it names the sort key).
        let op = toks.get(i + 1);
        if is_path(t, hash) && op == Some(&Tok::Punct("=")) {
            let Some(v) = toks
                .get(i + 2)
                .and_then(|v| Key::of(v, params, &mut next_param))
            else {
                return false;
            };
            part = Some(v);
            i += 3;
        } else if is_path(t, range) && is_word(op, "between") && is_word(toks.get(i + 3), "and") {
            let (Some(a), Some(b)) = (
                toks.get(i + 2)
                    .and_then(|v| Key::of(v, params, &mut next_param)),
                toks.get(i + 4)
                    .and_then(|v| Key::of(v, params, &mut next_param)),
            ) else {
                return false;
            };
            sort = Range {
                lo: Some((a, true)),
                hi: Some((b, true)),
            };
            sorts += 1;
            i += 5;
        } else if is_path(t, range) && matches!(op, Some(Tok::Punct("=" | "<" | "<=" | ">" | ">=")))
        {
            let Some(v) = toks
                .get(i + 2)
                .and_then(|v| Key::of(v, params, &mut next_param))
            else {
                return false;
            };
            sort = match op {
                Some(Tok::Punct("=")) => Range {
                    lo: Some((v.clone(), true)),
                    hi: Some((v, true)),
                },
                Some(Tok::Punct("<")) => Range {
                    lo: None,
                    hi: Some((v, false)),
                },
                Some(Tok::Punct("<=")) => Range {
                    lo: None,
                    hi: Some((v, true)),
                },
                Some(Tok::Punct(">")) => Range {
                    lo: Some((v, false)),
                    hi: None,
                },
                _ => Range {
                    lo: Some((v, true)),
                    hi: None,
                },
            };
            sorts += 1;
            i += 3;
        } else if is_word(t, "begins_with")
            && op == Some(&Tok::Punct("("))
            && is_path(toks.get(i + 2), range)
            && toks.get(i + 3) == Some(&Tok::Punct(","))
            && toks.get(i + 5) == Some(&Tok::Punct(")"))
        {
            let Some(Key::S(p)) = toks
                .get(i + 4)
                .and_then(|v| Key::of(v, params, &mut next_param))
            else {
                return false;
            };
            let hi = format!("{p}\u{10FFFF}");
            sort = Range {
                lo: Some((Key::S(p), true)),
                hi: Some((Key::S(hi), true)),
            };
            sorts += 1;
            i += 6;
        } else {
            // A filter: up to the next AND, OR or ORDER at this level. Anything that names
            // the sort key or the partition key otherwise, or nests, is outside these shapes.
            let mut depth = 0usize;
            while let Some(t) = toks.get(i) {
                match t {
                    Tok::Punct("(" | "[" | "{" | "<<") => depth += 1,
                    Tok::Punct(")" | "]" | "}" | ">>") => depth = depth.saturating_sub(1),
                    _ if depth == 0
                        && (is_word(Some(t), "and")
                            || is_word(Some(t), "or")
                            || is_word(Some(t), "order")) =>
                    {
                        break
                    }
                    Tok::Word(w)
                        if w.eq_ignore_ascii_case("or") || w.eq_ignore_ascii_case("between") =>
                    {
                        return false
                    }
                    Tok::Punct("?") => next_param += 1,
                    _ if is_path(Some(t), range) || is_path(Some(t), hash) => return false,
                    _ => {}
                }
                i += 1;
            }
        }
        if sorts > 1 {
            return false;
        }
    }
    if ors == 0 || branches.iter().any(|(p, _)| p.is_none()) {
        return false;
    }
    branches.iter().enumerate().any(|(k, (pa, ra))| {
        branches[..k].iter().any(|(pb, rb)| {
            matches!((pa, pb), (Some(a), Some(b)) if a.comparable(b) && a == b) && ra.overlaps(rb)
        })
    })
}

/// The error type AWS answers a failed ExecuteStatement with: an INSERT of an item that
/// exists is `DuplicateItemException`, where DynamoDB Local says `DuplicateItem` (the code AWS
/// keeps for a BatchExecuteStatement slot; nubo-db/dynamodb-conformance
/// `tests/tier2/partiql/executeStatement.test.ts` and `batchExecuteStatement.test.ts`).
pub fn error_type(type_name: &str) -> &str {
    match type_name {
        "com.amazonaws.dynamodb.v20120810#DuplicateItem" => {
            "com.amazonaws.dynamodb.v20120810#DuplicateItemException"
        }
        t => t,
    }
}

/// The paths an `UPDATE ... RETURNING MODIFIED OLD|NEW *` writes (its SET targets and REMOVE
/// paths, in written order), for cutting its answer (`updated::modified`). None for any other
/// statement, or when a target is not a plain path (`a.b`, `"a"."b"`, `a[0]`, `a['b']`).
pub(super) fn modified_targets(statement: &str) -> Option<Vec<Vec<Elem>>> {
    let toks = lex(statement).ok()?;
    if !is_word(toks.first(), "update") && !is_word(toks.first(), "from") {
        return None;
    }
    let returning = toks.iter().position(|t| is_word(Some(t), "returning"))?;
    if !is_word(toks.get(returning + 1), "modified") {
        return None;
    }
    let name = |t: Option<&Tok>| match t {
        Some(Tok::Word(w)) if !keyword(w) => Some(w.clone()),
        Some(Tok::Quoted(q)) => Some(q.clone()),
        _ => None,
    };
    let mut out = vec![];
    let (mut depth, mut in_section, mut target_due) = (0usize, false, false);
    let mut i = 0;
    while i < returning {
        let t = &toks[i];
        if target_due {
            let mut path = vec![Elem::Key(name(Some(t))?)];
            i += 1;
            loop {
                match (toks.get(i), toks.get(i + 1), toks.get(i + 2)) {
                    (Some(Tok::Punct(".")), n, _) if name(n).is_some() => {
                        path.push(Elem::Key(name(n)?));
                        i += 2;
                    }
                    (Some(Tok::Punct("[")), Some(Tok::Num(n)), Some(Tok::Punct("]"))) => {
                        path.push(Elem::Index(n.parse().ok()?));
                        i += 3;
                    }
                    (Some(Tok::Punct("[")), Some(Tok::Str(k)), Some(Tok::Punct("]"))) => {
                        path.push(Elem::Key(k.clone()));
                        i += 3;
                    }
                    _ => break,
                }
            }
            // The path must end where its assignment or the next target starts.
            let next = toks.get(i);
            let ends = next.is_none_or(|t| {
                matches!(t, Tok::Punct("=" | ","))
                    || ["where", "set", "remove", "returning"]
                        .iter()
                        .any(|w| is_word(Some(t), w))
            });
            if !ends {
                return None;
            }
            out.push(path);
            target_due = false;
            continue;
        }
        match t {
            Tok::Punct("(" | "[" | "{" | "<<") => depth += 1,
            Tok::Punct(")" | "]" | "}" | ">>") => depth = depth.saturating_sub(1),
            Tok::Word(_)
                if depth == 0 && (is_word(Some(t), "set") || is_word(Some(t), "remove")) =>
            {
                in_section = true;
                target_due = true;
            }
            Tok::Word(_) if depth == 0 && is_word(Some(t), "where") => in_section = false,
            Tok::Punct(",") if depth == 0 && in_section => target_due = true,
            _ => {}
        }
        i += 1;
    }
    (!out.is_empty()).then_some(out)
}

/// BatchExecuteStatement: the statements whose parameters AWS refuses, each answered in its
/// own slot (index, message).
pub fn batch_parameter_errors(input: &Value) -> Vec<(usize, String)> {
    input["Statements"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, s)| {
            s.get("Parameters")
                .and_then(parameters_error)
                .map(|m| (i, m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn number_parameters_read_as_aws_reads_them() {
        let p = |n: &str| parameter_number(n);
        for n in [
            "1e99999999999",
            "-1e99999999999",
            "1e-99999999999",
            "1e2147483648",
            "1e-2147483648",
            "abc",
            "1.5e-2147483647",
        ] {
            assert_eq!(p(n), Some(format!("{UNCONVERTIBLE}: {n}")), "{n}");
        }
        assert_eq!(p("").as_deref(), Some(UNCONVERTIBLE));
        assert_eq!(p("1e2147483647").as_deref(), Some(UNDERFLOW));
        for fine in [
            "1",
            "-1.5",
            "1e126",
            "1e-131",
            ".5",
            "5.",
            "+3",
            "1e2147483646",
        ] {
            assert_eq!(p(fine), None, "{fine}");
        }
    }

    #[test]
    fn parameters_report_the_first_problem_in_document_order() {
        let deep = |d: usize, leaf: Value| (0..d).fold(leaf, |v, _| json!({"M": {"n": v}}));
        let abc = json!({"N": "abc"});
        let unconv = format!("{UNCONVERTIBLE}: abc");
        let e = |v: Value| parameters_error(&v);
        assert_eq!(
            e(json!([deep(40, json!({"S": "l"})), abc])).as_deref(),
            Some(NESTING)
        );
        assert_eq!(
            e(json!([abc, deep(40, json!({"S": "l"}))])),
            Some(unconv.clone())
        );
        assert_eq!(
            e(json!([{"M": {"d": deep(40, json!({"S": "l"})), "bad": abc}}])).as_deref(),
            Some(NESTING)
        );
        assert_eq!(
            e(json!([{"M": {"bad": abc, "d": deep(40, json!({"S": "l"}))}}])),
            Some(unconv)
        );
        assert_eq!(e(json!([deep(40, abc.clone())])).as_deref(), Some(NESTING));
        assert_eq!(
            e(json!([{"NS": ["1", "1e99999999999"]}])),
            Some(format!("{UNCONVERTIBLE}: 1e99999999999"))
        );
        assert_eq!(e(json!([deep(31, json!({"S": "l"})), {"N": "1"}])), None);
    }

    #[test]
    fn malformed_statement_details() {
        let d = |s: &str| malformed_detail(s);
        for s in [
            r#"SELECT * FROM "N" WHERE pk = 1 foo"#,
            r#"SELECT * FROM "N" WHERE pk = 1 e5"#,
            r#"INSERT INTO "N" VALUE {'pk': 970001} foo"#,
            r#"UPDATE "N" SET a = 9 WHERE pk = 970002 foo"#,
            r#"DELETE FROM "N" WHERE pk = 970003 foo"#,
            r#"SELECT * FROM "N" WHERE pk = 1)"#,
            r#"DELETE FROM "N" WHERE pk = 970004 ORDER BY pk"#,
            r#"SELECT * FROM "N" ORDER BY pk WHERE pk = 1"#,
            r#"INSERT INTO "S" t VALUE {'pk': 'x'}"#,
        ] {
            assert_eq!(d(s), Some(LEFTOVER), "{s}");
        }
        for s in [
            r#"SELECT * FROM "N" WHERE pk = 1e2147483648"#,
            r#"SELECT * FROM "N" WHERE pk = 1e99999999999"#,
            r#"SELECT * FROM "N" WHERE pk = 1.5e-2147483647"#,
            r#"SELECT * FROM "N" WHERE pk = 1 # note"#,
            r#"SELECT * FROM "N" WHERE pk = 1 /* note"#,
        ] {
            assert_eq!(d(s), Some(""), "{s}");
        }
        assert_eq!(
            d(r#"SELECT * FROM "T" WHERE pk = 'k' AND attribute_exists(m.inner)"#),
            Some(PATH_DOT)
        );
        assert_eq!(
            d(r#"UPDATE "T" SET m.inner = set_add(m.inner, <<'y'>>) WHERE pk = 'k'"#),
            Some(PATH_DOT)
        );
        for (s, detail) in [
            (r#"SELECT * FROM "S" WHERE"#, "Unexpected term"),
            (r#"SELECT * FROM "S" WHERE;"#, "Unexpected term"),
            (r#"UPDATE "S" SET a = 1 WHERE   "#, "Unexpected term"),
            (r#"SELECT * FROM "S" WHERE NOT"#, "Unexpected term"),
            (r#"SELECT * FROM "S" WHERE ("#, "Unexpected term"),
            ("SELECT * FROM", "Unexpected term"),
            (
                r#"SELECT * FROM "S" WHERE pk = 'p1' AND"#,
                "Missing right-hand side expression of infix operator",
            ),
            (
                r#"SELECT * FROM "S" WHERE pk = 'p1' OR"#,
                "Missing right-hand side expression of infix operator",
            ),
            (
                r#"SELECT * FROM "S" WHERE ORDER BY pk"#,
                "Unexpected keyword",
            ),
            (
                r#"SELECT * FROM "S" WHERE pk = 'a' AND x IS FOO"#,
                "Expected type name",
            ),
            (r#"SELECT * FROM "S" WHERE IS NULL"#, "Unexpected operator"),
            (
                r#"SELECT * FROM "S" WHERE pk = LIKE"#,
                "Unexpected operator",
            ),
            ("DELETE FROM", "Expected identifier for simple path"),
            (
                r#"SLECT * FROM "S" WHERE pk = 'a'"#,
                "Expected data manipulation",
            ),
            ("DELETE FROM;", "Expected identifier for simple path"),
            (
                "DELETE FROM WHERE pk = 'a'",
                "Expected identifier for simple path",
            ),
            (r#"FROM "S" SET c = 1 WHERE pk = 'p'"#, LEFTOVER),
            (r#"FROM "S" SET c = 1 WHERE pk = 'p' SET d = 2"#, LEFTOVER),
        ] {
            assert_eq!(d(s), Some(detail), "{s}");
        }
        assert!(is_type_statement("x IS INT4"));
        assert!(is_type_statement("x IS DOUBLE PRECISION"));
        assert!(is_type_statement("x IS CHARACTER VARYING"));
        assert!(!is_type_statement("x IS FOO"));
        assert!(!is_type_statement(r#"SELECT * FROM "S" WHERE x IS INT4"#));
        // Well-formed shapes show nothing to report.
        for s in [
            r#"SELECT a, b.c FROM "T"."i" WHERE pk = 'x' AND sk BETWEEN 1 AND 2 ORDER BY sk DESC"#,
            r#"UPDATE "T" SET x = ? SET y = 3 REMOVE z WHERE pk = 'k' RETURNING ALL OLD *"#,
            r#"INSERT INTO "T" VALUE {'pk': 'a', 'l': [1, 2], 's': <<'a'>>}"#,
            r#"SELECT * FROM "T" WHERE pk = 'it''s' -- note"#,
            r#"SELECT * FROM "T" WHERE pk = 'a' AND NOT (sk = '1') OR x IS NOT NULL AND attribute_exists(y)"#,
            r#"EXISTS(SELECT * FROM "T" WHERE pk = 'a' AND NOT sk IN ['1', '3'] AND size(x) > -.5)"#,
            r#"FROM "T" WHERE pk = 'x' SET c = 1"#,
        ] {
            assert_eq!(d(s), None, "{s}");
        }
    }

    #[test]
    fn number_literals_name_their_path() {
        let over = "Number overflow. Attempting to store a number with magnitude larger than supported range";
        let m = |s: &str, msg: &str| literal_number_message(s, msg);
        assert_eq!(
            m(r#"SELECT * FROM "N" WHERE pk = 1e126"#, over),
            Some(format!("{over} under root"))
        );
        assert_eq!(
            m(r#"UPDATE "N" SET a = 1e-131 WHERE pk = 970005"#, UNDERFLOW),
            Some(format!("{UNDERFLOW} under root"))
        );
        assert_eq!(
            m(
                r#"SELECT * FROM "N" WHERE pk = 123456789012345678901234567890123456789"#,
                "DynamoDB only supports precision up to 38 digits"
            ),
            Some(
                "Attempting to store more than 38 significant digits in a Number under root".into()
            )
        );
        assert_eq!(
            m(r#"INSERT INTO "N" VALUE {'pk': 1e126}"#, over),
            Some(format!("{over} under root"))
        );
        assert_eq!(
            m(
                r#"INSERT INTO "N" VALUE {'pk': 970006, 'm': {'x': 1e126}}"#,
                over
            ),
            Some(format!("{over} under root.x"))
        );
        assert_eq!(
            m(
                r#"INSERT INTO "N" VALUE {'pk': 970007, 'l': [1, 1e126]}"#,
                over
            ),
            Some(format!("{over} under root[1]"))
        );
        // From a parameter: no literal to name.
        assert_eq!(m(r#"SELECT * FROM "N" WHERE pk = ?"#, over), None);
    }

    #[test]
    fn overlapping_or_branches() {
        let o = |w: &str| {
            overlapping_branches(&format!(r#"SELECT * FROM "C" WHERE {w}"#), &[], "pk", "sk")
        };
        // Refused by AWS: a whole-partition branch beside a sort-key branch.
        assert!(o("pk = 'a' AND x = '1' OR pk = 'a' AND sk = '2'"));
        assert!(o("pk = 'a' AND x <> '1' OR pk = 'a' AND sk = '2'"));
        // Run by AWS: a negated or <> sort-key condition in a branch.
        for w in [
            "pk = 'p' AND NOT sk = '1' OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND sk <> '1' OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND NOT begins_with(sk, 'x') OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND NOT sk IN ['1', '3'] OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND NOT sk > '5' OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND NOT (sk = '1') OR pk = 'p' AND sk = '2'",
            "pk = 'p' OR pk = 'p' AND NOT sk = '1'",
            // Disjoint, or other partitions.
            "pk = 'p' AND sk = '1' OR pk = 'p' AND sk = '2'",
            "pk = 'p' AND sk < '2' OR pk = 'p' AND sk >= '2'",
            "pk = 'p' OR pk = 'q'",
            "pk = 'p' AND sk = '1'",
        ] {
            assert!(!o(w), "{w}");
        }
        assert!(o(
            "pk = 'p' AND sk BETWEEN '1' AND '5' OR pk = 'p' AND begins_with(sk, '3')"
        ));
        let params = [json!({"S": "p"}), json!({"S": "p"}), json!({"S": "2"})];
        assert!(overlapping_branches(
            r#"SELECT * FROM "C" WHERE pk = ? OR pk = ? AND sk = ?"#,
            &params,
            "pk",
            "sk"
        ));
        assert_eq!(
            select_table(r#"SELECT * FROM "C" WHERE pk = 'a'"#).as_deref(),
            Some("C")
        );
        assert_eq!(
            select_table(r#"SELECT * FROM "C"."gsi" WHERE pk = 'a'"#),
            None
        );
    }

    #[test]
    fn index_reads_and_what_follows_the_multi_key_refusal() {
        let pair = |t: &str, i: &str| Some((t.to_string(), i.to_string()));
        assert_eq!(
            select_index(r#"SELECT * FROM "T"."gsi" WHERE h1 = 'a'"#),
            pair("T", "gsi")
        );
        assert_eq!(select_index("select id from T.ix"), pair("T", "ix"));
        assert_eq!(select_index(r#"SELECT * FROM "T" WHERE id = 'a'"#), None);
        assert_eq!(
            select_index(r#"DELETE FROM "T"."gsi" WHERE id = 'a'"#),
            None
        );
        let g = r#"SELECT * FROM "T"."gsi" WHERE h1 = 5"#;
        let mismatch =
            "Key attribute's data type should match its data type in table's schema: Key h1";
        assert!(after_multi_key_refusal(g, mismatch));
        let count = r#"SELECT COUNT(*) FROM "T"."gsi""#;
        assert!(after_multi_key_refusal(
            count,
            "Unexpected path component at 1:8:5"
        ));
        assert!(!after_multi_key_refusal(
            g,
            "Unexpected path component at 1:8:5"
        ));
        assert!(!after_multi_key_refusal(
            g,
            "Statement wasn't well formed, can't be processed: Unexpected term"
        ));
    }

    #[test]
    fn duplicate_bag_members_are_listed() {
        assert_eq!(
            duplicate_bag_message(r#"UPDATE "T" SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'k'"#).as_deref(),
            Some("One or more parameter values were invalid: Input collection [x, x] contains duplicates.")
        );
        assert_eq!(
            duplicate_bag_message(
                r#"UPDATE "T" SET ss = set_add(ss, <<'x', 'y'>>) WHERE pk = 'k'"#
            ),
            None
        );
    }

    #[test]
    fn modified_targets_read_set_and_remove_paths() {
        let k = |s: &str| Elem::Key(s.into());
        assert_eq!(
            modified_targets(
                r#"UPDATE "T" SET tags[2] = 'y', "p"."q" = set_add(s, <<'a', 'b'>>) SET m['k'].n = 1 REMOVE r[1] WHERE pk = 'x' RETURNING MODIFIED NEW *"#
            ),
            Some(vec![
                vec![k("tags"), Elem::Index(2)],
                vec![k("p"), k("q")],
                vec![k("m"), k("k"), k("n")],
                vec![k("r"), Elem::Index(1)],
            ])
        );
        assert_eq!(
            modified_targets(r#"UPDATE "T" SET a = 1 WHERE pk = 'x' RETURNING ALL NEW *"#),
            None
        );
        assert_eq!(
            modified_targets(r#"UPDATE "T" SET a[?] = 1 WHERE pk = 'x' RETURNING MODIFIED OLD *"#),
            None
        );
    }
}

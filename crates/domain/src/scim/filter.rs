//! SCIM filter expressions (RFC 7644 §3.4.2.2) parsed into an AST.
//!
//! The grammar, with the precedence `not` > `and` > `or`:
//!
//! ```text
//! filter    = or
//! or        = and *("or" and)
//! and       = unary *("and" unary)
//! unary     = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
//! attrExp   = attrPath "pr" / attrPath compareOp compValue
//! valuePath = attrPath "[" filter "]" ["." subAttr (compareOp compValue / "pr")]
//! attrPath  = [URI ":"] ATTRNAME ["." subAttr]
//! compValue = false / null / true / number / string     ; JSON literals
//! ```
//!
//! Keywords, operators and attribute names are case-insensitive; the AST
//! keeps attribute names as written (the mapping compares them without
//! case). A value path followed by a sub-attribute, `emails[type eq
//! "work"].value co "@acme"` (the shape of a PATCH path, which some clients
//! send as a filter), reads as `emails[type eq "work" and value co "@acme"]`:
//! the same element must satisfy both.
//!
//! Dates are string literals: the mapping reads them as ISO 8601 where the
//! attribute is a date. Every error carries the (0-based, in characters)
//! position it was found at and maps to SCIM's `invalidFilter`.

use std::fmt;

/// The longest filter accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 4096;

/// The deepest nesting accepted: parentheses, `not (…)` and value paths.
pub const MAX_DEPTH: usize = 32;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The comparison.
        op: CompareOp,
        /// The literal compared with.
        value: Value,
    },
    /// `path pr`: the attribute has a (non-empty) value.
    Present(AttrPath),
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// `not (…)`.
    Not(Box<Filter>),
    /// `path[filter]`: some value of a multi-valued complex attribute
    /// satisfies the filter, whose attribute paths are relative to it.
    ValuePath {
        /// The multi-valued attribute (`emails`).
        path: AttrPath,
        /// The filter on one of its values.
        filter: Box<Filter>,
    },
}

/// An attribute path: `[urn:…:]name[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN, as written, when the path is qualified.
    pub uri: Option<String>,
    /// The attribute's name, as written.
    pub name: String,
    /// The sub-attribute's name, as written.
    pub sub: Option<String>,
}

impl AttrPath {
    /// An unqualified path without a sub-attribute.
    pub fn simple(name: &str) -> Self {
        Self { uri: None, name: name.to_string(), sub: None }
    }

    /// A path with a sub-attribute.
    pub fn sub(name: &str, sub: &str) -> Self {
        Self { uri: None, name: name.to_string(), sub: Some(sub.to_string()) }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    /// Every operator.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The operator as written in a filter.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

/// A literal compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A JSON string (dates are strings too).
    String(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A JSON string literal: the escapes the parser reads back.
            Value::String(s) => f.write_str(&serde_json::Value::String(s.clone()).to_string()),
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

/// A filter refused, with where and why. SCIM answers it as `400` with
/// `scimType: invalidFilter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// What is wrong, in words, with the position when there is one.
    pub message: String,
    /// Where (0-based, in characters), when the error is about one place.
    pub position: Option<usize>,
}

impl FilterError {
    /// SCIM's error type for a refused filter.
    pub const SCIM_TYPE: &'static str = "invalidFilter";

    /// An error at a position of the filter.
    pub fn at(position: usize, message: impl fmt::Display) -> Self {
        Self { message: format!("{message} at {position}"), position: Some(position) }
    }

    /// An error about the filter as a whole, or about an attribute.
    pub fn whole(message: impl Into<String>) -> Self {
        Self { message: message.into(), position: None }
    }

    /// SCIM's `scimType` of this error: `invalidFilter`.
    pub fn scim_type(&self) -> &'static str {
        Self::SCIM_TYPE
    }
}

/// Parses a filter.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let chars = input.chars().count();
    if chars > MAX_FILTER_CHARS {
        return Err(FilterError::whole(format!(
            "the filter is {chars} characters long; at most {MAX_FILTER_CHARS} are accepted"
        )));
    }
    let mut p = Parser { src: input, pos: 0, depth: 0 };
    p.skip_ws();
    if p.at_end() {
        return Err(FilterError::at(0, "the filter is empty"));
    }
    let filter = p.or()?;
    p.skip_ws();
    if !p.at_end() {
        let what = p.describe_here();
        return Err(p.error(format!("expected 'and', 'or' or the end of the filter, found {what}")));
    }
    Ok(filter)
}

struct Parser<'a> {
    src: &'a str,
    /// A byte offset into `src`.
    pos: usize,
    depth: usize,
}

/// Characters that end a bare word (an attribute path, a keyword, a number).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character position of a byte offset.
    fn char_pos(&self, byte: usize) -> usize {
        self.src[..byte].chars().count()
    }

    fn error(&self, message: impl fmt::Display) -> FilterError {
        FilterError::at(self.char_pos(self.pos), message)
    }

    fn error_at(&self, byte: usize, message: impl fmt::Display) -> FilterError {
        FilterError::at(self.char_pos(byte), message)
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    /// The bare word at the position (without consuming it).
    fn word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(ends_word).unwrap_or(rest.len());
        &rest[..end]
    }

    /// What is at the position, for an error message.
    fn describe_here(&self) -> String {
        match self.peek() {
            None => "the end of the filter".into(),
            Some(c) if ends_word(c) => format!("'{c}'"),
            Some(_) => format!("'{}'", self.word()),
        }
    }

    /// Consumes a keyword (case-insensitive) when it is the next word.
    fn keyword(&mut self, kw: &str) -> bool {
        let w = self.word();
        if w.eq_ignore_ascii_case(kw) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("the filter nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("or") {
                let right = self.and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("and") {
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    /// `( filter )`, the opening parenthesis at the position.
    fn group(&mut self) -> Result<Filter, FilterError> {
        let open = self.pos;
        self.pos += 1;
        self.enter()?;
        self.skip_ws();
        let inner = self.or()?;
        self.skip_ws();
        if self.peek() != Some(')') {
            let what = self.describe_here();
            return Err(self.error(format!("expected ')' to close the '(' at {}, found {what}", self.char_pos(open))));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        self.skip_ws();
        match self.peek() {
            None => return Err(self.error("expected an expression, found the end of the filter")),
            Some('(') => return self.group(),
            Some(c) if ends_word(c) => return Err(self.error(format!("expected an attribute, found '{c}'"))),
            Some(_) => {}
        }
        let start = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.peek() == Some('(') {
                return Ok(Filter::Not(Box::new(self.group()?)));
            }
            // `not` without a parenthesis: an attribute of that name, or an error.
            if !self.word().is_empty()
                && CompareOp::parse(self.word()).is_none()
                && !self.word().eq_ignore_ascii_case("pr")
            {
                return Err(self.error("expected '(' after 'not'"));
            }
            self.pos = start;
        }
        self.attr_exp()
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        let start = self.pos;
        let word = self.word();
        if word.is_empty() {
            let what = self.describe_here();
            return Err(self.error(format!("expected an attribute, found {what}")));
        }
        self.pos += word.len();
        let (uri, local) = if word.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            match word.rsplit_once(':') {
                Some((uri, local)) => (Some(uri.to_string()), local),
                None => unreachable!("starts with urn:"),
            }
        } else {
            (None, word)
        };
        let (name, sub) = match local.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (local, None),
        };
        // ATTRNAME of RFC 7644's ABNF, and `$ref` (RFC 7643 §2.3.7).
        let valid = |s: &str| {
            if s == "$ref" {
                return true;
            }
            let mut cs = s.chars();
            cs.next().is_some_and(|c| c.is_ascii_alphabetic())
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !valid(name) || !sub.is_none_or(valid) {
            return Err(self.error_at(start, format!("'{word}' is not an attribute name")));
        }
        Ok(AttrPath { uri, name: name.to_string(), sub: sub.map(str::to_string) })
    }

    fn attr_exp(&mut self) -> Result<Filter, FilterError> {
        let path = self.attr_path()?;
        if self.peek() == Some('[') {
            if path.sub.is_some() {
                return Err(
                    self.error(format!("a value filter needs an attribute without a sub-attribute, not '{path}'"))
                );
            }
            let open = self.pos;
            self.pos += 1;
            self.enter()?;
            self.skip_ws();
            let inner = self.or()?;
            self.skip_ws();
            if self.peek() != Some(']') {
                let what = self.describe_here();
                return Err(
                    self.error(format!("expected ']' to close the '[' at {}, found {what}", self.char_pos(open)))
                );
            }
            self.pos += 1;
            self.depth -= 1;
            if self.peek() == Some('.') {
                // `emails[type eq "work"].value op v`.
                self.pos += 1;
                let sub_start = self.pos;
                let sub = self.attr_path()?;
                if sub.uri.is_some() || sub.sub.is_some() {
                    return Err(self.error_at(sub_start, format!("'{sub}' is not a sub-attribute name")));
                }
                let test = self.operation(sub)?;
                return Ok(Filter::ValuePath { path, filter: Box::new(Filter::And(Box::new(inner), Box::new(test))) });
            }
            return Ok(Filter::ValuePath { path, filter: Box::new(inner) });
        }
        self.operation(path)
    }

    /// `pr`, or an operator and a value, after an attribute path.
    fn operation(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        let after = self.pos;
        self.skip_ws();
        if self.pos == after && !self.at_end() {
            return Err(self.error(format!("expected a space after '{path}'")));
        }
        if self.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let word = self.word();
        let Some(op) = CompareOp::parse(word) else {
            let found = if self.at_end() { String::new() } else { format!(", found {}", self.describe_here()) };
            return Err(self.error(format!(
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{path}'{found}"
            )));
        };
        self.pos += word.len();
        let after_op = self.pos;
        self.skip_ws();
        if self.pos == after_op {
            let what = if self.at_end() { "a value" } else { "a space" };
            return Err(self.error(format!("expected {what} after '{path} {}'", op.as_str())));
        }
        let value = self.value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn value(&mut self) -> Result<Value, FilterError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            // The closing quote: the first one not escaped.
            let rest = self.rest();
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                return Err(self.error("the string starting here is not closed"));
            };
            let literal = &rest[..=end];
            let s: String = serde_json::from_str(literal)
                .map_err(|e| self.error_at(start, format!("the string starting here is not valid JSON ({e})")))?;
            self.pos += literal.len();
            return Ok(Value::String(s));
        }
        let word = self.word();
        let value = match word {
            w if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            w if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            w if w.eq_ignore_ascii_case("null") => Value::Null,
            "" => {
                let what = self.describe_here();
                return Err(self.error(format!("expected a value, found {what}")));
            }
            w => match w.parse::<serde_json::Number>() {
                // serde_json checks JSON's number grammar; Rust's own parser
                // reads a fraction exactly (serde_json's may be one unit off).
                Ok(n) if w.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => match n.is_f64() {
                    true => Value::Number(w.parse().ok().and_then(serde_json::Number::from_f64).unwrap_or(n)),
                    false => Value::Number(n),
                },
                _ => {
                    return Err(self.error(format!(
                        "expected a value (a string in double quotes, a number, true, false or null), found '{w}'"
                    )));
                }
            },
        };
        self.pos += word.len();
        Ok(value)
    }
}

/// Parses an attribute path alone (a `sortBy`, an `attributes` entry).
pub fn parse_path(input: &str) -> Result<AttrPath, FilterError> {
    let mut p = Parser { src: input, pos: 0, depth: 0 };
    let path = p.attr_path()?;
    if !p.at_end() {
        let what = p.describe_here();
        return Err(p.error(format!("expected the end of the attribute path, found {what}")));
    }
    Ok(path)
}

/// Binding strength, for printing with the fewest parentheses.
fn strength(f: &Filter) -> u8 {
    match f {
        Filter::Or(..) => 1,
        Filter::And(..) => 2,
        _ => 3,
    }
}

/// Writes `f`, in parentheses when it binds more loosely than `min`.
fn write_at(out: &mut fmt::Formatter<'_>, f: &Filter, min: u8) -> fmt::Result {
    if strength(f) < min { write!(out, "({f})") } else { write!(out, "{f}") }
}

impl fmt::Display for Filter {
    /// Prints the filter so that [`parse`] reads back the same AST: `and`
    /// and `or` associate to the left, so a right operand of the same
    /// strength is put in parentheses.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(out, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(out, "{path} pr"),
            Filter::And(l, r) => {
                write_at(out, l, 2)?;
                out.write_str(" and ")?;
                write_at(out, r, 3)
            }
            Filter::Or(l, r) => {
                write_at(out, l, 1)?;
                out.write_str(" or ")?;
                write_at(out, r, 2)
            }
            Filter::Not(inner) => write!(out, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(out, "{path}[{filter}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmp(path: AttrPath, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path, op, value }
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn and(l: Filter, r: Filter) -> Filter {
        Filter::And(Box::new(l), Box::new(r))
    }

    fn or(l: Filter, r: Filter) -> Filter {
        Filter::Or(Box::new(l), Box::new(r))
    }

    fn ok(input: &str) -> Filter {
        parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    fn err(input: &str) -> String {
        parse(input).expect_err(input).message
    }

    /// Every example of RFC 7644 §3.4.2.2 parses, and reads back the same
    /// once printed.
    #[test]
    fn the_rfc_examples_parse() {
        let examples = [
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"title pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ];
        for e in examples {
            let f = ok(e);
            assert_eq!(ok(&f.to_string()), f, "{e} printed as {f}");
        }
    }

    #[test]
    fn paths_operators_and_literals() {
        assert_eq!(ok(r#"userName eq "bjensen""#), cmp(AttrPath::simple("userName"), CompareOp::Eq, s("bjensen")));
        assert_eq!(
            ok(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName EQ "Ann""#),
            cmp(
                AttrPath {
                    uri: Some("urn:ietf:params:scim:schemas:core:2.0:User".into()),
                    name: "name".into(),
                    sub: Some("givenName".into())
                },
                CompareOp::Eq,
                s("Ann")
            )
        );
        assert_eq!(ok("active eq true"), cmp(AttrPath::simple("active"), CompareOp::Eq, Value::Bool(true)));
        assert_eq!(ok("active Eq FALSE"), cmp(AttrPath::simple("active"), CompareOp::Eq, Value::Bool(false)));
        assert_eq!(ok("x eq null"), cmp(AttrPath::simple("x"), CompareOp::Eq, Value::Null));
        assert_eq!(
            ok("x gt -1.5e3"),
            cmp(AttrPath::simple("x"), CompareOp::Gt, Value::Number("-1.5e3".parse().unwrap()))
        );
        assert_eq!(ok("x PR"), Filter::Present(AttrPath::simple("x")));
        assert_eq!(ok("manager.$ref pr"), Filter::Present(AttrPath::sub("manager", "$ref")));
        assert_eq!(ok(r#"x eq "a\"b\\c\u00e9\n""#), cmp(AttrPath::simple("x"), CompareOp::Eq, s("a\"b\\c\u{e9}\n")));
        for op in CompareOp::ALL {
            assert_eq!(
                ok(&format!("x {} 1", op.as_str().to_uppercase())),
                cmp(AttrPath::simple("x"), op, Value::Number(1.into()))
            );
        }
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        let a = || Filter::Present(AttrPath::simple("a"));
        let b = || Filter::Present(AttrPath::simple("b"));
        let c = || Filter::Present(AttrPath::simple("c"));
        assert_eq!(ok("a pr or b pr and c pr"), or(a(), and(b(), c())));
        assert_eq!(ok("a pr and b pr or c pr"), or(and(a(), b()), c()));
        assert_eq!(ok("(a pr or b pr) and c pr"), and(or(a(), b()), c()));
        assert_eq!(ok("not (a pr) and b pr"), and(Filter::Not(Box::new(a())), b()));
        assert_eq!(ok("not(a pr or b pr)"), Filter::Not(Box::new(or(a(), b()))));
        assert_eq!(ok("a pr and b pr and c pr"), and(and(a(), b()), c()));
        assert_eq!(ok("  ( ( a pr ) )  "), a());
    }

    #[test]
    fn value_paths() {
        let inner = and(
            cmp(AttrPath::simple("type"), CompareOp::Eq, s("work")),
            cmp(AttrPath::simple("value"), CompareOp::Co, s("@acme")),
        );
        let expected = Filter::ValuePath { path: AttrPath::simple("emails"), filter: Box::new(inner) };
        assert_eq!(ok(r#"emails[type eq "work" and value co "@acme"]"#), expected);
        // A PATCH-style path followed by an operation: the same element.
        assert_eq!(ok(r#"emails[type eq "work"].value co "@acme""#), expected);
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(
            err("userName"),
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName' at 8"
        );
        assert_eq!(
            err(r#"userName xx "a""#),
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName', found 'xx' at 9"
        );
        assert_eq!(err(r#"userName eq"#), "expected a value after 'userName eq' at 11");
        assert_eq!(err(r#"userName eq"a""#), "expected a space after 'userName eq' at 11");
        assert_eq!(err(r#"userName(eq "a")"#), "expected a space after 'userName' at 8");
        assert_eq!(
            err(r#"userName eq bjensen"#),
            "expected a value (a string in double quotes, a number, true, false or null), found 'bjensen' at 12"
        );
        assert_eq!(err(r#"userName eq "bjensen"#), "the string starting here is not closed at 12");
        assert!(err(r#"userName eq "a\qb""#).starts_with("the string starting here is not valid JSON"));
        assert_eq!(err(r#"(userName pr"#), "expected ')' to close the '(' at 0, found the end of the filter at 12");
        assert_eq!(err(r#"emails[type pr"#), "expected ']' to close the '[' at 6, found the end of the filter at 14");
        assert_eq!(
            err(r#"userName pr userName pr"#),
            "expected 'and', 'or' or the end of the filter, found 'userName' at 12"
        );
        assert_eq!(err(r#"userName pr and"#), "expected an expression, found the end of the filter at 15");
        assert_eq!(err(""), "the filter is empty at 0");
        assert_eq!(err("not userName pr"), "expected '(' after 'not' at 4");
        assert_eq!(err("9lives pr"), "'9lives' is not an attribute name at 0");
        assert_eq!(err("é pr"), "'é' is not an attribute name at 0");
        // Positions count characters, not bytes.
        assert_eq!(err(r#"x eq "é" y"#), "expected 'and', 'or' or the end of the filter, found 'y' at 9");
        for e in ["userName eq", "(", "x eq \"", "[", ")", "x pr)"] {
            assert_eq!(parse(e).unwrap_err().scim_type(), "invalidFilter");
        }
    }

    #[test]
    fn limits() {
        let long = format!(r#"userName eq "{}""#, "a".repeat(MAX_FILTER_CHARS));
        assert!(err(&long).contains("at most 4096"));
        let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(ok(&nested(MAX_DEPTH)), Filter::Present(AttrPath::simple("a")));
        assert!(err(&nested(MAX_DEPTH + 1)).starts_with("the filter nests deeper than 32 levels"));
        let nots = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(parse(&nots(MAX_DEPTH)).is_ok());
        assert!(parse(&nots(MAX_DEPTH + 1)).is_err());
        // A long flat chain is not nesting.
        let chain = vec!["a pr"; 400].join(" and ");
        assert!(parse(&chain).is_ok());
    }

    fn attr_path() -> impl Strategy<Value = AttrPath> {
        let name = prop::sample::select(vec!["userName", "name", "emails", "active", "meta", "externalId", "x-y_1"]);
        let sub = prop::option::of(prop::sample::select(vec!["givenName", "value", "type", "lastModified", "$ref"]));
        let uri = prop::option::of(prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ]));
        (uri, name, sub).prop_map(|(uri, name, sub)| AttrPath {
            uri: uri.map(str::to_string),
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            any::<f64>().prop_filter_map("finite", serde_json::Number::from_f64).prop_map(Value::Number),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ]
    }

    fn filter() -> impl Strategy<Value = Filter> {
        let leaf = prop_oneof![
            (attr_path(), prop::sample::select(CompareOp::ALL.to_vec()), value())
                .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
            attr_path().prop_map(Filter::Present),
        ];
        leaf.prop_recursive(6, 48, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(l, r)| and(l, r)),
                (inner.clone(), inner.clone()).prop_map(|(l, r)| or(l, r)),
                inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
                (prop::sample::select(vec!["emails", "Addresses"]), inner)
                    .prop_map(|(p, f)| Filter::ValuePath { path: AttrPath::simple(p), filter: Box::new(f) }),
            ]
        })
    }

    proptest! {
        #[test]
        fn printing_and_parsing_again_gives_the_same_filter(f in filter()) {
            let printed = f.to_string();
            prop_assert_eq!(parse(&printed), Ok(f), "{}", printed);
        }

        #[test]
        fn any_text_parses_or_fails_without_panicking(s in ".{0,64}") {
            let _ = parse(&s);
        }
    }
}

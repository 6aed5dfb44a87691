//! Tokenising and parsing the markup inside `{{ }}` and tags: paths, literals, ranges, filters,
//! conditions.

use std::sync::Arc;

use crate::ast::{CompareOp, Condition, Expr, FilterCall, FilteredExpr, Path, PathRoot, Segment};
use crate::error::Error;
use crate::value::Value;

/// Deepest nesting of brackets and ranges inside one expression.
const MAX_EXPR_DEPTH: usize = 64;

/// Most comparisons one `if` may join with `and`/`or`.
const MAX_CONDITION_TERMS: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum T {
    Ident(Arc<str>),
    Str(Arc<str>),
    Int(i64),
    Float(f64),
    Dot,
    DotDot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Pipe,
    Colon,
    Comma,
    Assign,
    Cmp(CompareOp),
}

impl T {
    fn describe(&self) -> String {
        match self {
            T::Ident(s) => format!("'{s}'"),
            T::Str(s) => format!("string '{s}'"),
            T::Int(i) => format!("'{i}'"),
            T::Float(f) => format!("'{f}'"),
            T::Dot => "'.'".into(),
            T::DotDot => "'..'".into(),
            T::LBracket => "'['".into(),
            T::RBracket => "']'".into(),
            T::LParen => "'('".into(),
            T::RParen => "')'".into(),
            T::Pipe => "'|'".into(),
            T::Colon => "':'".into(),
            T::Comma => "','".into(),
            T::Assign => "'='".into(),
            T::Cmp(op) => format!(
                "'{}'",
                match op {
                    CompareOp::Eq => "==",
                    CompareOp::Ne => "!=",
                    CompareOp::Lt => "<",
                    CompareOp::Gt => ">",
                    CompareOp::Le => "<=",
                    CompareOp::Ge => ">=",
                    CompareOp::Contains => "contains",
                }
            ),
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Tokens of one markup string, with absolute positions.
pub(crate) struct Lexer<'s> {
    pub source: &'s str,
    toks: Vec<(T, usize)>,
    i: usize,
    end: usize,
    depth: usize,
}

impl<'s> Lexer<'s> {
    /// Tokenises `source[start..end]`.
    pub fn new(source: &'s str, start: usize, end: usize) -> Result<Self, Error> {
        let toks = lex(source, start, end)?;
        Ok(Lexer {
            source,
            toks,
            i: 0,
            end,
            depth: 0,
        })
    }

    pub fn peek(&self) -> Option<&T> {
        self.toks.get(self.i).map(|(t, _)| t)
    }

    pub fn peek_at(&self, n: usize) -> Option<&T> {
        self.toks.get(self.i + n).map(|(t, _)| t)
    }

    pub fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(_, p)| *p)
    }

    pub fn next(&mut self) -> Option<T> {
        let t = self.toks.get(self.i).map(|(t, _)| t.clone());
        if t.is_some() {
            self.i += 1;
        }
        t
    }

    pub fn at_end(&self) -> bool {
        self.i >= self.toks.len()
    }

    pub fn err(&self, msg: impl Into<String>) -> Error {
        Error::syntax(msg, self.source, self.pos())
    }

    fn unexpected(&self, expected: &str) -> Error {
        match self.peek() {
            Some(t) => self.err(format!("unexpected {}, expected {expected}", t.describe())),
            None => self.err(format!("unexpected end of markup, expected {expected}")),
        }
    }

    pub fn expect_end(&self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(self.err(format!("unexpected {}", t.describe()))),
        }
    }

    pub fn eat(&mut self, t: &T) -> bool {
        if self.peek() == Some(t) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, t: &T) -> Result<(), Error> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.unexpected(&t.describe()))
        }
    }

    /// True if the next token is the bare word `w`.
    pub fn peek_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(T::Ident(s)) if s.as_ref() == w)
    }

    pub fn eat_word(&mut self, w: &str) -> bool {
        if self.peek_word(w) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub fn ident(&mut self, what: &str) -> Result<Arc<str>, Error> {
        match self.peek() {
            Some(T::Ident(s)) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// A primary expression: literal, path or range.
    pub fn expr(&mut self) -> Result<Expr, Error> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(self.err("expression is nested too deeply"));
        }
        let r = stacker::maybe_grow(
            crate::parser::STACK_RED_ZONE,
            crate::parser::STACK_GROWTH,
            || self.expr_inner(),
        );
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self) -> Result<Expr, Error> {
        let pos = self.pos();
        match self.next() {
            Some(T::Str(s)) => Ok(Expr::Literal(Value::Str(s))),
            Some(T::Int(i)) => Ok(Expr::Literal(Value::Int(i))),
            Some(T::Float(f)) => Ok(Expr::Literal(Value::Float(f))),
            Some(T::LParen) => {
                let start = self.expr()?;
                self.expect(&T::DotDot)?;
                let end = self.expr()?;
                self.expect(&T::RParen)?;
                Ok(Expr::Range(Box::new(start), Box::new(end)))
            }
            Some(T::Ident(name)) => {
                let literal = match name.as_ref() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "nil" | "null" => Some(Value::Nil),
                    "empty" => Some(Value::Empty),
                    "blank" => Some(Value::Blank),
                    _ => None,
                };
                if let Some(v) = literal
                    && !matches!(self.peek(), Some(T::Dot | T::LBracket))
                {
                    return Ok(Expr::Literal(v));
                }
                self.path_rest(PathRoot::Name(name), pos)
            }
            Some(T::LBracket) => {
                let inner = self.expr()?;
                self.expect(&T::RBracket)?;
                self.path_rest(PathRoot::Computed(Box::new(inner)), pos)
            }
            Some(t) => {
                self.i -= 1;
                Err(self.err(format!("unexpected {}, expected a value", t.describe())))
            }
            None => Err(self.err("expected a value")),
        }
    }

    fn path_rest(&mut self, root: PathRoot, pos: usize) -> Result<Expr, Error> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some(T::Dot) => {
                    self.i += 1;
                    match self.next() {
                        Some(T::Ident(k)) => segments.push(Segment::Key(k)),
                        _ => {
                            self.i -= 1;
                            return Err(self.unexpected("a property name after '.'"));
                        }
                    }
                }
                Some(T::LBracket) => {
                    self.i += 1;
                    let inner = self.expr()?;
                    self.expect(&T::RBracket)?;
                    segments.push(Segment::Index(inner));
                }
                _ => break,
            }
        }
        Ok(Expr::Path(Path {
            root,
            segments,
            pos,
        }))
    }

    /// `expr | filter: args | ...`
    pub fn filtered(&mut self) -> Result<FilteredExpr, Error> {
        let pos = self.pos();
        let expr = self.expr()?;
        let filters = self.filters()?;
        Ok(FilteredExpr { expr, filters, pos })
    }

    pub fn filters(&mut self) -> Result<Vec<FilterCall>, Error> {
        let mut filters = Vec::new();
        while self.eat(&T::Pipe) {
            let pos = self.pos();
            let name = self.ident("a filter name")?;
            let mut args = Vec::new();
            let mut kwargs = Vec::new();
            if self.eat(&T::Colon) {
                loop {
                    if let (Some(T::Ident(k)), Some(T::Colon)) = (self.peek(), self.peek_at(1)) {
                        let k = k.clone();
                        self.i += 2;
                        kwargs.push((k, self.expr()?));
                    } else {
                        args.push(self.expr()?);
                    }
                    if !self.eat(&T::Comma) {
                        break;
                    }
                }
            }
            filters.push(FilterCall {
                name,
                args,
                kwargs,
                pos,
                bound: None,
            });
        }
        Ok(filters)
    }

    /// A condition of `if`/`unless`/`elsif`: comparisons joined by `and`/`or`, which group
    /// right to left as the reference does (`a or b and c` is `a or (b and c)`, and
    /// `a and b or c` is `a and (b or c)`).
    pub fn condition(&mut self) -> Result<Condition, Error> {
        // Parsed iteratively and folded from the right; the term count is capped because the
        // resulting tree is as deep as the chain is long.
        let mut terms = vec![self.comparison()?];
        let mut ops = Vec::new();
        loop {
            let and = if self.eat_word("and") {
                true
            } else if self.eat_word("or") {
                false
            } else {
                break;
            };
            if terms.len() >= MAX_CONDITION_TERMS {
                return Err(self.err(format!(
                    "a condition may join at most {MAX_CONDITION_TERMS} comparisons"
                )));
            }
            ops.push(and);
            terms.push(self.comparison()?);
        }
        let mut acc = terms
            .pop()
            .ok_or_else(|| self.err("expected a condition"))?;
        while let (Some(left), Some(and)) = (terms.pop(), ops.pop()) {
            acc = if and {
                Condition::And(Box::new(left), Box::new(acc))
            } else {
                Condition::Or(Box::new(left), Box::new(acc))
            };
        }
        Ok(acc)
    }

    fn comparison(&mut self) -> Result<Condition, Error> {
        let left = self.expr()?;
        let op = match self.peek() {
            Some(T::Cmp(op)) => *op,
            Some(T::Ident(w)) if w.as_ref() == "contains" => CompareOp::Contains,
            _ => return Ok(Condition::Test(left)),
        };
        self.i += 1;
        let right = self.expr()?;
        Ok(Condition::Compare(left, op, right))
    }
}

fn lex(source: &str, start: usize, end: usize) -> Result<Vec<(T, usize)>, Error> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        let c = b[i];
        let at = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            b'\'' | b'"' => {
                let close = source
                    .get(i + 1..end)
                    .and_then(|s| s.find(c as char))
                    .map(|j| i + 1 + j)
                    .ok_or_else(|| Error::syntax("string literal is never closed", source, at))?;
                out.push((T::Str(Arc::from(&source[i + 1..close])), at));
                i = close + 1;
                continue;
            }
            b'.' => {
                if b.get(i + 1) == Some(&b'.') && i + 1 < end {
                    out.push((T::DotDot, at));
                    i += 2;
                } else {
                    out.push((T::Dot, at));
                    i += 1;
                }
                continue;
            }
            b'[' => out.push((T::LBracket, at)),
            b']' => out.push((T::RBracket, at)),
            b'(' => out.push((T::LParen, at)),
            b')' => out.push((T::RParen, at)),
            b'|' => out.push((T::Pipe, at)),
            b':' => out.push((T::Colon, at)),
            b',' => out.push((T::Comma, at)),
            b'=' if b.get(i + 1) == Some(&b'=') && i + 1 < end => {
                out.push((T::Cmp(CompareOp::Eq), at));
                i += 2;
                continue;
            }
            b'=' => out.push((T::Assign, at)),
            b'!' if b.get(i + 1) == Some(&b'=') && i + 1 < end => {
                out.push((T::Cmp(CompareOp::Ne), at));
                i += 2;
                continue;
            }
            b'<' | b'>' => {
                let next = if i + 1 < end {
                    b.get(i + 1).copied()
                } else {
                    None
                };
                let (op, len) = match (c, next) {
                    (b'<', Some(b'=')) => (CompareOp::Le, 2),
                    (b'<', Some(b'>')) => (CompareOp::Ne, 2),
                    (b'>', Some(b'=')) => (CompareOp::Ge, 2),
                    (b'<', _) => (CompareOp::Lt, 1),
                    _ => (CompareOp::Gt, 1),
                };
                out.push((T::Cmp(op), at));
                i += len;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let (tok, next) = lex_number(source, i, end)?;
                out.push((tok, at));
                i = next;
                continue;
            }
            _ if is_ident_start(c) => {
                let mut j = i + 1;
                while j < end && is_ident_char(b[j]) {
                    j += 1;
                }
                if j < end && b[j] == b'?' {
                    j += 1;
                }
                out.push((T::Ident(Arc::from(&source[i..j])), at));
                i = j;
                continue;
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or('?');
                return Err(Error::syntax(
                    format!("unexpected character '{ch}'"),
                    source,
                    at,
                ));
            }
        }
        i += 1;
    }
    Ok(out)
}

/// Integer or float literal; `1..5` leaves the dots to the range.
fn lex_number(source: &str, start: usize, end: usize) -> Result<(T, usize), Error> {
    let b = source.as_bytes();
    let mut j = start;
    if b[j] == b'-' {
        j += 1;
    }
    let digits_start = j;
    while j < end && b[j].is_ascii_digit() {
        j += 1;
    }
    if j == digits_start {
        return Err(Error::syntax("unexpected '-'", source, start));
    }
    let mut is_float = false;
    if j + 1 < end && b[j] == b'.' && b[j + 1].is_ascii_digit() {
        is_float = true;
        j += 1;
        while j < end && b[j].is_ascii_digit() {
            j += 1;
        }
    }
    // `123abc` is a word, as in `{% capture 123abc %}`; in expressions it is an error.
    if j < end && (is_ident_start(b[j]) || b[j] == b'-') {
        return Err(Error::syntax(
            format!(
                "unexpected '{}' in number",
                source[j..].chars().next().unwrap_or('?')
            ),
            source,
            j,
        ));
    }
    let text = &source[start..j];
    let tok = if is_float {
        T::Float(text.parse().unwrap_or(0.0))
    } else {
        match text.parse::<i64>() {
            Ok(i) => T::Int(i),
            Err(_) => T::Float(text.parse().unwrap_or(0.0)),
        }
    };
    Ok((tok, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<FilteredExpr, Error> {
        let mut l = Lexer::new(src, 0, src.len())?;
        let e = l.filtered()?;
        l.expect_end()?;
        Ok(e)
    }

    #[test]
    fn parses_paths_and_filters() {
        let e = parse("user.tags[0] | upcase | truncate: 10, '...'").map_err(|e| e.to_string());
        let Ok(e) = e else { panic!("{e:?}") };
        assert_eq!(e.filters.len(), 2);
        assert_eq!(e.filters[1].args.len(), 2);
    }

    #[test]
    fn rejects_illegal_expressions() {
        for bad in [
            "foo..bar",
            "products.0.title",
            "a b",
            "@foo",
            "1 + 2",
            "x[",
            "'open",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn keyword_prefixed_names_are_variables() {
        let Ok(e) = parse("nil_value") else { panic!() };
        assert!(matches!(e.expr, Expr::Path(_)));
    }
}

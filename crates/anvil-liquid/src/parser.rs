//! Builds the AST from the token stream: block structure, tags and their markup.

use std::sync::Arc;

use crate::ast::{
    Block, BoundFilter, CaseBranch, Condition, Expr, FilteredExpr, ForLoop, Node, Offset,
    PartialCall, PartialName,
};
use crate::error::{Error, ErrorKind, LimitKind};
use crate::expr::{Lexer, T};
use crate::filters::FilterRegistry;
use crate::lexer::{Tok, TokKind};

pub(crate) struct Parser<'s> {
    source: &'s str,
    toks: Vec<Tok>,
    i: usize,
    depth: usize,
    max_depth: usize,
    filters: Option<&'s FilterRegistry>,
}

/// How a block ended: the delimiter tag that closed it.
struct Delim {
    name: String,
    markup: (usize, usize),
    pos: usize,
}

/// Stack headroom below which recursion continues on a newly allocated stack segment.
pub(crate) const STACK_RED_ZONE: usize = 64 * 1024;
pub(crate) const STACK_GROWTH: usize = 1024 * 1024;

const BLOCK_TAGS: &[&str] = &[
    "if",
    "unless",
    "case",
    "for",
    "tablerow",
    "capture",
    "comment",
    "ifchanged",
];

impl<'s> Parser<'s> {
    pub fn new(
        source: &'s str,
        toks: Vec<Tok>,
        max_depth: usize,
        filters: Option<&'s FilterRegistry>,
    ) -> Self {
        Parser {
            source,
            toks,
            i: 0,
            depth: 0,
            max_depth,
            filters,
        }
    }

    pub fn parse_document(mut self) -> Result<Block, Error> {
        let (block, delim) = self.parse_block(&[])?;
        if let Some(d) = delim {
            return Err(self.unexpected_tag(&d.name, d.pos, &[]));
        }
        Ok(block)
    }

    fn text(&self, span: (usize, usize)) -> &'s str {
        self.source.get(span.0..span.1).unwrap_or("")
    }

    fn err(&self, msg: impl Into<String>, pos: usize) -> Error {
        Error::syntax(msg, self.source, pos)
    }

    fn unexpected_tag(&self, name: &str, pos: usize, expected: &[&str]) -> Error {
        if expected.is_empty() {
            if name.starts_with("end") || matches!(name, "else" | "elsif" | "when") {
                self.err(format!("unexpected '{name}': no block is open"), pos)
            } else {
                self.err(format!("unknown tag '{name}'"), pos)
            }
        } else {
            self.err(
                format!(
                    "unexpected '{name}', expected {}",
                    expected
                        .iter()
                        .map(|e| format!("'{e}'"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                pos,
            )
        }
    }

    fn lexer(&self, markup: (usize, usize)) -> Result<Lexer<'s>, Error> {
        Lexer::new(self.source, markup.0, markup.1)
    }

    /// Parses nodes until one of `delims` (or the end of input when `delims` is empty).
    fn parse_block(&mut self, delims: &[&str]) -> Result<(Block, Option<Delim>), Error> {
        // Nesting is bounded by the depth limit, but the limit may be set high and callers may
        // run on small stacks: grow the stack instead of overflowing it.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            self.parse_block_inner(delims)
        })
    }

    fn parse_block_inner(&mut self, delims: &[&str]) -> Result<(Block, Option<Delim>), Error> {
        let mut nodes = Vec::new();
        let mut blank = true;
        while let Some(tok) = self.toks.get(self.i).copied() {
            self.i += 1;
            match tok.kind {
                TokKind::Text => {
                    let t = self.text(tok.inner);
                    blank &= t.bytes().all(|b| b.is_ascii_whitespace() || b == 0x0b);
                    nodes.push(Node::Text(t.into()));
                }
                TokKind::Raw => {
                    let t = self.text(tok.inner);
                    blank &= t.is_empty();
                    if !t.is_empty() {
                        nodes.push(Node::Text(t.into()));
                    }
                }
                TokKind::Doc => {}
                TokKind::Output => {
                    let mut l = self.lexer(tok.inner)?;
                    if l.at_end() {
                        // `{{ }}` renders nothing.
                        blank = false;
                        continue;
                    }
                    let mut fe = l.filtered()?;
                    l.expect_end()?;
                    self.check_filters(&mut fe)?;
                    blank = false;
                    nodes.push(Node::Output(fe));
                }
                TokKind::Tag => {
                    let name = self.text(tok.name);
                    if name.is_empty() {
                        return Err(self.err("expected a tag name after '{%'", tok.start));
                    }
                    if delims.contains(&name) {
                        return Ok((
                            Block { nodes, blank },
                            Some(Delim {
                                name: name.to_string(),
                                markup: tok.inner,
                                pos: tok.name.0,
                            }),
                        ));
                    }
                    if name.starts_with("end")
                        || matches!(name, "else" | "elsif" | "when") && !BLOCK_TAGS.contains(&name)
                    {
                        return Err(self.unexpected_tag(name, tok.name.0, delims));
                    }
                    blank &= self.parse_tag(name, tok, &mut nodes)?;
                }
            }
        }
        if !delims.is_empty() {
            return Err(self.err(
                format!("expected {}, reached the end of the template", {
                    delims
                        .iter()
                        .map(|e| format!("'{e}'"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                }),
                self.source.len(),
            ));
        }
        Ok((Block { nodes, blank }, None))
    }

    fn enter(&mut self, pos: usize) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let mut e = Error::limit(
                LimitKind::NestingDepth,
                format!("blocks nest deeper than {}", self.max_depth),
            );
            let (line, column) = crate::error::line_col(self.source, pos);
            e.line = line;
            e.column = column;
            return Err(e);
        }
        Ok(())
    }

    /// Parses a block body that must end with `end_name`.
    fn body_until(&mut self, tag: &str, end_name: &str, pos: usize) -> Result<Block, Error> {
        self.enter(pos)?;
        let (block, delim) = self.parse_block(&[end_name])?;
        self.depth -= 1;
        match delim {
            Some(d) => {
                self.no_markup(&d)?;
                Ok(block)
            }
            None => Err(self.err(format!("'{tag}' was never closed"), pos)),
        }
    }

    fn no_markup(&self, d: &Delim) -> Result<(), Error> {
        let m = self.text(d.markup).trim();
        if m.is_empty() {
            Ok(())
        } else {
            Err(self.err(
                format!("'{}' takes no arguments, found '{m}'", d.name),
                d.markup.0,
            ))
        }
    }

    /// Binds each filter of `fe` to its implementation; an unknown filter is an error.
    fn check_filters(&self, fe: &mut FilteredExpr) -> Result<(), Error> {
        if let Some(reg) = self.filters {
            for f in &mut fe.filters {
                match reg.get(&f.name) {
                    Some(imp) => f.bound = Some(BoundFilter(imp.clone())),
                    None => {
                        return Err(Error::at(
                            ErrorKind::UnknownFilter,
                            format!("unknown filter '{}'", f.name),
                            self.source,
                            f.pos,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Parses one tag (and its body for block tags) into `nodes`; returns whether it is blank.
    fn parse_tag(&mut self, name: &str, tok: Tok, nodes: &mut Vec<Node>) -> Result<bool, Error> {
        let markup = tok.inner;
        let pos = tok.name.0;
        match name {
            "#" => {
                // Inline comment: every line of it must start with '#'.
                let body = self.text(markup);
                for line in body.split('\n').skip(1) {
                    let l = line.trim();
                    if !l.is_empty() && !l.starts_with('#') {
                        return Err(self.err(
                            "every line of an inline comment must start with '#'",
                            markup.0,
                        ));
                    }
                }
                Ok(true)
            }
            "comment" => {
                self.skip_comment(pos)?;
                Ok(true)
            }
            "assign" => {
                let (target, rest) = self.assign_target(markup, "assign")?;
                let mut l = self.lexer(rest)?;
                l.expect(&T::Assign)?;
                let mut value = l.filtered()?;
                l.expect_end()?;
                self.check_filters(&mut value)?;
                nodes.push(Node::Assign {
                    name: target,
                    value,
                    pos,
                });
                Ok(true)
            }
            "capture" => {
                let (target, rest) = self.assign_target(markup, "capture")?;
                let extra = self.text(rest).trim();
                if !extra.is_empty() {
                    return Err(
                        self.err(format!("unexpected '{extra}' after capture name"), rest.0)
                    );
                }
                let body = self.body_until("capture", "endcapture", pos)?;
                nodes.push(Node::Capture {
                    name: target,
                    body,
                    pos,
                });
                Ok(true)
            }
            "echo" => {
                let mut l = self.lexer(markup)?;
                if l.at_end() {
                    return Ok(false);
                }
                let mut fe = l.filtered()?;
                l.expect_end()?;
                self.check_filters(&mut fe)?;
                nodes.push(Node::Output(fe));
                Ok(false)
            }
            "if" | "unless" => self.parse_if(name, markup, pos, nodes),
            "case" => self.parse_case(markup, pos, nodes),
            "for" | "tablerow" => self.parse_for(name, markup, pos, nodes),
            "break" | "continue" => {
                self.no_markup(&Delim {
                    name: name.to_string(),
                    markup,
                    pos,
                })?;
                nodes.push(if name == "break" {
                    Node::Break
                } else {
                    Node::Continue
                });
                Ok(false)
            }
            "cycle" => self.parse_cycle(markup, pos, nodes),
            "increment" | "decrement" => {
                let mut l = self.lexer(markup)?;
                let var = l.ident("a variable name")?;
                l.expect_end()?;
                nodes.push(if name == "increment" {
                    Node::Increment { name: var, pos }
                } else {
                    Node::Decrement { name: var, pos }
                });
                Ok(false)
            }
            "ifchanged" => {
                self.no_markup(&Delim {
                    name: name.to_string(),
                    markup,
                    pos,
                })?;
                let body = self.body_until("ifchanged", "endifchanged", pos)?;
                nodes.push(Node::IfChanged(body));
                Ok(false)
            }
            "render" | "include" => {
                let call = self.parse_partial(name == "render", markup, pos)?;
                nodes.push(Node::Partial(Box::new(call)));
                Ok(false)
            }
            "liquid" => self.parse_liquid(markup, nodes),
            _ => Err(self.err(format!("unknown tag '{name}'"), pos)),
        }
    }

    /// The variable name of `assign`/`capture`: letters, digits, `_` and `-`, not starting with
    /// `-`. Returns the name and the span of the rest of the markup.
    fn assign_target(
        &self,
        markup: (usize, usize),
        tag: &str,
    ) -> Result<(Arc<str>, (usize, usize)), Error> {
        let b = self.source.as_bytes();
        let mut i = markup.0;
        while i < markup.1 && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        if i < markup.1 && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
            while i < markup.1 && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
        }
        if i == start {
            return Err(self.err(format!("expected a variable name after '{tag}'"), start));
        }
        if i < markup.1 && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            return Err(self.err(
                format!(
                    "unexpected '{}' in variable name",
                    self.source[i..].chars().next().unwrap_or('?')
                ),
                i,
            ));
        }
        Ok((Arc::from(&self.source[start..i]), (i, markup.1)))
    }

    /// Skips a `comment` block, honouring nested comments and `raw` blocks inside it.
    fn skip_comment(&mut self, pos: usize) -> Result<(), Error> {
        let mut depth = 1;
        while let Some(tok) = self.toks.get(self.i).copied() {
            self.i += 1;
            if tok.kind != TokKind::Tag {
                continue;
            }
            match self.text(tok.name) {
                "comment" => depth += 1,
                "endcomment" => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(self.err("'comment' was never closed", pos))
    }

    fn parse_if(
        &mut self,
        name: &str,
        markup: (usize, usize),
        pos: usize,
        nodes: &mut Vec<Node>,
    ) -> Result<bool, Error> {
        let end_name = if name == "if" { "endif" } else { "endunless" };
        let delims = ["elsif", "else", end_name];
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut cond = self.condition(markup)?;
        if name == "unless" {
            cond = Condition::Not(Box::new(cond));
        }
        self.enter(pos)?;
        loop {
            let (block, delim) = self.parse_block(&delims)?;
            let Some(d) = delim else {
                return Err(self.err(format!("'{name}' was never closed"), pos));
            };
            branches.push((cond, block));
            match d.name.as_str() {
                "elsif" => cond = self.condition(d.markup)?,
                "else" => {
                    let (block, mut delim) = self.parse_block(&delims)?;
                    otherwise = Some(block);
                    // Branches after `else` never render, as in the reference; they must
                    // still parse.
                    loop {
                        match delim {
                            Some(d) if d.name == end_name => {
                                self.no_markup(&d)?;
                                break;
                            }
                            Some(_) => delim = self.parse_block(&delims)?.1,
                            None => {
                                return Err(self.err(format!("'{name}' was never closed"), pos));
                            }
                        }
                    }
                    break;
                }
                _ => {
                    self.no_markup(&d)?;
                    break;
                }
            }
        }
        self.depth -= 1;
        let blank =
            branches.iter().all(|(_, b)| b.blank) && otherwise.as_ref().is_none_or(|b| b.blank);
        if blank {
            for (_, b) in &mut branches {
                strip_blank_text(b);
            }
            if let Some(b) = &mut otherwise {
                strip_blank_text(b);
            }
        }
        nodes.push(Node::If {
            branches,
            otherwise,
            pos,
        });
        Ok(blank)
    }

    fn condition(&self, markup: (usize, usize)) -> Result<Condition, Error> {
        let mut l = self.lexer(markup)?;
        let c = l.condition()?;
        l.expect_end()?;
        Ok(c)
    }

    fn parse_case(
        &mut self,
        markup: (usize, usize),
        pos: usize,
        nodes: &mut Vec<Node>,
    ) -> Result<bool, Error> {
        let mut l = self.lexer(markup)?;
        let subject = l.expr()?;
        l.expect_end()?;
        self.enter(pos)?;
        // Whatever stands between `case` and the first `when` is never rendered.
        let (_, mut delim) = self.parse_block(&["when", "else", "endcase"])?;
        let mut branches = Vec::new();
        loop {
            let Some(d) = delim else {
                return Err(self.err("'case' was never closed", pos));
            };
            match d.name.as_str() {
                "when" => {
                    let values = self.when_values(d.markup)?;
                    let (block, next) = self.parse_block(&["when", "else", "endcase"])?;
                    branches.push(CaseBranch::When(values, block));
                    delim = next;
                }
                "else" => {
                    self.no_markup(&d)?;
                    let (block, next) = self.parse_block(&["when", "else", "endcase"])?;
                    branches.push(CaseBranch::Else(block));
                    delim = next;
                }
                _ => {
                    self.no_markup(&d)?;
                    break;
                }
            }
        }
        self.depth -= 1;
        let blank = branches.iter().all(|b| match b {
            CaseBranch::When(_, b) | CaseBranch::Else(b) => b.blank,
        });
        if blank {
            for b in &mut branches {
                match b {
                    CaseBranch::When(_, b) | CaseBranch::Else(b) => strip_blank_text(b),
                }
            }
        }
        nodes.push(Node::Case {
            subject,
            branches,
            pos,
        });
        Ok(blank)
    }

    /// `when a, b or c`.
    fn when_values(&self, markup: (usize, usize)) -> Result<Vec<Expr>, Error> {
        let mut l = self.lexer(markup)?;
        let mut values = vec![l.expr()?];
        while l.eat(&T::Comma) || l.eat_word("or") {
            values.push(l.expr()?);
        }
        // Ruby Liquid's lax parser ignores anything after the values; golden-liquid's strict
        // variant (and we) reject it, so that a typo is reported rather than hidden.
        l.expect_end()?;
        Ok(values)
    }

    fn parse_for(
        &mut self,
        tag: &str,
        markup: (usize, usize),
        pos: usize,
        nodes: &mut Vec<Node>,
    ) -> Result<bool, Error> {
        let mut l = self.lexer(markup)?;
        let var = l.ident("a loop variable name")?;
        if !l.eat_word("in") {
            return Err(l.err(format!("expected 'in' after '{tag} {var}'")));
        }
        let coll_start = l.pos();
        let collection = l.expr()?;
        let coll_text = self.text((coll_start, l.pos())).trim_end();
        let coll_text = coll_text.strip_suffix(',').unwrap_or(coll_text).trim_end();
        let name: Arc<str> = format!("{var}-{coll_text}").into();
        l.eat(&T::Comma);
        let mut reversed = false;
        let mut limit = None;
        let mut offset = None;
        let mut cols = None;
        while !l.at_end() {
            if tag == "for" && l.eat_word("reversed") {
                reversed = true;
                continue;
            }
            let key = l.ident("'limit', 'offset' or 'reversed'")?;
            l.expect(&T::Colon)?;
            match key.as_ref() {
                "limit" => limit = Some(l.expr()?),
                "offset" => {
                    offset = Some(if l.eat_word("continue") {
                        Offset::Continue
                    } else {
                        Offset::Expr(l.expr()?)
                    })
                }
                "cols" if tag == "tablerow" => cols = Some(l.expr()?),
                other => {
                    return Err(l.err(format!("unknown '{tag}' parameter '{other}'")));
                }
            }
            l.eat(&T::Comma);
        }
        self.enter(pos)?;
        let end_name = if tag == "for" {
            "endfor"
        } else {
            "endtablerow"
        };
        let delims: &[&str] = if tag == "for" {
            &["else", "endfor"]
        } else {
            &["endtablerow"]
        };
        let (body, delim) = self.parse_block(delims)?;
        let mut otherwise = None;
        match delim {
            Some(d) if d.name == "else" => {
                let (block, end) = self.parse_block(&[end_name])?;
                match end {
                    Some(end) => self.no_markup(&end)?,
                    None => return Err(self.err(format!("'{tag}' was never closed"), pos)),
                }
                otherwise = Some(block);
            }
            Some(d) => self.no_markup(&d)?,
            None => return Err(self.err(format!("'{tag}' was never closed"), pos)),
        }
        self.depth -= 1;
        let mut lp = ForLoop {
            var,
            collection,
            reversed,
            limit,
            offset,
            cols,
            body,
            otherwise,
            name,
            pos,
        };
        let blank = tag == "for" && lp.body.blank && lp.otherwise.as_ref().is_none_or(|b| b.blank);
        if blank {
            strip_blank_text(&mut lp.body);
            if let Some(b) = &mut lp.otherwise {
                strip_blank_text(b);
            }
        }
        nodes.push(if tag == "for" {
            Node::For(Box::new(lp))
        } else {
            Node::Tablerow(Box::new(lp))
        });
        Ok(blank)
    }

    fn parse_cycle(
        &mut self,
        markup: (usize, usize),
        pos: usize,
        nodes: &mut Vec<Node>,
    ) -> Result<bool, Error> {
        let mut l = self.lexer(markup)?;
        let first = l.expr()?;
        let (group, mut values) = if l.eat(&T::Colon) {
            (Some(first), vec![l.expr()?])
        } else {
            (None, vec![first])
        };
        while l.eat(&T::Comma) {
            values.push(l.expr()?);
        }
        l.expect_end()?;
        let key: Arc<str> = self
            .text(markup)
            .split(':')
            .next_back()
            .unwrap_or("")
            .trim()
            .into();
        let key = if group.is_some() {
            key
        } else {
            self.text(markup).trim().into()
        };
        nodes.push(Node::Cycle {
            group,
            values,
            key,
            pos,
        });
        Ok(false)
    }

    fn parse_partial(
        &mut self,
        isolated: bool,
        markup: (usize, usize),
        pos: usize,
    ) -> Result<PartialCall, Error> {
        let tag = if isolated { "render" } else { "include" };
        let mut l = self.lexer(markup)?;
        let name = match l.peek() {
            Some(T::Str(s)) => {
                let s = s.clone();
                l.next();
                PartialName::Literal(s)
            }
            _ if !isolated => PartialName::Dynamic(l.expr()?),
            _ => return Err(l.err(format!("'{tag}' expects the partial's name as a string"))),
        };
        let mut bind = None;
        if l.eat_word("with") {
            bind = Some((l.expr()?, false));
        } else if l.eat_word("for") {
            bind = Some((l.expr()?, true));
        }
        let mut alias = None;
        if l.eat_word("as") {
            alias = Some(l.ident("an alias name after 'as'")?);
        }
        let mut args = Vec::new();
        l.eat(&T::Comma);
        while !l.at_end() {
            let key = l.ident("a keyword argument")?;
            l.expect(&T::Colon)?;
            args.push((key, l.expr()?));
            if !l.eat(&T::Comma) {
                break;
            }
        }
        l.expect_end()?;
        Ok(PartialCall {
            isolated,
            name,
            bind,
            alias,
            args,
            pos,
        })
    }

    /// `{% liquid %}`: one tag per line, no delimiters. Its tags join the enclosing block.
    fn parse_liquid(
        &mut self,
        markup: (usize, usize),
        nodes: &mut Vec<Node>,
    ) -> Result<bool, Error> {
        // `liquid liquid liquid ...` nests parsers: count it against the depth limit.
        self.enter(markup.0)?;
        let toks = liquid_lines(self.source, markup);
        let mut sub = Parser {
            source: self.source,
            toks,
            i: 0,
            depth: self.depth,
            max_depth: self.max_depth,
            filters: self.filters,
        };
        let (block, delim) = sub.parse_block(&[])?;
        if let Some(d) = delim {
            return Err(self.unexpected_tag(&d.name, d.pos, &[]));
        }
        self.depth -= 1;
        let blank = block.blank;
        nodes.extend(block.nodes);
        Ok(blank)
    }
}

/// Splits a `liquid` tag's markup into tag tokens, one per line.
fn liquid_lines(source: &str, markup: (usize, usize)) -> Vec<Tok> {
    let b = source.as_bytes();
    let mut toks = Vec::new();
    let mut line_start = markup.0;
    while line_start <= markup.1 {
        let line_end = source
            .get(line_start..markup.1)
            .and_then(|s| s.find('\n'))
            .map_or(markup.1, |i| line_start + i);
        let mut p = line_start;
        while p < line_end && b[p].is_ascii_whitespace() {
            p += 1;
        }
        if p < line_end {
            let name_end = if b[p] == b'#' {
                p + 1
            } else {
                let mut q = p;
                while q < line_end && (b[q].is_ascii_alphanumeric() || b[q] == b'_') {
                    q += 1;
                }
                q
            };
            let mut end = line_end;
            while end > name_end && b[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            toks.push(Tok {
                kind: TokKind::Tag,
                start: p,
                end: line_end,
                inner: (name_end, end),
                name: (p, name_end),
                trim_left: false,
                trim_right: false,
            });
        }
        line_start = line_end + 1;
    }
    toks
}

/// A blank block renders none of its whitespace.
fn strip_blank_text(block: &mut Block) {
    block.nodes.retain(|n| !matches!(n, Node::Text(_)));
}

//! Splits a template into text, output (`{{ }}`) and tag (`{% %}`) tokens.
//!
//! Plain text is skipped with a byte search for `{`, so the cost of a template is mostly the cost
//! of its markup. `raw` and `doc` bodies are taken verbatim here, since their content is not
//! Liquid and must not be tokenised.

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Text between markup; `start..end` after whitespace control was applied.
    Text,
    /// `{{ ... }}`; `inner` is the expression's span.
    Output,
    /// `{% name markup %}`.
    Tag,
    /// A `raw` block: `inner` is the verbatim body.
    Raw,
    /// A `doc` block (dropped when rendering).
    Doc,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub kind: TokKind,
    /// Span of the whole token in the source.
    pub start: usize,
    pub end: usize,
    /// Output expression, tag markup, or raw body.
    pub inner: (usize, usize),
    /// Tag name span (tags only).
    pub name: (usize, usize),
    /// `{%-` / `{{-`.
    pub trim_left: bool,
    /// `-%}` / `-}}`.
    pub trim_right: bool,
}

impl Tok {
    fn text(start: usize, end: usize) -> Tok {
        Tok {
            kind: TokKind::Text,
            start,
            end,
            inner: (start, end),
            name: (start, start),
            trim_left: false,
            trim_right: false,
        }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Finds `needle` in `hay` from `from`, returning the absolute offset.
fn find(hay: &str, from: usize, needle: &str) -> Option<usize> {
    hay.get(from..)?.find(needle).map(|i| i + from)
}

/// Reads a tag's name at `pos` (after `{%`, `-` and whitespace): `#` or a word.
fn tag_name_end(src: &[u8], pos: usize) -> usize {
    if src.get(pos) == Some(&b'#') {
        return pos + 1;
    }
    let mut i = pos;
    while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
        i += 1;
    }
    i
}

pub(crate) fn tokenize(source: &str) -> Result<Vec<Tok>, Error> {
    let bytes = source.as_bytes();
    let mut toks: Vec<Tok> = Vec::new();
    let mut pos = 0;
    let mut text_start = 0;
    while let Some(rel) = bytes
        .get(pos..)
        .and_then(|s| s.iter().position(|&b| b == b'{'))
    {
        let open = pos + rel;
        match bytes.get(open + 1) {
            Some(b'{') => {
                push_text(&mut toks, text_start, open);
                let tok = lex_output(source, open)?;
                pos = tok.end;
                text_start = pos;
                toks.push(tok);
            }
            Some(b'%') => {
                push_text(&mut toks, text_start, open);
                let tok = lex_tag(source, open)?;
                let name = &source[tok.name.0..tok.name.1];
                let tok = match name {
                    "raw" => lex_verbatim(source, tok, "endraw", TokKind::Raw)?,
                    "doc" => lex_verbatim(source, tok, "enddoc", TokKind::Doc)?,
                    _ => tok,
                };
                pos = tok.end;
                text_start = pos;
                toks.push(tok);
            }
            _ => pos = open + 1,
        }
    }
    push_text(&mut toks, text_start, source.len());
    apply_whitespace_control(source, &mut toks);
    Ok(toks)
}

fn push_text(toks: &mut Vec<Tok>, start: usize, end: usize) {
    if end > start {
        toks.push(Tok::text(start, end));
    }
}

fn lex_output(source: &str, open: usize) -> Result<Tok, Error> {
    let bytes = source.as_bytes();
    let mut inner_start = open + 2;
    let trim_left = bytes.get(inner_start) == Some(&b'-');
    if trim_left {
        inner_start += 1;
    }
    let Some(close) = find(source, inner_start, "}}") else {
        return Err(Error::syntax(
            "output '{{' was never closed with '}}'",
            source,
            open,
        ));
    };
    let trim_right = close > inner_start && bytes[close - 1] == b'-';
    let inner_end = if trim_right { close - 1 } else { close };
    Ok(Tok {
        kind: TokKind::Output,
        start: open,
        end: close + 2,
        inner: (inner_start, inner_end),
        name: (open, open),
        trim_left,
        trim_right,
    })
}

fn lex_tag(source: &str, open: usize) -> Result<Tok, Error> {
    let bytes = source.as_bytes();
    let mut p = open + 2;
    let trim_left = bytes.get(p) == Some(&b'-');
    if trim_left {
        p += 1;
    }
    let Some(close) = find(source, p, "%}") else {
        return Err(Error::syntax(
            "tag '{%' was never closed with '%}'",
            source,
            open,
        ));
    };
    let trim_right = close > p && bytes[close - 1] == b'-';
    let body_end = if trim_right { close - 1 } else { close };
    while p < body_end && is_ws(bytes[p]) {
        p += 1;
    }
    let name_end = tag_name_end(bytes, p).min(body_end.max(p));
    Ok(Tok {
        kind: TokKind::Tag,
        start: open,
        end: close + 2,
        inner: (name_end, body_end.max(name_end)),
        name: (p, name_end),
        trim_left,
        trim_right,
    })
}

/// Takes a `raw`/`doc` body verbatim up to its end tag (`{%- endraw -%}` and spacing variants).
fn lex_verbatim(source: &str, open_tag: Tok, end_name: &str, kind: TokKind) -> Result<Tok, Error> {
    let bytes = source.as_bytes();
    let markup = source[open_tag.inner.0..open_tag.inner.1].trim();
    if !markup.is_empty() {
        let tag = &source[open_tag.name.0..open_tag.name.1];
        return Err(Error::syntax(
            format!("'{tag}' takes no arguments, found '{markup}'"),
            source,
            open_tag.inner.0,
        ));
    }
    let open_name = &source[open_tag.name.0..open_tag.name.1];
    let mut search = open_tag.end;
    while let Some(start) = find(source, search, "{%") {
        let mut p = start + 2;
        let trim_left = bytes.get(p) == Some(&b'-');
        if trim_left {
            p += 1;
        }
        while p < bytes.len() && is_ws(bytes[p]) {
            p += 1;
        }
        let name_end = tag_name_end(bytes, p);
        let name = &source[p..name_end];
        if name == end_name || (kind == TokKind::Doc && name == open_name) {
            let mut q = name_end;
            while q < bytes.len() && is_ws(bytes[q]) {
                q += 1;
            }
            let trim_right = bytes.get(q) == Some(&b'-');
            if trim_right {
                q += 1;
            }
            if source.get(q..q + 2) == Some("%}") {
                if name == open_name {
                    return Err(Error::syntax(
                        format!("'{open_name}' blocks cannot be nested"),
                        source,
                        start,
                    ));
                }
                return Ok(Tok {
                    kind,
                    start: open_tag.start,
                    end: q + 2,
                    inner: (open_tag.end, start),
                    name: open_tag.name,
                    trim_left: open_tag.trim_left,
                    trim_right,
                });
            }
        }
        search = start + 2;
    }
    Err(Error::syntax(
        format!("'{open_name}' was never closed with '{end_name}'"),
        source,
        open_tag.start,
    ))
}

/// Applies `{{-`/`-}}` trimming to neighbouring text tokens, dropping text that becomes empty.
fn apply_whitespace_control(source: &str, toks: &mut Vec<Tok>) {
    let bytes = source.as_bytes();
    let n = toks.len();
    for i in 0..n {
        if toks[i].kind != TokKind::Text {
            continue;
        }
        let trim_start = i > 0 && toks[i - 1].trim_right;
        let trim_end = i + 1 < n && toks[i + 1].trim_left;
        let t = &mut toks[i];
        if trim_start {
            while t.start < t.end && is_ws(bytes[t.start]) {
                t.start += 1;
            }
        }
        if trim_end {
            while t.end > t.start && is_ws(bytes[t.end - 1]) {
                t.end -= 1;
            }
        }
        t.inner = (t.start, t.end);
    }
    toks.retain(|t| t.kind != TokKind::Text || t.end > t.start);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, String)> {
        tokenize(src)
            .map(|ts| {
                ts.iter()
                    .map(|t| (t.kind, src[t.inner.0..t.inner.1].to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn splits_text_output_and_tags() {
        let k = kinds("a {{ x }} b {% if y %}c{% endif %}");
        assert_eq!(k.len(), 6);
        assert_eq!(k[1], (TokKind::Output, " x ".to_string()));
        assert_eq!(k[3], (TokKind::Tag, " y ".to_string()));
    }

    #[test]
    fn trims_whitespace_next_to_dashes() {
        let k = kinds("a  {{- x -}}  b");
        assert_eq!(k[0].1, "a");
        assert_eq!(k[2].1, "b");
    }

    #[test]
    fn raw_bodies_are_verbatim() {
        let k = kinds("{% raw %}{{ x }}{% endraw %}!");
        assert_eq!(k[0], (TokKind::Raw, "{{ x }}".to_string()));
    }

    #[test]
    fn unclosed_markup_is_an_error() {
        assert!(tokenize("{{ x").is_err());
        assert!(tokenize("{% if").is_err());
        assert!(tokenize("{% raw %}x").is_err());
    }
}

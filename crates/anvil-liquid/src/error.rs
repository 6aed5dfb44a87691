//! Errors a prompt author can act on: what went wrong, and where.

use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template does not parse.
    Syntax,
    /// Rendering failed (a filter rejected its input, a partial is missing, ...).
    Render,
    /// Strict mode met a variable that is not defined.
    UndefinedVariable,
    /// A filter that is not registered.
    UnknownFilter,
    /// A configured limit was exceeded.
    Limit(LimitKind),
}

/// The limit an [`ErrorKind::Limit`] error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    TemplateSize,
    NestingDepth,
    LoopIterations,
    OutputSize,
    RenderDepth,
}

impl LimitKind {
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::TemplateSize => "template size",
            LimitKind::NestingDepth => "nesting depth",
            LimitKind::LoopIterations => "loop iterations",
            LimitKind::OutputSize => "output size",
            LimitKind::RenderDepth => "render depth",
        }
    }
}

/// A parse or render error with its position in the template (1-based line and column,
/// counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The partial the error happened in, when it did not happen in the template itself.
    pub partial: Option<String>,
}

impl Error {
    pub(crate) fn at(
        kind: ErrorKind,
        message: impl Into<String>,
        source: &str,
        pos: usize,
    ) -> Self {
        let (line, column) = line_col(source, pos);
        Error {
            kind,
            message: message.into(),
            line,
            column,
            partial: None,
        }
    }

    pub(crate) fn syntax(message: impl Into<String>, source: &str, pos: usize) -> Self {
        Error::at(ErrorKind::Syntax, message, source, pos)
    }

    pub(crate) fn limit(limit: LimitKind, detail: impl fmt::Display) -> Self {
        Error {
            kind: ErrorKind::Limit(limit),
            message: format!("{} limit exceeded: {detail}", limit.name()),
            line: 0,
            column: 0,
            partial: None,
        }
    }

    /// True for errors found while parsing (the template itself is invalid).
    pub fn is_syntax(&self) -> bool {
        matches!(self.kind, ErrorKind::Syntax | ErrorKind::UnknownFilter)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.partial {
            write!(f, "in partial '{p}', ")?;
        }
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(source: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(source.len());
    let before = source.get(..pos).unwrap_or(source);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
    }
}

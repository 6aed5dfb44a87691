//! The client half of `anvil`: commands that talk to a forge through `anvil-sdk`. Output is
//! for people by default and JSON with `--json`; the exit code says what kind of failure it
//! was (0 ok, 1 server or network, 2 usage, 3 not found, 4 validation).

pub mod credentials;
pub mod live;
pub mod read;
pub mod tree;
pub mod write;

use std::io::IsTerminal;
use std::process::ExitCode;

use anvil_sdk::Error;
use serde_json::Value;

/// A failed command: what went wrong and what to do about it, and its exit code.
#[derive(Debug)]
pub enum Failure {
    /// 1: the forge failed, refused, or could not be reached.
    Server(String),
    /// 2: the command was used wrongly.
    Usage(String),
    /// 3: what was asked for does not exist.
    NotFound(String),
    /// 4: the forge (or the command) found the input invalid.
    Invalid(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Server(_) => 1,
            Failure::Usage(_) => 2,
            Failure::NotFound(_) => 3,
            Failure::Invalid(_) => 4,
        })
    }

    /// The same failure with a line that says what did happen.
    pub fn with_note(self, note: &str) -> Failure {
        let add = |m: String| format!("{m}\n({note})");
        match self {
            Failure::Server(m) => Failure::Server(add(m)),
            Failure::Usage(m) => Failure::Usage(add(m)),
            Failure::NotFound(m) => Failure::NotFound(add(m)),
            Failure::Invalid(m) => Failure::Invalid(add(m)),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Server(m) | Failure::Usage(m) | Failure::NotFound(m) | Failure::Invalid(m) => {
                m
            }
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let text = e.to_string();
        match e {
            Error::Config(_) | Error::InvalidAddress { .. } => Failure::Usage(text),
            Error::NotFound { .. } => Failure::NotFound(text),
            Error::InvalidVariables { .. } | Error::Invalid { .. } | Error::Render { .. } => {
                Failure::Invalid(text)
            }
            Error::Unreachable { .. } => Failure::Server(format!(
                "{text}\n(check the URL with `anvil whoami`, or that the forge is running)"
            )),
            Error::Refused {
                status: 401 | 403, ..
            } => Failure::Server(format!(
                "{text}\n(the API key is not accepted here: run `anvil login` with a key that has the scope)"
            )),
            Error::Refused { .. } | Error::Checksum { .. } => Failure::Server(text),
        }
    }
}

pub type Outcome = Result<(), Failure>;

/// How to write results.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    /// Colours and progress bars: standard output is a terminal and NO_COLOR is unset.
    pub color: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output {
            json,
            color: !json
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// Prints a JSON value on one line (for `--json`).
    pub fn json(&self, v: &Value) {
        println!("{v}");
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Rows under headers, columns aligned.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<String>| {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    out.push_str(c);
                } else {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    out.push_str(c);
                    out.push_str(&" ".repeat(pad + 2));
                }
            }
            out.trim_end().to_string()
        };
        println!(
            "{}",
            self.bold(&line(headers.iter().map(|h| h.to_string()).collect()))
        );
        for row in rows {
            println!("{}", line(row.clone()));
        }
    }

    /// A progress bar on standard error (drawn only on a terminal).
    pub fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        if !self.color {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        bar
    }
}

/// A client for the forge the user logged in to (or `ANVIL_URL` / `ANVIL_API_KEY`).
pub fn connect() -> Result<anvil_sdk::Client, Failure> {
    let login = credentials::current()?;
    build(&login.url, &login.api_key)
}

pub fn build(url: &str, key: &str) -> Result<anvil_sdk::Client, Failure> {
    anvil_sdk::Client::builder()
        .base_url(url)
        .api_key(key)
        .user_agent(concat!("anvil-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(Failure::from)
}

/// `project/set` (with no spec or prompt), as `anvil versions`, `diff` and `publish` take it.
pub fn set_address(address: &str) -> Result<(String, String), Failure> {
    let mut parts = address.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(s), None) if !p.is_empty() && !s.is_empty() && !s.contains('@') => {
            Ok((p.to_string(), s.to_string()))
        }
        _ => Err(Failure::Usage(format!(
            "'{address}' is not a prompt set: write project/set (support/emails)"
        ))),
    }
}

/// The id of the live set at `project/set`.
pub async fn set_id(
    anvil: &anvil_sdk::Client,
    project: &str,
    set: &str,
) -> Result<String, Failure> {
    let v = anvil
        .api()
        .get(&format!("/prompt_sets/by_address/{project}/{set}"))
        .await?;
    id_of(&v["prompt_set"])
}

/// The id of the project with `slug`.
pub async fn project_id(anvil: &anvil_sdk::Client, slug: &str) -> Result<String, Failure> {
    let p = anvil
        .api()
        .get(&format!("/projects/by_slug/{slug}"))
        .await?;
    id_of(&p["project"])
}

pub fn id_of(v: &Value) -> Result<String, Failure> {
    v["id"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| Failure::Server("the forge's answer has no id".into()))
}

/// The string at `v[key]`, or "".
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

//! Typed configuration: defaults, then an optional `anvil.toml`, then `ANVIL_*` environment
//! variables, then command-line flags (each overriding the one before).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A secret value: never shown by `Debug` or in logs.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Mail is also listed at `/dev/mailbox`; cookies are not marked Secure unless served
    /// over https.
    #[default]
    Development,
    /// Refuses to start without `public_url`.
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    #[default]
    On,
    Off,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the forge listens.
    pub bind: SocketAddr,
    /// Where the SQLite database, the generated secret key and the mail outbox live.
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    pub env: Environment,
    /// The URL users reach the forge at (links in mail; Secure cookies when https).
    pub public_url: Option<String>,
    pub log_format: LogFormat,
    /// Whether anyone may register an account.
    pub registration_enabled: bool,
    /// Signs cursors and tokens. Generated into `data_dir/secret_key` when unset.
    pub secret_key: Option<Secret>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_grace_seconds: u64,
    /// Seconds between heartbeat comments on an idle event stream.
    pub events_heartbeat_seconds: u64,
    /// `smtp://user:pass@host:587?tls=required` (or `smtps://`); unset writes mail to
    /// `data_dir/outbox`.
    pub smtp_url: Option<Secret>,
    /// The sender of Anvil's mail.
    pub mail_from: String,
    /// Per-credential request limits (`off` for benchmarks).
    pub rate_limits: Switch,
    /// Management routes, per credential (or client address) and hour.
    pub rate_limit_standard_per_hour: u32,
    /// Rendering the working copy, per credential and hour.
    pub rate_limit_render_per_hour: u32,
    /// Bundle imports, per credential and hour.
    pub rate_limit_bulk_per_hour: u32,
    /// What applications call (resolve and render by address): a sustained
    /// rate per credential and second, with bursts up to `rate_limit_delivery_burst`.
    pub rate_limit_delivery_per_second: u32,
    pub rate_limit_delivery_burst: u32,
    /// What the editor calls on every keystroke from a signed-in browser (template
    /// validation, the working copy's preview): per session and second, with bursts up to
    /// `rate_limit_editor_burst`.
    pub rate_limit_editor_per_second: u32,
    pub rate_limit_editor_burst: u32,
    /// Origins browsers may call the API from (CORS); empty means no cross-origin access.
    pub cors_allowed_origins: Vec<String>,
    /// Webhook hosts allowed although they are loopback, link-local or private addresses
    /// (names or IP addresses, as they appear in the URL).
    pub webhook_allowed_hosts: Vec<String>,
    /// The version spec MCP clients see prompts at, unless `/mcp?spec=` says otherwise.
    pub mcp_spec: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 4000)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            env: Environment::Development,
            public_url: None,
            log_format: LogFormat::Human,
            registration_enabled: true,
            secret_key: None,
            max_body_bytes: 1024 * 1024,
            trusted_proxies: Vec::new(),
            shutdown_grace_seconds: 30,
            events_heartbeat_seconds: 15,
            smtp_url: None,
            mail_from: "Anvil <no-reply@localhost>".to_string(),
            rate_limits: Switch::On,
            rate_limit_standard_per_hour: 1_000,
            rate_limit_render_per_hour: 10_000,
            rate_limit_bulk_per_hour: 100,
            rate_limit_delivery_per_second: 100,
            rate_limit_delivery_burst: 1_000,
            rate_limit_editor_per_second: 20,
            rate_limit_editor_burst: 60,
            cors_allowed_origins: Vec::new(),
            webhook_allowed_hosts: Vec::new(),
            mcp_spec: "stable".to_string(),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The commented example printed by `anvil config --default`.
pub const DEFAULT_TOML: &str = r#"# anvil.toml: configuration of the Anvil forge.
# Precedence: command-line flags > ANVIL_* environment variables > this file > defaults.

# Address to listen on (ANVIL_BIND, --bind).
bind = "127.0.0.1:4000"

# Directory for the SQLite database, the generated secret key and the mail outbox
# (ANVIL_DATA_DIR, --data-dir).
data_dir = "./data"

# PostgreSQL instead of SQLite (DATABASE_URL or ANVIL_DATABASE_URL).
# database_url = "postgres://anvil@localhost/anvil"

# "development" or "production" (ANVIL_ENV). Production refuses to start without public_url.
env = "development"

# The URL users reach the forge at (ANVIL_PUBLIC_URL).
# public_url = "https://prompts.example.com"

# "human" or "json" (ANVIL_LOG_FORMAT, --log-format).
log_format = "human"

# Whether anyone may register (ANVIL_REGISTRATION_ENABLED).
registration_enabled = true

# Secret key; generated into data_dir/secret_key (mode 0600) when unset (ANVIL_SECRET_KEY).
# secret_key = "..."

# Largest request body in bytes (ANVIL_MAX_BODY_BYTES).
max_body_bytes = 1048576

# Reverse proxies whose X-Forwarded-For is believed, comma-separated in ANVIL_TRUSTED_PROXIES.
trusted_proxies = []

# Seconds in-flight requests get to finish on shutdown (ANVIL_SHUTDOWN_GRACE_SECONDS).
shutdown_grace_seconds = 30

# Seconds between heartbeat comments on an idle /api/v1/events stream, so proxies keep it
# open (ANVIL_EVENTS_HEARTBEAT_SECONDS).
events_heartbeat_seconds = 15

# SMTP server for outgoing mail (ANVIL_SMTP_URL); unset writes each message to
# data_dir/outbox as an .eml file.
# smtp_url = "smtp://user:password@smtp.example.com:587?tls=required"

# Sender of Anvil's mail (ANVIL_MAIL_FROM).
mail_from = "Anvil <no-reply@localhost>"

# Request limits per credential (per client address without one): "on" or "off"
# (ANVIL_RATE_LIMITS). Every response carries X-RateLimit-Limit/-Remaining/-Reset.
rate_limits = "on"
# Management routes per hour (ANVIL_RATE_LIMIT_STANDARD_PER_HOUR).
rate_limit_standard_per_hour = 1000
# Rendering the working copy per hour (ANVIL_RATE_LIMIT_RENDER_PER_HOUR).
rate_limit_render_per_hour = 10000
# Bundle imports per hour (ANVIL_RATE_LIMIT_BULK_PER_HOUR).
rate_limit_bulk_per_hour = 100
# Resolve and render by address: per second, with bursts
# (ANVIL_RATE_LIMIT_DELIVERY_PER_SECOND, ANVIL_RATE_LIMIT_DELIVERY_BURST).
rate_limit_delivery_per_second = 100
rate_limit_delivery_burst = 1000
# Template validation and previews from a signed-in browser (the editor calls them on
# every keystroke): per session and second, with bursts
# (ANVIL_RATE_LIMIT_EDITOR_PER_SECOND, ANVIL_RATE_LIMIT_EDITOR_BURST).
rate_limit_editor_per_second = 20
rate_limit_editor_burst = 60

# Origins allowed to call the API from browsers (CORS), comma-separated in
# ANVIL_CORS_ALLOWED_ORIGINS. Empty: no cross-origin access.
cors_allowed_origins = []

# Webhooks may not target loopback, link-local or private addresses, except these hosts
# (comma-separated in ANVIL_WEBHOOK_ALLOWED_HOSTS), e.g. ["hooks.internal", "10.0.0.7"].
webhook_allowed_hosts = []

# The version spec MCP clients list and render prompts at (ANVIL_MCP_SPEC): a channel, a
# range like "^1.2" or "stable". A client can pick another with /mcp?spec=...
mcp_spec = "stable"
"#;

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_env<T: std::str::FromStr>(name: &str) -> Result<Option<T>, ConfigError>
where
    T::Err: fmt::Display,
{
    env_var(name)
        .map(|v| {
            v.parse::<T>().map_err(|e| ConfigError::Env {
                name: name.to_string(),
                message: e.to_string(),
            })
        })
        .transpose()
}

fn parse_enum<T: for<'de> Deserialize<'de>>(name: &str) -> Result<Option<T>, ConfigError> {
    env_var(name)
        .map(|v| {
            T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&v))
                .map_err(|e| ConfigError::Env {
                    name: name.to_string(),
                    message: e.to_string(),
                })
        })
        .transpose()
}

impl Config {
    /// Loads the layers: `file` (or `./anvil.toml` when present), environment, overrides.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut c = match file {
            Some(p) => Config::from_file(p)?,
            None if Path::new("anvil.toml").exists() => Config::from_file(Path::new("anvil.toml"))?,
            None => Config::default(),
        };
        c.apply_env()?;
        if let Some(b) = overrides.bind {
            c.bind = b;
        }
        if let Some(d) = &overrides.data_dir {
            c.data_dir = d.clone();
        }
        if let Some(f) = overrides.log_format {
            c.log_format = f;
        }
        c.validate()?;
        Ok(c)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Some(v) = parse_env("ANVIL_BIND")? {
            self.bind = v;
        }
        if let Some(v) = env_var("ANVIL_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env_var("ANVIL_DATABASE_URL").or_else(|| env_var("DATABASE_URL")) {
            self.database_url = Some(Secret::new(v));
        }
        if let Some(v) = parse_enum("ANVIL_ENV")? {
            self.env = v;
        }
        if let Some(v) = env_var("ANVIL_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = parse_enum("ANVIL_LOG_FORMAT")? {
            self.log_format = v;
        }
        if let Some(v) = parse_env("ANVIL_REGISTRATION_ENABLED")? {
            self.registration_enabled = v;
        }
        if let Some(v) = env_var("ANVIL_SECRET_KEY") {
            self.secret_key = Some(Secret::new(v));
        }
        if let Some(v) = parse_env("ANVIL_MAX_BODY_BYTES")? {
            self.max_body_bytes = v;
        }
        if let Some(v) = env_var("ANVIL_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .map_err(|e: std::net::AddrParseError| ConfigError::Env {
                            name: "ANVIL_TRUSTED_PROXIES".to_string(),
                            message: format!("{s}: {e}"),
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = parse_env("ANVIL_SHUTDOWN_GRACE_SECONDS")? {
            self.shutdown_grace_seconds = v;
        }
        if let Some(v) = parse_env("ANVIL_EVENTS_HEARTBEAT_SECONDS")? {
            self.events_heartbeat_seconds = v;
        }
        if let Some(v) = env_var("ANVIL_SMTP_URL") {
            self.smtp_url = Some(Secret::new(v));
        }
        if let Some(v) = env_var("ANVIL_MCP_SPEC") {
            self.mcp_spec = v;
        }
        if let Some(v) = env_var("ANVIL_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = parse_enum("ANVIL_RATE_LIMITS")? {
            self.rate_limits = v;
        }
        for (name, slot) in [
            (
                "ANVIL_RATE_LIMIT_STANDARD_PER_HOUR",
                &mut self.rate_limit_standard_per_hour,
            ),
            (
                "ANVIL_RATE_LIMIT_RENDER_PER_HOUR",
                &mut self.rate_limit_render_per_hour,
            ),
            (
                "ANVIL_RATE_LIMIT_BULK_PER_HOUR",
                &mut self.rate_limit_bulk_per_hour,
            ),
            (
                "ANVIL_RATE_LIMIT_DELIVERY_PER_SECOND",
                &mut self.rate_limit_delivery_per_second,
            ),
            (
                "ANVIL_RATE_LIMIT_DELIVERY_BURST",
                &mut self.rate_limit_delivery_burst,
            ),
            (
                "ANVIL_RATE_LIMIT_EDITOR_PER_SECOND",
                &mut self.rate_limit_editor_per_second,
            ),
            (
                "ANVIL_RATE_LIMIT_EDITOR_BURST",
                &mut self.rate_limit_editor_burst,
            ),
        ] {
            if let Some(v) = parse_env(name)? {
                *slot = v;
            }
        }
        if let Some(v) = env_var("ANVIL_WEBHOOK_ALLOWED_HOSTS") {
            self.webhook_allowed_hosts = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = env_var("ANVIL_CORS_ALLOWED_ORIGINS") {
            self.cors_allowed_origins = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.env == Environment::Production && self.public_url.is_none() {
            return Err(ConfigError::Invalid(
                "env = \"production\" requires public_url (ANVIL_PUBLIC_URL)".to_string(),
            ));
        }
        let limits = [
            self.rate_limit_standard_per_hour,
            self.rate_limit_render_per_hour,
            self.rate_limit_bulk_per_hour,
            self.rate_limit_delivery_per_second,
            self.rate_limit_delivery_burst,
            self.rate_limit_editor_per_second,
            self.rate_limit_editor_burst,
        ];
        if limits.contains(&0) {
            return Err(ConfigError::Invalid(
                "rate limits must be at least 1 (use rate_limits = \"off\" to disable them)"
                    .to_string(),
            ));
        }
        if !(1..=3600).contains(&self.events_heartbeat_seconds) {
            return Err(ConfigError::Invalid(
                "events_heartbeat_seconds must be from 1 to 3600".to_string(),
            ));
        }
        if let Err(e) = anvil_core::version::VersionSpec::parse(&self.mcp_spec) {
            return Err(ConfigError::Invalid(format!(
                "mcp_spec: '{}' is not a version spec ({e})",
                self.mcp_spec
            )));
        }
        for o in &self.cors_allowed_origins {
            if axum::http::HeaderValue::from_str(o).is_err()
                || !(o.starts_with("http://") || o.starts_with("https://"))
                || o.ends_with('/')
            {
                return Err(ConfigError::Invalid(format!(
                    "cors_allowed_origins: '{o}' is not an origin like https://app.example.com"
                )));
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".to_string(),
            ));
        }
        Ok(())
    }

    /// Whether cookies must carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_is_the_default() {
        let parsed: Config = toml::from_str(DEFAULT_TOML).expect("DEFAULT_TOML parses");
        let d = Config::default();
        assert_eq!(parsed.bind, d.bind);
        assert_eq!(parsed.data_dir, d.data_dir);
        assert_eq!(parsed.max_body_bytes, d.max_body_bytes);
        assert_eq!(parsed.registration_enabled, d.registration_enabled);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config {
            database_url: Some(Secret::new("postgres://user:hunter2@db/anvil")),
            secret_key: Some(Secret::new("topsecret")),
            smtp_url: Some(Secret::new("smtp://u:mailpass@host")),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("topsecret"),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let e = toml::from_str::<Config>("bnid = \"1.2.3.4:5\"").expect_err("unknown key");
        assert!(e.to_string().contains("bnid"), "{e}");
    }
}

//! What can go wrong, naming the address and the cause.

/// An SDK error. Every variant names what it is about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("client configuration: {0}")]
    Config(String),
    #[error("'{address}' is not an address: {message}")]
    InvalidAddress { address: String, message: String },
    #[error("{address}: {message}")]
    NotFound { address: String, message: String },
    #[error("{address}: invalid variables: {}", problems.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    InvalidVariables {
        address: String,
        /// (variable, what is wrong with it)
        problems: Vec<(String, String)>,
    },
    /// The forge refused a request as invalid (400/422), naming each field.
    #[error("{address}: {message}{}", problems.iter().map(|(f, m)| format!("\n  {f}: {m}")).collect::<String>())]
    Invalid {
        address: String,
        message: String,
        /// (field, what is wrong with it)
        problems: Vec<(String, String)>,
    },
    #[error("{address}: {message}")]
    Render { address: String, message: String },
    #[error("the forge at {url} cannot be reached: {message}")]
    Unreachable { url: String, message: String },
    #[error("{address}: the forge refused the request ({status}): {message}")]
    Refused {
        address: String,
        status: u16,
        message: String,
    },
    #[error("{address}: the content does not match its checksum {expected}; not served")]
    Checksum { address: String, expected: String },
}

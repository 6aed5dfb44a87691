//! The forge's own commands: `serve`, `migrate`, `admin`, `config`.

use std::path::PathBuf;

use anvil_server::config::{self, Config, LogFormat, Overrides};
use anvil_server::{Forge, db, server, telemetry};
use clap::{Subcommand, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

#[derive(Subcommand)]
pub enum ForgeCommand {
    /// Run the forge: migrate the database, then serve the API.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:4000 (env ANVIL_BIND).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        /// Directory for the SQLite database and generated files (env ANVIL_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, value_enum)]
        log_format: Option<LogFormatArg>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Operator commands that act directly on the database.
    Admin {
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print configuration.
    Config {
        /// Print a commented example anvil.toml with every default.
        #[arg(long)]
        default: bool,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a confirmed account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Make the account an owner of this organisation (by slug), creating it if needed.
        #[arg(long)]
        owner_of: Option<String>,
    },
    /// Set a new password (read from standard input) and end every session of the account.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

/// One line from standard input (the password), without its line ending.
fn read_password() -> Result<String, String> {
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn describe(e: anvil_server::domain::Error) -> String {
    match e {
        anvil_server::domain::Error::Validation(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn load(cli_config: Option<&std::path::Path>, overrides: &Overrides) -> Result<Config, String> {
    Config::load(cli_config, overrides).map_err(|e| format!("configuration: {e}"))
}

pub async fn run(
    config_path: Option<&std::path::Path>,
    command: ForgeCommand,
) -> Result<(), String> {
    match command {
        ForgeCommand::Serve {
            bind,
            data_dir,
            log_format,
        } => {
            let overrides = Overrides {
                bind,
                data_dir,
                log_format: log_format.map(|f| match f {
                    LogFormatArg::Human => LogFormat::Human,
                    LogFormatArg::Json => LogFormat::Json,
                }),
            };
            let config = load(config_path, &overrides)?;
            telemetry::init(config.log_format);
            let forge = Forge::build(config).await.map_err(|e| e.to_string())?;
            let backend = db::backend_name(&forge.state().db);
            if let Some(addr) = forge.local_addr() {
                tracing::info!(%addr, backend, "Anvil forge listening");
                println!("Anvil forge listening on http://{addr} ({backend})");
            }
            forge
                .run_until(server::shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
        ForgeCommand::Migrate { data_dir } => {
            let overrides = Overrides {
                data_dir,
                ..Overrides::default()
            };
            let config = load(config_path, &overrides)?;
            telemetry::init(config.log_format);
            let conn = db::connect(&config).await.map_err(|e| e.to_string())?;
            db::migrate(&conn).await.map_err(|e| e.to_string())?;
            println!("migrations applied ({})", db::backend_name(&conn));
            Ok(())
        }
        ForgeCommand::Admin { data_dir, command } => {
            let overrides = Overrides {
                data_dir,
                ..Overrides::default()
            };
            let config = load(config_path, &overrides)?;
            let conn = db::connect(&config).await.map_err(|e| e.to_string())?;
            db::migrate(&conn).await.map_err(|e| e.to_string())?;
            match command {
                AdminCommand::CreateUser {
                    email,
                    name,
                    owner_of,
                } => {
                    let password = read_password()?;
                    let (user, org) = anvil_server::domain::admin::create_user(
                        &conn,
                        &email,
                        name,
                        password,
                        owner_of.as_deref(),
                    )
                    .await
                    .map_err(describe)?;
                    match org {
                        Some(o) => println!("created {} (owner of {})", user.email, o.slug),
                        None => println!("created {}", user.email),
                    }
                }
                AdminCommand::ResetPassword { email } => {
                    let password = read_password()?;
                    let user = anvil_server::domain::admin::reset_password(&conn, &email, password)
                        .await
                        .map_err(describe)?;
                    println!("password reset for {}; all sessions ended", user.email);
                }
            }
            Ok(())
        }
        ForgeCommand::Config { default } => {
            if default {
                print!("{}", config::DEFAULT_TOML);
                Ok(())
            } else {
                let config = load(config_path, &Overrides::default())?;
                println!("{config:#?}");
                Ok(())
            }
        }
    }
}

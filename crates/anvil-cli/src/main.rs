//! `anvil`: runs the forge (`serve`, `migrate`, `admin`, `config`) and talks to one (`login`,
//! `get`, `render`, `publish`, `pull`, `push`, ...; see `client`).

mod client;
mod forge;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use client::Output;
use forge::ForgeCommand;

// The request path allocates many small, short-lived values across threads; mimalloc serves
// them faster than glibc's allocator (see BENCHMARKS.md, delivery).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "anvil",
    version,
    about = "Anvil: a self-hosted prompt registry",
    after_help = "Client commands use the forge and key of `anvil login`, or ANVIL_URL and ANVIL_API_KEY.\nExit codes: 0 ok, 1 server or network error, 2 usage error, 3 not found, 4 validation error."
)]
struct Cli {
    /// The forge's configuration file (default: ./anvil.toml when present).
    #[arg(long, global = true, env = "ANVIL_CONFIG")]
    config: Option<PathBuf>,
    /// Print results as JSON (one document, or one per line for `watch`).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnConflict {
    Fail,
    Skip,
    Rename,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Forge(ForgeCommand),
    /// Check an API key against a forge and store both (0600, in the user's config directory);
    /// the key is read from standard input or ANVIL_API_KEY.
    Login {
        /// The forge's URL (or ANVIL_URL).
        url: Option<String>,
    },
    /// Who the stored key belongs to, and where.
    Whoami,
    /// Show a prompt set (project/set@spec) or one prompt (project/set@spec/prompt).
    Get { address: String },
    /// Render a prompt; standard output is exactly the rendered text.
    Render {
        address: String,
        /// A variable, read by its parameter's type (strings as they are, others as JSON).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// A JSON object of variables (--var wins).
        #[arg(long = "vars", value_name = "FILE")]
        vars_file: Option<PathBuf>,
    },
    /// The versions and channels of a set (project/set).
    Versions { set: String },
    /// What changed between two versions of a set (labels, or `working`).
    Diff {
        set: String,
        from: String,
        to: String,
    },
    /// Cut a version of a set's working copy, and optionally move a channel to it.
    Publish {
        set: String,
        /// The label (default: the forge's suggestion from the change).
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Move this channel (production, staging, ...) to the new version.
        #[arg(long)]
        channel: Option<String>,
    },
    /// Write a bundle: a project's (support) or a set's (support/emails[@version]).
    Export {
        address: String,
        /// The file to write (`-` for standard output).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Import a bundle file.
    Import {
        file: PathBuf,
        /// Report what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value = "fail")]
        on_conflict: OnConflict,
        /// The project (slug) the bundle's own project goes into.
        #[arg(long)]
        project: Option<String>,
    },
    /// Write sets as a directory for Git (anvil.set.toml + one .liquid per prompt): a project,
    /// a set's working copy (project/set), or a version (project/set@1.2.0).
    Pull { address: String, dir: PathBuf },
    /// Make the working copies on the forge what a pulled directory says (after showing the
    /// changes and asking; --yes to skip). Never cuts a version.
    Push {
        dir: PathBuf,
        #[arg(long)]
        yes: bool,
    },
    /// Refresh a cache directory the SDKs read at start (for offline use), adding ADDRESSES.
    Sync {
        dir: PathBuf,
        addresses: Vec<String>,
    },
    /// Print a project's events as they happen.
    Watch { project: String },
}

async fn client(command: Command, out: Output) -> client::Outcome {
    use client::{credentials, live, read, tree, write};
    match command {
        Command::Forge(_) => Ok(()),
        Command::Login { url } => credentials::login(url, out).await,
        Command::Whoami => credentials::whoami(out).await,
        Command::Get { address } => read::get(&address, out).await,
        Command::Render {
            address,
            vars,
            vars_file,
        } => read::render(&address, &vars, vars_file, out).await,
        Command::Versions { set } => read::versions(&set, out).await,
        Command::Diff { set, from, to } => read::diff(&set, &from, &to, out).await,
        Command::Publish {
            set,
            label,
            description,
            channel,
        } => write::publish(&set, label, description, channel, out).await,
        Command::Export { address, output } => write::export(&address, &output, out).await,
        Command::Import {
            file,
            dry_run,
            on_conflict,
            project,
        } => {
            let on_conflict = match on_conflict {
                OnConflict::Fail => "fail",
                OnConflict::Skip => "skip",
                OnConflict::Rename => "rename",
            };
            write::import(&file, dry_run, on_conflict, project, out).await
        }
        Command::Pull { address, dir } => tree::pull(&address, &dir, out).await,
        Command::Push { dir, yes } => tree::push(&dir, yes, out).await,
        Command::Sync { dir, addresses } => live::sync(&dir, &addresses, out).await,
        Command::Watch { project } => live::watch(&project, out).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("anvil: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Forge(command) => {
            match runtime.block_on(forge::run(cli.config.as_deref(), command)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("anvil: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        command => match runtime.block_on(client(command, Output::new(cli.json))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(f) => {
                eprintln!("anvil: {}", f.message());
                f.exit_code()
            }
        },
    }
}

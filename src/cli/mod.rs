//! The command line: `quire serve`, `quire migrate`, `quire user ...`, `quire import`,
//! `quire export`.

pub mod export;
pub mod import;
pub mod user;

use clap::{Parser, Subcommand};

use crate::config::{Config, DbConfig, LogConfig};

/// Quire: a blog engine that runs as many stateless replicas as traffic needs.
///
/// Every flag can also be set through the environment variable named in its help.
#[derive(Debug, Parser)]
#[command(name = "quire", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogConfig,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server; applies pending migrations first.
    Serve(Box<Config>),
    /// Apply pending database migrations and exit.
    Migrate(DbConfig),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Import Markdown files and folders (Jekyll, Hugo, Zola, plain), a Ghost JSON export
    /// (`--ghost`) or a Quire JSON export. Validates everything first; writes in one transaction.
    Import(Box<import::ImportArgs>),
    /// Export every post, page, tag, staff profile, setting and redirect, re-importable with
    /// `quire import`.
    Export(Box<export::ExportArgs>),
}

impl Command {
    /// Runs the command to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Serve(config) => crate::app::run(*config).await,
            Command::Migrate(db) => {
                let pool = crate::db::connect(&db).await?;
                crate::db::migrate(&pool).await?;
                tracing::info!("migrations applied");
                Ok(())
            }
            Command::User(command) => command.run().await,
            Command::Import(args) => import::run(*args).await,
            Command::Export(args) => export::run(*args).await,
        }
    }
}

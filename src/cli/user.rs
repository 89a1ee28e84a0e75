//! `quire user create` and `quire user reset-link`: staff accounts from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::config::{DbConfig, SiteConfig};
use crate::domain::user::Email;
use crate::domain::user::Role;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account (the first Owner, or anyone later).
    Create(CreateUser),
    /// Print a one-time link (valid 72 hours) that lets a staff member choose a new password.
    /// Quire sends no email: pass the link on yourself.
    ResetLink(ResetLink),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    /// Email address; the account signs in with it.
    #[arg(long, env = "QUIRE_USER_EMAIL")]
    pub email: String,
    /// Display name, shown on posts and the author page.
    #[arg(long, env = "QUIRE_USER_NAME")]
    pub name: String,
    /// Role: owner, administrator, editor, author or contributor.
    #[arg(long, env = "QUIRE_USER_ROLE", value_enum)]
    pub role: Role,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long, env = "QUIRE_PASSWORD_STDIN")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub db: DbConfig,
}

#[derive(Debug, Args)]
pub struct ResetLink {
    /// Email address of the staff member.
    #[arg(long, env = "QUIRE_USER_EMAIL")]
    pub email: String,
    #[command(flatten)]
    pub site: SiteConfig,
    #[command(flatten)]
    pub db: DbConfig,
}

impl UserCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            UserCommand::Create(args) => create(args).await,
            UserCommand::ResetLink(args) => reset_link(args).await,
        }
    }
}

async fn create(args: CreateUser) -> anyhow::Result<()> {
    let email = Email::parse(&args.email)
        .map_err(|e| anyhow::anyhow!("--email: {e}"))?
        .into_string();
    let name = args.name.trim();
    if name.is_empty() {
        bail!("--name cannot be empty");
    }
    let password = read_password(args.password_stdin)?;
    crate::auth::check_password_strength(&password)
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let pool = crate::db::connect(&args.db).await?;
    crate::db::migrate(&pool).await?;
    let user = crate::staff::create_account(&pool, &email, name, args.role, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "created {} ({}) as {}",
        user.name,
        user.email,
        user.role.as_str()
    );
    Ok(())
}

async fn reset_link(args: ResetLink) -> anyhow::Result<()> {
    let email = Email::parse(&args.email)
        .map_err(|e| anyhow::anyhow!("--email: {e}"))?
        .into_string();
    args.site.validate()?;
    let pool = crate::db::connect(&args.db).await?;
    crate::db::migrate(&pool).await?;
    let Some(user) = crate::store::users::by_email(&pool, &email).await? else {
        bail!("no staff member has the email {email}");
    };
    let link = crate::staff::reset_link(&pool, args.site.site_url(), user.id).await?;
    // the link alone on stdout, so scripts can capture it
    println!("{link}");
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on; pass it with --password-stdin");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

//! `quire import`: Markdown trees, Ghost exports and Quire's own exports, from the command line.
//!
//! Reads everything, reports every invalid file with its line, then writes in one transaction.
//! Runs against any database (and media storage) with no server running: every replica shows
//! the result through the database's change notifications.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{DbConfig, MediaConfig, SiteConfig};
use crate::domain::post::PostStatus;
use crate::import::model::{Bundle, Problem};
use crate::import::write::{self, Action, Report};
use crate::import::{ghost, markdown};
use crate::media::Storage;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Markdown files or folders (a Jekyll, Hugo or Zola site, or any folder of `.md` files), or
    /// a JSON export made by `quire export --format json`.
    #[arg(value_name = "PATH", required_unless_present = "ghost")]
    pub paths: Vec<PathBuf>,
    /// A Ghost JSON export (Ghost 1.x to 6.x, from Ghost's Labs → Export content).
    #[arg(long, value_name = "FILE.json", env = "QUIRE_IMPORT_GHOST")]
    pub ghost: Option<PathBuf>,
    /// Ghost's `content/images` folder: images the export's posts show from it are uploaded
    /// to Quire's media storage and their links rewritten, like a Markdown tree's images.
    #[arg(
        long,
        value_name = "DIR",
        requires = "ghost",
        env = "QUIRE_IMPORT_GHOST_IMAGES"
    )]
    pub ghost_images: Option<PathBuf>,
    /// Report what would be created, updated or left unchanged, and write nothing.
    #[arg(long, env = "QUIRE_IMPORT_DRY_RUN")]
    pub dry_run: bool,
    /// Give every imported post this status instead of the one its source says.
    #[arg(long, value_enum, env = "QUIRE_IMPORT_STATUS")]
    pub status: Option<StatusOverride>,
    /// Author of posts that name none, by email or slug. Defaults to the site's Owner.
    #[arg(long, env = "QUIRE_IMPORT_AUTHOR")]
    pub author: Option<String>,
    /// Import the valid files even when others are invalid (which are reported and counted as
    /// failed; the exit status is still non-zero).
    #[arg(long, env = "QUIRE_IMPORT_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// Never draw a progress bar, even on a terminal.
    #[arg(long, env = "QUIRE_IMPORT_NO_PROGRESS")]
    pub no_progress: bool,
    #[command(flatten)]
    pub site: SiteConfig,
    #[command(flatten)]
    pub db: DbConfig,
    #[command(flatten)]
    pub media: MediaConfig,
}

/// `--status`: what every imported post becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOverride {
    Draft,
    Published,
}

/// Everything read from the command line's inputs.
#[derive(Default)]
struct Input {
    bundle: Bundle,
    skipped: Vec<(String, String)>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    args.site.validate()?;
    args.media.validate()?;
    let started = Instant::now();
    let bar = progress_bar(!args.no_progress && std::io::stderr().is_terminal());

    let mut input = read_inputs(&args, &bar).await?;
    if let Some(dir) = &args.ghost_images {
        if !dir.is_dir() {
            bail!("--ghost-images {}: not a folder", dir.display());
        }
        attach_ghost_images(&mut input.bundle, dir);
    }
    let pool = crate::db::connect(&args.db).await?;
    if args.dry_run {
        // a dry run writes nothing, not even the schema or the welcome content of a fresh
        // install (a real run would replace that content anyway)
        let migrated = crate::db::migrations_applied(&pool).await.unwrap_or(false);
        if !migrated {
            bail!(
                "the database has no up-to-date Quire schema, and a dry run writes nothing: \
                 run `quire migrate` first (or import without --dry-run)"
            );
        }
    } else {
        crate::db::migrate(&pool).await?;
    }
    let storage = Storage::from_media_config(&args.media, &args.db.data_dir).await?;
    let options = write::Options {
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        status: args.status.map(|s| match s {
            StatusOverride::Draft => PostStatus::Draft,
            StatusOverride::Published => PostStatus::Published,
        }),
        default_author: args.author.clone(),
        site_url: args.site.site_url().to_owned(),
    };
    let posts = input.bundle.posts.len();
    bar.set_length(posts as u64);
    bar.set_position(posts as u64);

    let step = |what: &str| {
        tracing::debug!(
            step = what,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "import"
        );
        bar.set_message(what.to_owned());
    };
    let result = write::import(
        &pool,
        &storage,
        input.bundle,
        input.problems,
        &options,
        &step,
    )
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(failed) => {
            for p in &failed.problems {
                eprintln!("{p}");
            }
            return Err(failed.error.context("nothing was written"));
        }
    };

    for p in &report.problems {
        eprintln!("{p}");
    }
    let failed: HashSet<&str> = report.problems.iter().map(|p| p.source.as_str()).collect();
    let failed = failed.len();
    if failed > 0 && !args.skip_invalid {
        bail!(
            "{failed} invalid file(s); nothing was written (use --skip-invalid to import the rest)"
        );
    }

    let mut out = std::io::stdout().lock();
    let printed = print_summary(
        &report,
        &input.skipped,
        &input.warnings,
        failed,
        args.dry_run,
        posts,
        &mut out,
    )
    .and_then(|()| {
        if !args.dry_run && report.committed {
            writeln!(
                out,
                "Imported in {:.1?}: every replica shows it within a second.",
                round(started.elapsed())
            )?;
        }
        out.flush()
    });
    // a closed pipe (`quire import ... | head`) is the reader's choice, not a failure
    if let Err(e) = printed
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("writing the summary");
    }
    if failed > 0 {
        if args.dry_run {
            bail!("{failed} file(s) failed; nothing was written");
        } else if report.committed {
            bail!("{failed} file(s) failed; the others were imported");
        } else {
            bail!("{failed} file(s) failed; nothing changed");
        }
    }
    Ok(())
}

fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Reads the Ghost export, JSON exports and Markdown files and folders into one bundle.
async fn read_inputs(args: &ImportArgs, bar: &ProgressBar) -> anyhow::Result<Input> {
    let mut input = Input::default();
    let mut markdown_paths = Vec::new();
    let mut json_paths: Vec<PathBuf> = args.ghost.iter().cloned().collect();
    for path in &args.paths {
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json && path.is_file() {
            json_paths.push(path.clone());
        } else {
            markdown_paths.push(path.clone());
        }
    }
    for path in json_paths {
        bar.set_message(format!("reading {}", path.display()));
        let path2 = path.clone();
        let read = tokio::task::spawn_blocking(move || read_json(&path2))
            .await
            .context("reading a JSON export")?;
        match read {
            Ok(bundle) => merge(&mut input.bundle, bundle),
            Err(mut problems) => input.problems.append(&mut problems),
        }
    }
    if !markdown_paths.is_empty() {
        let counting = markdown_paths.clone();
        let total = tokio::task::spawn_blocking(move || markdown::count(&counting)).await?;
        bar.set_length(total as u64);
        bar.set_message("reading Markdown");
        let tick = bar.clone();
        let read =
            tokio::task::spawn_blocking(move || markdown::read(&markdown_paths, &|| tick.inc(1)))
                .await?;
        merge(&mut input.bundle, read.bundle);
        input.skipped = read.skipped;
        input.problems.extend(read.problems);
        input.warnings = read.warnings;
    }
    Ok(input)
}

/// A JSON file: Quire's own export (a top-level `quire` key) or a Ghost export.
fn read_json(path: &Path) -> Result<Bundle, Vec<Problem>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![Problem::new(&shown, None, format!("cannot read: {e}"))])?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        vec![Problem::new(
            &shown,
            Some(e.line()),
            format!("not valid JSON: {e}"),
        )]
    })?;
    if value.get("quire").is_none() {
        // Ghost's `__GHOST_URL__/content/images/x.png` becomes the site path
        // `/content/images/x.png`: links keep working whatever the new site's address
        return ghost::read(path, "");
    }
    let mut bundle: Bundle = serde_json::from_value(value).map_err(|e| {
        vec![Problem::new(
            &shown,
            None,
            format!("not a Quire export: {e}"),
        )]
    })?;
    for (i, post) in bundle.posts.iter_mut().enumerate() {
        post.origin = format!("{shown}: posts[{i}] ({})", post.slug);
    }
    Ok(bundle)
}

/// Points the posts' `/content/images/...` references (Ghost's own images, in any of the
/// sizes Ghost made of them) at the files of Ghost's images folder, for the writer to upload.
fn attach_ghost_images(bundle: &mut Bundle, dir: &Path) {
    for post in &mut bundle.posts {
        // Markdown images and the `<img>`s of cards kept as HTML alike
        static GHOST_IMAGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r#"/content/images/[^\s"'()<>\]\[]+"#).expect("a valid pattern")
        });
        let mut references: Vec<String> = GHOST_IMAGE
            .find_iter(&post.markdown)
            .map(|m| m.as_str().to_owned())
            .collect();
        references.extend(post.feature_image.clone());
        for reference in references {
            let Some(rest) = reference.strip_prefix("/content/images/") else {
                continue;
            };
            // `size/w600/2023/05/x.jpg` is a resized copy of `2023/05/x.jpg`
            let original = match rest.strip_prefix("size/").and_then(|r| r.split_once('/')) {
                Some((_, original)) => original,
                None => rest,
            };
            let original = original.split(['?', '#']).next().unwrap_or(original);
            if original.split('/').any(|part| part == "..") {
                continue;
            }
            let file = dir.join(original);
            if file.is_file() && !post.local_images.iter().any(|i| i.reference == reference) {
                post.local_images.push(crate::import::model::LocalImage {
                    reference,
                    path: file,
                });
            }
        }
    }
}

fn merge(into: &mut Bundle, from: Bundle) {
    into.users.extend(from.users);
    into.tags.extend(from.tags);
    into.posts.extend(from.posts);
    into.redirects.extend(from.redirects);
    into.settings.extend(from.settings);
    into.media.extend(from.media);
}

/// Prints what the run did. Every Markdown file read is on exactly one row: created, updated,
/// unchanged, skipped (each listed with its reason) or failed (each reported on stderr).
fn print_summary(
    report: &Report,
    skipped: &[(String, String)],
    warnings: &[Problem],
    failed: usize,
    dry_run: bool,
    read: usize,
    mut out: impl Write,
) -> std::io::Result<()> {
    if dry_run {
        writeln!(
            out,
            "Dry run: nothing was written. A real run would do this:"
        )?;
        for p in &report.posts {
            let verb = match p.action {
                Action::Created => "create",
                Action::Updated => "update",
                Action::Unchanged => continue,
            };
            let kind = match p.kind {
                crate::domain::post::PostType::Post => "post",
                crate::domain::post::PostType::Page => "page",
            };
            writeln!(out, "  {verb} {kind} /{}/  ({})", p.slug, p.origin)?;
        }
    }
    if !skipped.is_empty() {
        writeln!(out, "Skipped:")?;
        for (path, reason) in skipped {
            writeln!(out, "  {path}: {reason}")?;
        }
    }
    if !warnings.is_empty() {
        writeln!(out, "Warnings (imported, but check these):")?;
        for warning in warnings {
            writeln!(out, "  {warning}")?;
        }
    }
    let rows = [
        ("created", report.count(Action::Created)),
        ("updated", report.count(Action::Updated)),
        ("unchanged", report.count(Action::Unchanged)),
        ("skipped", skipped.len()),
        ("failed", failed),
    ];
    for (label, n) in rows {
        writeln!(out, "{label:<10}{n:>6}")?;
    }
    writeln!(
        out,
        "tags: {} new · authors: {} new · images: {} {}, {} already stored · redirects: {} · settings: {}",
        report.tags_created,
        report.authors_created,
        report.images_uploaded,
        if dry_run { "to upload" } else { "uploaded" },
        report.images_reused,
        report.redirects_written,
        report.settings_written
    )?;
    if report.seed_replaced {
        writeln!(
            out,
            "The welcome post and About page of the fresh install {} replaced by the imported site.",
            if dry_run { "would be" } else { "were" }
        )?;
    }
    if report.media_linked > 0 {
        writeln!(
            out,
            "media library: {} image(s) {} from the export (their files stay in the media storage)",
            report.media_linked,
            if dry_run { "to re-link" } else { "re-linked" }
        )?;
    }
    if !report.reset_links.is_empty() {
        writeln!(
            out,
            "New staff accounts have no password; send each their link (valid 72 hours):"
        )?;
        for (who, link) in &report.reset_links {
            writeln!(out, "  {who}: {link}")?;
        }
    }
    if !dry_run && !report.committed {
        if failed == 0 {
            writeln!(
                out,
                "Nothing changed: all {read} posts and pages are up to date."
            )?;
        } else {
            writeln!(
                out,
                "Nothing changed: the valid posts and pages are up to date."
            )?;
        }
    }
    Ok(())
}

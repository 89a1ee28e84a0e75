//! `quire export`: the whole site as a JSON file or a Markdown tree, re-importable with
//! `quire import`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::config::{DbConfig, SiteConfig};
use crate::export;

#[derive(Debug, Args)]
#[command(after_help = "\
Both formats hold every post and page (in every status, with all their fields), the tags, the \
staff profiles (without passwords: imported accounts choose one through a one-time link), the \
settings and the redirects. `quire import OUT` into an empty database gives the same site.

Images are not copied: the content keeps its URLs, which point at the media storage \
(QUIRE_DATA_DIR/content/images or the S3 bucket). Keep that storage, or copy it along.")]
pub struct ExportArgs {
    /// `json`: one file holding everything. `markdown`: a folder with `posts/SLUG.md` and
    /// `pages/SLUG.md` (YAML front matter, then the Markdown) and `quire-site.json` (staff,
    /// tags, settings, redirects).
    // its own id: `format` is already the global `--log-format`'s
    #[arg(
        id = "export_format",
        long = "format",
        value_name = "FORMAT",
        value_enum,
        env = "QUIRE_EXPORT_FORMAT"
    )]
    pub format: ExportFormat,
    /// Where to write: a file for `json` (`-` for standard output; an existing file is
    /// replaced), a new or empty folder for `markdown`. Name a JSON export `*.json`: that is how
    /// `quire import` recognises it.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    #[command(flatten)]
    pub site: SiteConfig,
    #[command(flatten)]
    pub db: DbConfig,
}

/// `--format`: how the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON file, the exact model an import reads.
    Json,
    /// A folder of Markdown files with front matter, plus `quire-site.json`.
    Markdown,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    args.site.validate()?;
    let to_stdout = args.out.as_os_str() == "-";
    if args.format == ExportFormat::Markdown {
        if to_stdout {
            anyhow::bail!("a Markdown export is a folder: name it instead of `-`");
        }
        // refuse before connecting: nothing is read for an export that cannot be written
        export::check_folder(&args.out)?;
    }
    let pool = crate::db::connect(&args.db).await?;
    crate::db::migrate(&pool).await?;
    let bundle = export::bundle(&pool).await?;
    let counts = export::Counts::of(&bundle);
    match args.format {
        ExportFormat::Json => {
            let text = export::to_json(&bundle, args.site.site_url(), chrono::Utc::now())?;
            export::write_file(&args.out, &text)?;
        }
        ExportFormat::Markdown => export::write_markdown(&bundle, &args.out)?,
    }
    let summary = format!("exported {counts} to {}", shown(&args));
    // standard output carries the export itself when OUT is `-`
    if to_stdout {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(())
}

fn shown(args: &ExportArgs) -> String {
    if args.out.as_os_str() == "-" {
        "standard output".to_owned()
    } else {
        args.out.display().to_string()
    }
}

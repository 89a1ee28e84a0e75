//! Builds the embedded bundles: every file under `static/` and under each built-in theme's
//! `assets/` is minified (CSS with lightningcss, JS with minify-js), named by a hash of its
//! content, precompressed (gzip and brotli) and written to `$OUT_DIR`, with a generated table
//! (`assets.rs`) that `include_bytes!`s them. The themes' templates are embedded the same way.
//! Nothing outside `$OUT_DIR` is written.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    println!("cargo::rerun-if-changed=static");
    println!("cargo::rerun-if-changed=themes");
    println!("cargo::rerun-if-changed=migrations");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let bundle_dir = out_dir.join("bundles");
    fs::create_dir_all(&bundle_dir)?;

    let mut assets = Vec::new();
    // (logical name, source file): `admin/editor.js`, `theme/default/css/screen.css`
    let mut sources: Vec<(String, PathBuf)> = walk(Path::new("static"))?
        .into_iter()
        .map(|p| (rel(Path::new("static"), &p), p))
        .collect();
    let mut templates = Vec::new();
    for theme in dirs(Path::new("themes"))? {
        let name = file_name(&theme);
        let assets_dir = theme.join("assets");
        for p in walk(&assets_dir)? {
            sources.push((format!("theme/{name}/{}", rel(&assets_dir, &p)), p));
        }
        let templates_dir = theme.join("templates");
        for p in walk(&templates_dir)? {
            templates.push((name.clone(), rel(&templates_dir, &p), fs::canonicalize(&p)?));
        }
    }
    sources.sort();
    templates.sort();

    for (logical, src) in &sources {
        let raw = fs::read(src)?;
        let ext = src
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = match ext.as_str() {
            "css" => minify_css(src, &raw)?,
            "js" | "mjs" => minify_js(src, &raw)?,
            _ => raw,
        };
        let hash = hex(&Sha256::digest(&body)[..5]);
        let path = hashed_path(logical, &hash);
        let file = path.replace('/', "__");
        fs::write(bundle_dir.join(&file), &body)?;
        let compressible = matches!(
            ext.as_str(),
            "css" | "js" | "mjs" | "svg" | "json" | "txt" | "xml" | "map" | "html"
        );
        if compressible {
            fs::write(bundle_dir.join(format!("{file}.gz")), gzip(&body)?)?;
            fs::write(bundle_dir.join(format!("{file}.br")), brotli(&body)?)?;
        }
        assets.push((
            logical.clone(),
            path,
            file,
            content_type(&ext),
            compressible,
        ));
    }
    assets.sort_by(|a, b| a.1.cmp(&b.1));

    let mut code = String::new();
    writeln!(
        code,
        "/// Embedded bundles, sorted by `path` for binary search."
    )?;
    writeln!(code, "pub static ASSETS: &[Asset] = &[")?;
    for (logical, path, file, ctype, compressible) in &assets {
        let inc = |suffix: &str| {
            format!("include_bytes!(concat!(env!(\"OUT_DIR\"), \"/bundles/{file}{suffix}\"))")
        };
        let (gz, br) = if *compressible {
            (
                format!("Some({})", inc(".gz")),
                format!("Some({})", inc(".br")),
            )
        } else {
            ("None".to_owned(), "None".to_owned())
        };
        writeln!(
            code,
            "    Asset {{ logical: {logical:?}, path: {path:?}, content_type: {ctype:?}, body: {}, gzip: {gz}, brotli: {br} }},",
            inc("")
        )?;
    }
    writeln!(code, "];\n")?;
    writeln!(
        code,
        "/// Templates of the built-in themes: (theme, name, source)."
    )?;
    writeln!(
        code,
        "pub static THEME_TEMPLATES: &[(&str, &str, &str)] = &["
    )?;
    for (theme, name, path) in &templates {
        writeln!(
            code,
            "    ({theme:?}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
    }
    writeln!(code, "];")?;
    fs::write(out_dir.join("assets.rs"), code)?;
    Ok(())
}

fn minify_css(src: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
    let text = std::str::from_utf8(raw)?;
    let mut sheet = StyleSheet::parse(
        text,
        ParserOptions {
            filename: src.display().to_string(),
            ..Default::default()
        },
    )
    .map_err(|e| format!("{}: {e}", src.display()))?;
    sheet
        .minify(MinifyOptions::default())
        .map_err(|e| format!("{}: {e}", src.display()))?;
    let out = sheet
        .to_css(PrinterOptions {
            minify: true,
            ..Default::default()
        })
        .map_err(|e| format!("{}: {e}", src.display()))?;
    Ok(out.code.into_bytes())
}

fn minify_js(src: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    use minify_js::{Session, TopLevelMode, minify};
    // minify-js asserts on some valid inputs instead of answering an error; turn that into a
    // build error that names the file
    let result = std::panic::catch_unwind(|| {
        let session = Session::new();
        let mut out = Vec::with_capacity(raw.len());
        minify(&session, TopLevelMode::Global, raw, &mut out)
            .map(|()| out)
            .map_err(|e| format!("{e:?}"))
    });
    match result {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(format!("{}: JavaScript syntax error: {e}", src.display()).into()),
        Err(_) => Err(format!("{}: the JavaScript minifier (minify-js) crashed on this file; simplify the construct it reports above", src.display()).into()),
    }
}

fn gzip(body: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body)?;
    Ok(enc.finish()?)
}

fn brotli(body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)?;
    Ok(out)
}

/// `css/screen.css` + hash → `css/screen.HASH.css`.
fn hashed_path(logical: &str, hash: &str) -> String {
    let (dir, name) = logical
        .rsplit_once('/')
        .map_or(("", logical), |(d, n)| (d, n));
    let hashed = match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    };
    if dir.is_empty() {
        hashed
    } else {
        format!("{dir}/{hashed}")
    }
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = file_name(&path);
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

fn rel(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .expect("walked below base")
        .to_string_lossy()
        .replace('\\', "/")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

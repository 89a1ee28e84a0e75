//! Builds the embedded bundles: every file under `static/` and under each built-in theme's
//! `assets/` is minified (CSS with lightningcss, JS with minify-js), named by a hash of its
//! content, precompressed (gzip and brotli) and written to `$OUT_DIR`, with a generated table
//! (`assets.rs`) that `include_bytes!`s them. The themes' templates are embedded the same way.
//! Nothing outside `$OUT_DIR` is written.
//!
//! A script kept in parts ([`JOINED`]) is joined into one bundle first, in the order its
//! `parts.txt` lists; its parts are not served on their own.
//!
//! The tests at the end (`cargo test --test build`) also pin down what minify-js gets wrong,
//! which is why the admin script is written the way it is.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Scripts kept in parts: (logical name, folder of the parts under `static/`). The folder's
/// `parts.txt` lists the parts in the order they are joined, one path a line; blank lines and
/// lines starting with `#` are ignored.
const JOINED: &[(&str, &str)] = &[("admin/admin.js", "static/admin/src")];

fn main() -> Result<()> {
    println!("cargo::rerun-if-changed=static");
    println!("cargo::rerun-if-changed=themes");
    println!("cargo::rerun-if-changed=migrations");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let bundle_dir = out_dir.join("bundles");
    fs::create_dir_all(&bundle_dir)?;

    let mut assets = Vec::new();
    // (logical name, source file or folder of parts): `admin/admin.js`,
    // `theme/default/css/screen.css`
    let mut sources: Vec<(String, PathBuf)> = walk(Path::new("static"))?
        .into_iter()
        .filter(|p| !JOINED.iter().any(|(_, dir)| p.starts_with(dir)))
        .map(|p| (rel(Path::new("static"), &p), p))
        .collect();
    for (logical, dir) in JOINED {
        sources.push((logical.to_string(), PathBuf::from(dir)));
    }
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
        let ext = Path::new(logical)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = if src.is_dir() {
            let joined = join_parts(src)?;
            minify_js(&joined.text).map_err(|e| joined.describe(&e))?
        } else {
            let raw = fs::read(src)?;
            match ext.as_str() {
                "css" => minify_css(src, &raw)?,
                "js" | "mjs" => minify_js(&raw).map_err(|e| e.describe(src, &raw))?,
                _ => raw,
            }
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

/// Why minify-js gave no script.
#[derive(Debug)]
enum JsError {
    /// The source is not JavaScript it can parse; `at` is a byte offset into it.
    Syntax { at: usize, message: String },
    /// minify-js panicked: it asserts on some valid inputs instead of answering an error.
    Crash,
}

impl JsError {
    /// The error as a build message, placed in the file it came from.
    fn describe(&self, src: &Path, raw: &[u8]) -> Box<dyn Error> {
        match self {
            Self::Syntax { at, message } => format!(
                "{}:{}: JavaScript syntax error: {message}",
                src.display(),
                line_of(raw, *at)
            )
            .into(),
            Self::Crash => format!(
                "{}: the JavaScript minifier (minify-js) crashed on this file; simplify the construct it reports above (see the tests in build.rs)",
                src.display()
            )
            .into(),
        }
    }
}

fn minify_js(raw: &[u8]) -> std::result::Result<Vec<u8>, JsError> {
    use minify_js::{Session, TopLevelMode, minify};
    std::panic::catch_unwind(|| {
        let session = Session::new();
        let mut out = Vec::with_capacity(raw.len());
        minify(&session, TopLevelMode::Global, raw, &mut out)
            .map(|()| out)
            .map_err(|e| JsError::Syntax {
                at: e.source.start(),
                message: format!("{e:?}"),
            })
    })
    .unwrap_or(Err(JsError::Crash))
}

/// A script joined from parts.
struct Joined {
    dir: PathBuf,
    text: Vec<u8>,
    /// Where each part is in `text`, and its path, in order.
    parts: Vec<(Range<usize>, PathBuf)>,
}

impl Joined {
    /// A minify-js error, placed in the part it came from. minify-js reports an error inside
    /// the wrapping arrow function at the wrapper's start (it backtracks out of it), so each
    /// part, a script on its own, is minified alone to find the one at fault.
    fn describe(&self, error: &JsError) -> Box<dyn Error> {
        for (range, part) in &self.parts {
            let text = &self.text[range.clone()];
            if let Err(alone) = minify_js(text) {
                return alone.describe(part, text);
            }
        }
        error.describe(&self.dir, &self.text)
    }
}

/// Joins the parts `dir/parts.txt` lists, in its order, inside one function scope:
/// `(() => {` + parts + `})();`. Every `.js` file in `dir` must be listed, once.
fn join_parts(dir: &Path) -> Result<Joined> {
    let manifest = dir.join("parts.txt");
    let listing =
        fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let listed: Vec<&str> = listing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let on_disk: Vec<String> = walk(dir)?
        .iter()
        .map(|p| rel(dir, p))
        .filter(|p| p.ends_with(".js"))
        .collect();
    for name in &on_disk {
        match listed.iter().filter(|l| *l == name).count() {
            1 => {}
            0 => return Err(format!("{}: {name} is not listed", manifest.display()).into()),
            _ => return Err(format!("{}: {name} is listed twice", manifest.display()).into()),
        }
    }
    let mut joined = Joined {
        dir: dir.to_owned(),
        text: b"(() => {\n".to_vec(),
        parts: Vec::new(),
    };
    for name in listed {
        if !on_disk.iter().any(|p| p == name) {
            return Err(format!(
                "{}: {name} is not a script in {}",
                manifest.display(),
                dir.display()
            )
            .into());
        }
        let path = dir.join(name);
        let start = joined.text.len();
        joined.text.extend(fs::read(&path)?);
        if !joined.text.ends_with(b"\n") {
            joined.text.push(b'\n');
        }
        joined.parts.push((start..joined.text.len(), path));
    }
    joined.text.extend(b"})();\n");
    Ok(joined)
}

/// The line (from 1) that byte `at` of `text` is on.
fn line_of(text: &[u8], at: usize) -> usize {
    1 + text[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
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

/// What minify-js 0.6 gets wrong, shown on the smallest scripts that trip it, beside the way
/// the admin script avoids each. When minify-js is upgraded and one of these starts failing,
/// the construct it shows is safe again and the rule can go.
#[cfg(test)]
mod tests {
    use super::*;

    fn minified(js: &str) -> String {
        String::from_utf8(minify_js(js.as_bytes()).expect("minifies")).unwrap()
    }

    /// The "no `else`" rule: an `if … else` whose branches are plain statements, neither
    /// ending in `return`, makes minify-js fail an assertion while it turns them into one
    /// conditional expression. The build stops with [`JsError::Crash`].
    #[test]
    fn an_if_else_of_plain_statements_crashes_minify_js() {
        for js in [
            "const f = (a) => { if (a) { x(); } else { y(); } };",
            "const f = (a) => { if (a) x(); else y(); };",
            "const f = (a) => { for (const b of a) { if (b) { x(); } else { y(); } } };",
        ] {
            assert!(
                matches!(minify_js(js.as_bytes()), Err(JsError::Crash)),
                "{js}"
            );
        }
    }

    /// How the admin script says the same: an early return, or a conditional expression.
    #[test]
    fn an_early_return_or_a_conditional_expression_minifies_faithfully() {
        assert_eq!(
            minified("const f = (a) => { if (a) { x(); return; } y(); }; f(1);"),
            "const f=a=>{if(a)return x(),undefined;y()};f(1)"
        );
        assert_eq!(
            minified("const f = (a) => { (a ? x : y)(); }; f(1);"),
            "const f=a=>{(a?x:y)()};f(1)"
        );
        // an `else` after a branch that returns is fine too: it is the early return again
        assert_eq!(
            minified("const f = (a) => { if (a) { return 1; } else { y(); } return 2; }; f(1);"),
            "const f=a=>{if(a)return 1;y();return 2};f(1)"
        );
    }

    /// minify-js turns a `function` declaration into an arrow function, so `this` inside it
    /// becomes the enclosing scope's `this`. The admin script uses arrow functions and
    /// `event.currentTarget`, never `this`.
    #[test]
    fn this_in_a_function_declaration_is_rebound_by_minify_js() {
        assert_eq!(
            minified("(() => { function g() { return this.x; } window.g = g; })();"),
            "(()=>{var a=(()=>this.x);window.g=a})()"
        );
    }

    #[test]
    fn an_error_is_placed_in_the_part_it_is_in() {
        let dir = scratch("syntax");
        fs::write(dir.join("parts.txt"), "# order\na.js\n\nb/c.js\n").unwrap();
        fs::write(dir.join("a.js"), "const a = 1;\n").unwrap();
        fs::create_dir_all(dir.join("b")).unwrap();
        fs::write(dir.join("b/c.js"), "const c = 2;\nconst d = ;\n").unwrap();
        let joined = join_parts(&dir).unwrap();
        assert_eq!(
            String::from_utf8(joined.text.clone()).unwrap(),
            "(() => {\nconst a = 1;\nconst c = 2;\nconst d = ;\n})();\n"
        );
        let error = minify_js(&joined.text).unwrap_err();
        let message = joined.describe(&error).to_string();
        let expected = format!(
            "{}:2: JavaScript syntax error",
            dir.join("b/c.js").display()
        );
        assert!(message.starts_with(&expected), "{message}");
    }

    #[test]
    fn a_part_left_out_of_the_list_or_listed_twice_stops_the_build() {
        let dir = scratch("listing");
        fs::write(dir.join("a.js"), "const a = 1;\n").unwrap();
        fs::write(dir.join("b.js"), "const b = 1;\n").unwrap();
        fs::write(dir.join("parts.txt"), "a.js\n").unwrap();
        let error = join_parts(&dir).err().unwrap().to_string();
        assert!(error.ends_with("b.js is not listed"), "{error}");
        fs::write(dir.join("parts.txt"), "a.js\nb.js\na.js\n").unwrap();
        let error = join_parts(&dir).err().unwrap().to_string();
        assert!(error.ends_with("a.js is listed twice"), "{error}");
        fs::write(dir.join("parts.txt"), "a.js\nb.js\nc.js\n").unwrap();
        let error = join_parts(&dir).err().unwrap().to_string();
        assert!(error.contains("c.js is not a script in"), "{error}");
    }

    /// A fresh folder under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quire-build-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}

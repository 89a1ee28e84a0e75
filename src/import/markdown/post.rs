//! One file's post, step by step: what its place in the site says, why it may be skipped, its
//! slug, body, title, dates, status, kind and old addresses. `parse_file` runs the steps.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::conventions::{humanise, not_rendered, slug_of, split_dated_name, take_first_heading};
use super::fields::{DATE_KEYS, Fields};
use super::front_matter::Source;
use super::site::{Generator, Site, absolute, sections_of};
use crate::domain::post::{PostStatus, PostType};
use crate::domain::slug::Slug;
use crate::import::dates::parse_date_with_offset;
use crate::import::model::{PostDoc, Problem, RedirectDoc, SourceFile};
use crate::import::templates;
use crate::import::urls::{self, WrittenDate, alias_path};
use crate::render::markdown as md;

/// Files of a repository, not of the blog, when they have no front matter.
const REPOSITORY_FILES: &[&str] = &[
    "readme",
    "license",
    "licence",
    "changelog",
    "contributing",
    "code_of_conduct",
    "security",
];

/// What a file's place in the site says of it, before its front matter is read.
pub(super) struct Place<'a> {
    path: &'a Path,
    /// The file's stem without its language (`about.fr.md` → `about`).
    stem: String,
    /// The language its name ends in, else its folder's; none for the default one.
    lang: Option<String>,
    /// The folder the file's sections and address start from.
    content_root: &'a Path,
    /// In Jekyll's `_drafts`.
    in_drafts: bool,
    /// In Jekyll's `_posts`.
    in_posts: bool,
    /// A Hugo or Zola section index (`_index.md`): the text of a section's list page.
    pub(super) section_index: bool,
    /// The file's stem, or its page bundle's folder's name, with Jekyll's date if any.
    raw_name: String,
    /// The date in the name (`2019-03-04-hello-world`); none in a Quire export, whose file
    /// names carry no dates.
    name_date: Option<DateTime<Utc>>,
    /// The name without its date (`hello-world`).
    name_slug: String,
    /// The folders from the content folder to the file's section.
    sections: Vec<String>,
    /// The file's path from the content folder (`blog/_posts/2019-05-17-x.md`).
    rel: String,
}

impl<'a> Place<'a> {
    /// What `path`'s place in `site` says of it.
    pub(super) fn of(site: &'a Site, path: &'a Path) -> Place<'a> {
        let (stem, lang) = site.name_and_lang(path);
        let content_root = site.root_of(path);
        let in_dir = |name: &str| {
            path.strip_prefix(content_root)
                .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == name))
        };
        // a page bundle is named by its folder
        let bundle_dir = matches!(stem.as_str(), "index" | "_index")
            .then(|| path.parent())
            .flatten()
            .filter(|dir| *dir != content_root);
        let raw_name = match bundle_dir {
            Some(dir) => dir.file_name().and_then(|n| n.to_str()).unwrap_or(&stem),
            None => &stem,
        }
        .to_owned();
        let (name_date, name_slug) = split_dated_name(&raw_name);
        let name_date = name_date.filter(|_| !site.quire_export);
        let name_slug = name_slug.to_owned();
        let rel = path
            .strip_prefix(content_root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        Place {
            path,
            in_drafts: in_dir("_drafts"),
            in_posts: in_dir("_posts"),
            section_index: stem == "_index",
            stem,
            lang,
            content_root,
            raw_name,
            name_date,
            name_slug,
            sections: sections_of(site, path, bundle_dir),
            rel,
        }
    }

    /// Whether the file is directly in the content folder, in no section.
    fn at_content_root(&self) -> bool {
        self.path.parent() == Some(self.content_root)
    }

    /// What the import keeps of the file's place, to settle slugs and old addresses once every
    /// file is read.
    pub(super) fn into_source_file(
        self,
        explicit_slug: bool,
        generator_url: Option<String>,
    ) -> SourceFile {
        SourceFile {
            sections: self.sections,
            explicit_slug,
            name_date: self.name_date,
            generator_url,
            file: absolute(self.path),
            lang: self.lang,
        }
    }
}

/// The file's text without a byte order mark, or why it cannot be had.
pub(super) fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut text = String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// Why the file is not imported, when it is not: its language is disabled, it is a section
/// index Quire has no page for, a repository's file, or a page the generator does not render.
pub(super) fn skip_reason(
    site: &Site,
    place: &Place<'_>,
    source: &Source<'_>,
    inherited: &HashMap<String, String>,
) -> Option<String> {
    if let Some(code) = &place.lang
        && site
            .config
            .languages
            .iter()
            .any(|l| l.code == *code && l.disabled)
    {
        return Some(format!(
            "in the language `{code}`, which the site's configuration disables: the generator publishes nothing of it"
        ));
    }
    // Hugo's and Zola's section indexes: the text of the section's list page
    if place.section_index && (!site.content_dir || place.at_content_root()) {
        return Some(if site.content_dir {
            "the home page's index (_index.md): Quire's home page lists the posts".into()
        } else {
            "section index (_index.md): Quire makes its own archive pages".into()
        });
    }
    if !source.has_matter && REPOSITORY_FILES.contains(&place.stem.to_ascii_lowercase().as_str()) {
        let file_name = place
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        return Some(format!(
            "{file_name} without front matter is a repository file, not a post"
        ));
    }
    not_rendered(&source.fields, inherited)
}

/// The post's slug: front matter's `explicit` one as the generator would serve it (a Quire
/// export's exactly as written), else the page bundle's folder or the file's name without
/// Jekyll's date. Empty, with a problem, when front matter's cannot be a slug.
pub(super) fn slug(
    site: &Site,
    place: &Place<'_>,
    explicit: Option<&str>,
    fm: &mut Fields<'_>,
) -> String {
    match explicit {
        Some(s) if site.quire_export => match Slug::parse_top_level(s) {
            Ok(slug) => slug.to_string(),
            Err(e) => {
                fm.problem("slug", format!("slug `{s}`: {e}"));
                String::new()
            }
        },
        Some(s) => match slug_of(s) {
            Ok(slug) => slug,
            Err(e) => {
                fm.problem("slug", format!("slug `{s}`: {e}"));
                String::new()
            }
        },
        // a translation is told apart from the page in the default language by its code
        None => match &place.lang {
            Some(code)
                if site.config.in_language_dir(Some(code))
                    && *code != site.config.default_language =>
            {
                Slug::from_title(&format!("{}-{code}", place.name_slug)).to_string()
            }
            _ => Slug::from_title(&place.name_slug).to_string(),
        },
    }
}

/// The body with the generator's template tags rendered; what cannot be rendered is taken out
/// and reported with its line. A Quire export's body is Quire's own, kept as written.
pub(super) fn rendered_body(
    site: &Site,
    place: &Place<'_>,
    source: &Source<'_>,
    shown: &str,
    warnings: &mut Vec<Problem>,
) -> String {
    if site.quire_export {
        return source.body.to_owned();
    }
    let includes = site.root.join("_includes");
    let context = templates::Context {
        site: &site.template_vars,
        page: &source.fields,
        includes: (site.jekyll && includes.is_dir()).then_some(includes.as_path()),
        dir: site.jekyll.then(|| place.path.parent()).flatten(),
    };
    let (body, taken_out) = templates::render(source.body, &context);
    warnings.extend(
        taken_out
            .into_iter()
            .map(|w| Problem::new(shown, Some(source.body_line + w.line - 1), w.message)),
    );
    body
}

/// The post's title: front matter's, else the first heading (taken out of the body), else the
/// file's name made readable.
pub(super) fn title(fm: &mut Fields<'_>, body: &mut String, place: &Place<'_>) -> String {
    if let Some(title) = fm.string(&["title"]) {
        return title;
    }
    match take_first_heading(body) {
        Some((title, rest)) => {
            *body = rest;
            title
        }
        None => humanise(&place.name_slug),
    }
}

/// When the post was published, updated, created and expires, from front matter (the
/// publication date else from the file's name).
pub(super) struct Dates {
    pub(super) published_at: Option<DateTime<Utc>>,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) created_at: Option<DateTime<Utc>>,
    /// The publication date as the generator saw it, for the dates in its URLs.
    written: Option<WrittenDate>,
    /// Hugo's `expiryDate`: when the generator stops publishing the page.
    expires_at: Option<DateTime<Utc>>,
}

impl Dates {
    /// The post's dates, each read from the first of its fields that is set.
    pub(super) fn read(fm: &mut Fields<'_>, place: &Place<'_>) -> Dates {
        let published_at = fm.date_or(&DATE_KEYS, place.name_date);
        let updated_at = fm.date(&[
            "updated",
            "lastmod",
            "last_modified_at",
            "modified",
            "updated_at",
        ]);
        let created_at = fm.date(&["created", "created_at"]);
        // the date as the generator saw it, for the dates in its URLs
        let written = fm
            .first(&DATE_KEYS)
            .and_then(|(_, v)| v.as_str())
            .and_then(parse_date_with_offset)
            .filter(|(at, _)| Some(*at) == published_at)
            .map(|(at, offset)| urls::written(at, offset))
            .or_else(|| place.name_date.map(|at| urls::written(at, None)));
        let expires_at = fm.date(&["expiryDate", "unpublishDate", "expiry_date"]);
        Dates {
            published_at,
            updated_at,
            created_at,
            written,
            expires_at,
        }
    }
}

/// The post's status: front matter's `status`, else a draft where Jekyll's `_drafts`, `draft`
/// or `published: false` says so, else published; then as its expiry date leaves it.
pub(super) fn status(fm: &mut Fields<'_>, place: &Place<'_>, dates: &Dates) -> PostStatus {
    let status = match fm.string(&["status"]).map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "draft" => PostStatus::Draft,
        Some(s) if s == "published" || s == "public" => PostStatus::Published,
        Some(s) if s == "scheduled" => PostStatus::Scheduled,
        Some(s) => {
            fm.problem(
                "status",
                format!("status `{s}`: use draft, published or scheduled"),
            );
            PostStatus::Draft
        }
        None if place.in_drafts
            || fm.bool(&["draft"]) == Some(true)
            || fm.bool(&["published"]) == Some(false) =>
        {
            PostStatus::Draft
        }
        None => PostStatus::Published,
    };
    after_expiry(status, dates.expires_at, fm)
}

/// The status once the expiry date is taken into account. Hugo stops publishing a page at its
/// expiry date: an expired page is kept as a draft, out of sight but not lost; one yet to
/// expire is published, and the writer told.
fn after_expiry(
    mut status: PostStatus,
    expires_at: Option<DateTime<Utc>>,
    fm: &mut Fields<'_>,
) -> PostStatus {
    let Some(at) = expires_at else {
        return status;
    };
    let when = at.format("%Y-%m-%d %H:%M UTC");
    if at <= Utc::now() {
        if status != PostStatus::Draft {
            status = PostStatus::Draft;
            fm.warn(
                "expiryDate",
                format!("expired on {when}: imported as a draft, as the generator no longer publishes it"),
            );
        }
    } else if status != PostStatus::Draft {
        fm.warn(
            "expiryDate",
            format!("expires on {when}: Quire keeps it published; unpublish it then by hand"),
        );
    }
    status
}

/// Whether the file is a post or a page: a section's text is a page; else front matter's
/// `type` or `layout` says; else an undated file is a page where the generator makes pages
/// (Jekyll: outside `_posts` and `_drafts`; Hugo and Zola: directly in `content/`).
pub(super) fn kind(site: &Site, place: &Place<'_>, fm: &mut Fields<'_>, dates: &Dates) -> PostType {
    let declared = fm
        .string(&["type", "layout"])
        .map(|s| s.to_ascii_lowercase());
    let undated = dates.published_at.is_none();
    match declared.as_deref() {
        // a section's text is a page of the site
        _ if place.section_index => PostType::Page,
        Some("page") => PostType::Page,
        Some("post") => PostType::Post,
        _ if site.jekyll && !place.in_posts && !place.in_drafts && undated => PostType::Page,
        _ if site.content_dir && place.at_content_root() && undated => PostType::Page,
        _ => PostType::Post,
    }
}

/// The post's old addresses from front matter (`aliases`, `redirect_from`) as paths of the
/// site, its own path left out.
pub(super) fn aliases(
    site: &Site,
    place: &Place<'_>,
    fm: &mut Fields<'_>,
    slug: &str,
) -> Vec<String> {
    let section_path = format!("/{}", place.sections.join("/"));
    let own_path = format!("/{slug}/");
    fm.list(&["aliases", "redirect_from"])
        .into_iter()
        .filter_map(|a| {
            if site.quire_export {
                alias_path(&a)
            } else {
                site.config.alias(&a, &section_path)
            }
        })
        .filter(|a| *a != own_path)
        .collect()
}

/// The address the generator served the file at: its rules, or the file's own setting
/// (Jekyll's `permalink`, Hugo's `url`, Zola's `path`). None for a Quire export.
pub(super) fn generator_url(
    site: &Site,
    place: &Place<'_>,
    fm: &mut Fields<'_>,
    explicit_slug: Option<&str>,
    title: &str,
    dates: &Dates,
) -> Option<String> {
    let permalink_key = match site.generator {
        Generator::Jekyll => "permalink",
        Generator::Hugo => "url",
        Generator::Zola => "path",
        Generator::Plain => "",
    };
    let permalink = fm.string(&[permalink_key]);
    if site.quire_export {
        return None;
    }
    let categories = if site.generator == Generator::Jekyll {
        let mut c = fm.list(&["categories", "category"]);
        c.dedup();
        c
    } else {
        Vec::new()
    };
    let page = urls::Page {
        sections: &place.sections,
        raw_name: &place.raw_name,
        name: &place.name_slug,
        slug: explicit_slug,
        title,
        date: dates.written,
        categories,
        permalink: permalink.as_deref(),
        post: place.in_posts || place.in_drafts,
        rel: &place.rel,
        collection: jekyll_collection(site, place),
        lang: place.lang.as_deref(),
    };
    if place.section_index && permalink.is_none() {
        let mut all = place.sections.clone();
        all.push(place.raw_name.clone());
        site.config.section_url(&all, place.lang.as_deref())
    } else {
        site.config.old_url(&page)
    }
}

/// Jekyll: the collection (with output) a file in a folder `_NAME/` belongs to, by its name.
fn jekyll_collection<'p>(site: &Site, place: &'p Place<'_>) -> Option<&'p str> {
    let rel = &place.rel;
    (site.generator == Generator::Jekyll)
        .then(|| rel.split('/').next())
        .flatten()
        .filter(|first| rel.contains('/') && site.config.is_output_collection(first))
        .map(|first| &first[1..])
}

/// Redirects from the generator's pages for the post's tags and categories to Quire's tag
/// pages, for a published post of a generator's tree.
pub(super) fn term_redirects(
    site: &Site,
    place: &Place<'_>,
    source: &Source<'_>,
    status: PostStatus,
) -> Vec<RedirectDoc> {
    if status != PostStatus::Published || site.quire_export {
        return Vec::new();
    }
    site.config
        .term_urls(&source.fields, place.lang.as_deref())
        .into_iter()
        .filter(|(_, term, _)| !term.starts_with('#'))
        .filter(|(taxonomy, _, _)| {
            matches!(
                taxonomy.to_lowercase().as_str(),
                "tags" | "categories" | "category" | "tag"
            )
        })
        .map(|(_, term, from)| RedirectDoc {
            from,
            // the list of all terms: Quire has none, its home page lists the posts
            to: if term.is_empty() {
                "/".to_owned()
            } else {
                format!("/tag/{}/", crate::domain::tag::tag_slug(&term))
            },
        })
        .collect()
}

/// A plain file's own `url` or `permalink`, as an old address, unless it is the post's path.
pub(super) fn plain_old_address(site: &Site, fm: &mut Fields<'_>, slug: &str) -> Option<String> {
    if site.generator != Generator::Plain {
        return None;
    }
    fm.string(&["url", "permalink"])
        .and_then(|u| alias_path(&u))
        .filter(|old| *old != format!("/{slug}/"))
}

/// Fills in what front matter gives as it is: the post's id and feed id, its excerpt (`excerpt`,
/// else `description`, read earlier), SEO texts, the feature image's alt text and caption,
/// `featured`, the canonical URL and code injection.
pub(super) fn copy_front_matter(
    doc: &mut PostDoc,
    site: &Site,
    fm: &mut Fields<'_>,
    excerpt: Option<String>,
    description: Option<String>,
) {
    // an export's texts are Quire's own: plain already, kept as they are
    let plain = |text: String| {
        if site.quire_export {
            text
        } else {
            md::excerpt(&text, 500)
        }
    };
    doc.id = fm.id();
    // the old site's feed id, as a Quire export writes it
    doc.feed_guid = fm.string(&["feed_guid"]);
    doc.custom_excerpt = excerpt.map(plain);
    doc.meta_title = fm.string(&["meta_title"]);
    doc.meta_description = fm.string(&["meta_description"]).or(description).map(plain);
    doc.feature_image_alt = fm.string(&["feature_image_alt", "image_alt"]).or_else(|| {
        fm.nested_string(&[("cover", "alt"), ("extra", "image_alt"), ("header", "alt")])
    });
    doc.feature_image_caption = fm.string(&["feature_image_caption", "image_caption"]);
    doc.featured = fm.bool(&["featured"]).unwrap_or(false);
    doc.canonical_url = fm.string(&["canonical_url", "canonical", "canonicalURL"]);
    doc.codeinjection_head = fm.code(&["codeinjection_head"]);
    doc.codeinjection_foot = fm.code(&["codeinjection_foot"]);
}

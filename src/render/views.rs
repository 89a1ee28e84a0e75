//! The typed contexts themes are rendered with, built from what the store returns.
//!
//! Field names follow Ghost's themes where they can (`feature_image`, `reading_time`,
//! `primary_tag`, `codeinjection_head`), so porting a theme stays a matter of syntax.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;

use crate::domain::image::ImageInfo;
use crate::domain::limits::clamp_date;
use crate::domain::settings::SiteSettings;
use crate::store::posts::{AuthorRef, PostLink, PostSummary, PublicPost, TagRef};
use crate::store::tags::Tag;
use crate::store::users::Author;

/// `site` in every template.
#[derive(Debug, Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// Absolute origin without a trailing slash.
    pub url: &'a str,
    pub lang: &'a str,
    pub accent_color: &'a str,
    pub logo: Option<String>,
    pub cover_image: Option<String>,
    pub navigation: Vec<NavView<'a>>,
    pub codeinjection_head: &'a str,
    pub codeinjection_foot: &'a str,
    pub rss_url: String,
    pub atom_url: String,
    pub json_feed_url: String,
}

/// One navigation entry, marked when it is the page being shown.
#[derive(Debug, Serialize)]
pub struct NavView<'a> {
    pub label: &'a str,
    pub url: &'a str,
    pub current: bool,
}

impl<'a> SiteView<'a> {
    pub fn new(settings: &'a SiteSettings, site_url: &'a str, path: &str) -> Self {
        SiteView {
            title: &settings.title,
            description: &settings.description,
            url: site_url,
            lang: &settings.lang,
            accent_color: &settings.accent_color,
            logo: settings.logo.as_deref().map(|l| absolute(site_url, l)),
            cover_image: settings
                .cover_image
                .as_deref()
                .map(|c| absolute(site_url, c)),
            navigation: settings
                .navigation
                .iter()
                .map(|n| NavView {
                    label: &n.label,
                    url: &n.url,
                    // error pages pass no path: nothing is current there
                    current: !path.is_empty()
                        && (n.url == path
                            || absolute(site_url, &n.url) == absolute(site_url, path)),
                })
                .collect(),
            codeinjection_head: &settings.codeinjection_head,
            codeinjection_foot: &settings.codeinjection_foot,
            rss_url: format!("{site_url}/rss/"),
            atom_url: format!("{site_url}/atom.xml"),
            json_feed_url: format!("{site_url}/feed.json"),
        }
    }
}

/// `meta`: what the `<head>` says about the page.
#[derive(Debug, Default, Serialize)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub image: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub published_time: Option<String>,
    pub modified_time: Option<String>,
    pub tags: Vec<String>,
    /// JSON-LD, already safe to put inside `<script>`.
    pub json_ld: String,
    pub robots: Option<&'static str>,
    /// The post's `Article` for fediverse servers (`<link rel="alternate">`), when the site is
    /// on the fediverse.
    pub activitypub: Option<String>,
}

/// A link to a tag.
#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    pub name: String,
    pub url: String,
}

/// An author on a post.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorLink {
    pub name: String,
    pub url: String,
    pub avatar_url: Option<String>,
    pub bio: String,
}

/// A post in a list.
#[derive(Debug, Serialize)]
pub struct PostCard {
    pub title: String,
    pub url: String,
    pub excerpt: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    /// Resized versions of the feature image, for `srcset`, when it was uploaded here.
    pub feature_image_srcset: Option<String>,
    pub feature_image_width: Option<i32>,
    pub feature_image_height: Option<i32>,
    pub featured: bool,
    pub reading_time: i32,
    /// RFC 3339 in the site's zone, for `datetime` attributes.
    pub published_at: String,
    /// `2 Jan 2026`, in the site's zone.
    pub published_display: String,
    /// The first image of its page: loaded at once and first (`loading="eager"`,
    /// `fetchpriority="high"`), where the others load lazily.
    pub eager: bool,
    pub tags: Vec<TagLink>,
    pub primary_tag: Option<TagLink>,
    pub authors: Vec<AuthorLink>,
}

impl PostCard {
    /// The card of `p`, its dates in `zone`.
    pub fn new(p: &PostSummary, image: Option<&ImageInfo>, zone: Tz) -> Self {
        let tags = tag_links(&p.tags);
        PostCard {
            title: p.title.clone(),
            url: format!("/{}/", p.slug),
            excerpt: p.summary.clone(),
            feature_image: p.feature_image.clone(),
            feature_image_alt: p.feature_image_alt.clone(),
            feature_image_srcset: image.map(|i| i.srcset.clone()).filter(|s| !s.is_empty()),
            feature_image_width: image.and_then(|i| i.width),
            feature_image_height: image.and_then(|i| i.height),
            featured: p.featured,
            reading_time: p.reading_time,
            published_at: rfc3339_in(p.published_at, zone),
            published_display: display_date(p.published_at, zone),
            eager: false,
            primary_tag: tags.first().cloned(),
            tags,
            authors: author_links(&p.authors),
        }
    }
}

/// A post or page on its own page.
#[derive(Debug, Serialize)]
pub struct PostView {
    pub title: String,
    pub url: String,
    pub html: String,
    pub excerpt: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    /// Resized versions of the feature image, for `srcset`, when it was uploaded here.
    pub feature_image_srcset: Option<String>,
    pub feature_image_width: Option<i32>,
    pub feature_image_height: Option<i32>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    pub reading_time: i32,
    pub word_count: i32,
    pub published_at: String,
    pub published_display: String,
    pub updated_at: String,
    pub updated_display: String,
    pub tags: Vec<TagLink>,
    pub primary_tag: Option<TagLink>,
    pub authors: Vec<AuthorLink>,
    pub codeinjection_head: Option<String>,
    pub codeinjection_foot: Option<String>,
}

impl PostView {
    /// The view of `p`, its dates in `zone`. Without a feature image, the first image of the
    /// text is the first of the page, and loads eagerly.
    pub fn new(p: &PublicPost, image: Option<&ImageInfo>, zone: Tz) -> Self {
        let tags = tag_links(&p.tags);
        PostView {
            title: p.title.clone(),
            url: format!("/{}/", p.slug),
            html: if p.feature_image.is_some() {
                p.html.clone()
            } else {
                crate::render::markdown::first_image_eager(&p.html)
            },
            excerpt: p.summary.clone(),
            feature_image: p.feature_image.clone(),
            feature_image_alt: p.feature_image_alt.clone(),
            feature_image_srcset: image.map(|i| i.srcset.clone()).filter(|s| !s.is_empty()),
            feature_image_width: image.and_then(|i| i.width),
            feature_image_height: image.and_then(|i| i.height),
            feature_image_caption: p.feature_image_caption.clone(),
            featured: p.featured,
            reading_time: p.reading_time,
            word_count: p.word_count,
            published_at: rfc3339_in(p.published_at, zone),
            published_display: display_date(p.published_at, zone),
            updated_at: rfc3339_in(p.updated_at, zone),
            updated_display: display_date(p.updated_at, zone),
            primary_tag: tags.first().cloned(),
            tags,
            authors: author_links(&p.authors),
            codeinjection_head: p.codeinjection_head.clone().filter(|s| !s.is_empty()),
            codeinjection_foot: p.codeinjection_foot.clone().filter(|s| !s.is_empty()),
        }
    }
}

/// `newer` / `older` on a post page.
#[derive(Debug, Serialize)]
pub struct NeighbourView {
    pub title: String,
    pub url: String,
}

impl NeighbourView {
    pub fn new(link: PostLink) -> Self {
        NeighbourView {
            url: format!("/{}/", link.slug),
            title: link.title,
        }
    }
}

/// `pagination` on lists.
#[derive(Debug, Serialize)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pagination {
    /// Page `page` of a list at `base` (`/`, `/tag/x/`) holding `total` posts.
    pub fn new(base: &str, page: i64, per_page: i64, total: i64) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        Pagination {
            page,
            pages,
            total,
            prev_url: (page > 1).then(|| page_url(base, page - 1)),
            next_url: (page < pages).then(|| page_url(base, page + 1)),
        }
    }
}

/// `/tag/x/` + 3 → `/tag/x/page/3/`; page 1 is the base itself.
pub fn page_url(base: &str, page: i64) -> String {
    if page <= 1 {
        base.to_owned()
    } else {
        format!("{base}page/{page}/")
    }
}

/// `tag` on a tag archive.
#[derive(Debug, Serialize)]
pub struct TagView {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub description: String,
    pub feature_image: Option<String>,
    pub post_count: i64,
}

impl TagView {
    pub fn new(t: &Tag, post_count: i64) -> Self {
        TagView {
            name: t.name.clone(),
            slug: t.slug.clone(),
            url: format!("/tag/{}/", t.slug),
            description: t.description.clone(),
            feature_image: t.feature_image.clone(),
            post_count,
        }
    }
}

/// `author` on an author archive.
#[derive(Debug, Serialize)]
pub struct AuthorView {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub cover_image: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub post_count: i64,
}

impl AuthorView {
    pub fn new(a: &Author, post_count: i64) -> Self {
        AuthorView {
            name: a.name.clone(),
            slug: a.slug.clone(),
            url: format!("/author/{}/", a.slug),
            bio: a.bio.clone(),
            avatar_url: a.avatar_url.clone(),
            cover_image: a.cover_image.clone(),
            website: a.website.clone(),
            location: a.location.clone(),
            post_count,
        }
    }
}

/// `error` on the error page.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    pub status: u16,
    pub title: &'static str,
    pub message: &'static str,
}

fn tag_links(tags: &[TagRef]) -> Vec<TagLink> {
    tags.iter()
        .filter(|t| t.is_public())
        .map(|t| TagLink {
            name: t.name.clone(),
            url: format!("/tag/{}/", t.slug),
        })
        .collect()
}

fn author_links(authors: &[AuthorRef]) -> Vec<AuthorLink> {
    authors
        .iter()
        .map(|a| AuthorLink {
            name: a.name.clone(),
            url: format!("/author/{}/", a.slug),
            avatar_url: a.avatar_url.clone(),
            bio: a.bio.clone(),
        })
        .collect()
}

/// An absolute URL for a site-relative one; absolute ones pass through.
pub fn absolute(site_url: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else if let Some(rest) = url.strip_prefix("//") {
        format!("https://{rest}")
    } else if url.starts_with('/') {
        format!("{site_url}{url}")
    } else {
        format!("{site_url}/{url}")
    }
}

/// RFC 3339 with seconds and `Z`: the same string on every replica.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    clamp_date(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `Tue, 1 Dec 2026 10:00:00 +0000`, as RSS writes dates. chrono refuses (panics on) years
/// outside 0..=9999, which only a date written around the checks can have: such a date is
/// shown as the nearest one in range.
pub fn rfc2822(t: DateTime<Utc>) -> String {
    clamp_date(t).to_rfc2822()
}

/// RFC 3339 with seconds and the offset of `zone` (`2026-01-02T05:00:00+09:00`; `Z` for UTC).
pub fn rfc3339_in(t: DateTime<Utc>, zone: Tz) -> String {
    in_zone(t, zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `22 Nov 2026`: the day in `zone`.
pub fn display_date(t: DateTime<Utc>, zone: Tz) -> String {
    in_zone(t, zone).format("%-d %b %Y").to_string()
}

/// `t` in `zone`, clamped a day inside the range formatters can write, so that no offset
/// takes it out.
fn in_zone(t: DateTime<Utc>, zone: Tz) -> DateTime<Tz> {
    let day = chrono::TimeDelta::days(1);
    let t = clamp_date(t);
    let t = if t < DateTime::UNIX_EPOCH + day {
        DateTime::UNIX_EPOCH + day
    } else {
        t.min(clamp_date(DateTime::<Utc>::MAX_UTC) - day)
    };
    t.with_timezone(&zone)
}

/// Serialises JSON-LD so it cannot close the `<script>` element it sits in.
pub fn json_ld(value: &serde_json::Value) -> String {
    // `\u003c` is `<` to a JSON parser and nothing to the HTML parser
    value.to_string().replace('<', "\\u003c")
}

/// JSON-LD `BlogPosting` of a post (`WebPage` for a page).
pub fn post_json_ld(
    site: &SiteView<'_>,
    post: &PublicPost,
    canonical: &str,
    image: Option<&str>,
    description: &str,
) -> String {
    let authors: Vec<_> = post
        .authors
        .iter()
        .map(|a| json!({"@type": "Person", "name": a.name, "url": format!("{}/author/{}/", site.url, a.slug)}))
        .collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": if post.kind == crate::domain::post::PostType::Post { "BlogPosting" } else { "WebPage" },
        "headline": post.title,
        "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "datePublished": rfc3339(post.published_at),
        "dateModified": rfc3339(post.updated_at),
        "description": description,
        "wordCount": post.word_count,
        "publisher": {"@type": "Organization", "name": site.title, "url": site.url},
    });
    if !authors.is_empty() {
        ld["author"] = if authors.len() == 1 {
            authors[0].clone()
        } else {
            authors.into()
        };
    }
    if let Some(image) = image {
        ld["image"] = json!(image);
    }
    let keywords: Vec<&str> = post
        .tags
        .iter()
        .filter(|t| t.is_public())
        .map(|t| t.name.as_str())
        .collect();
    if !keywords.is_empty() {
        ld["keywords"] = json!(keywords.join(", "));
    }
    json_ld(&ld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let s = json_ld(&json!({"headline": "</script><script>alert(1)</script>"}));
        assert!(!s.contains("</script"), "{s}");
    }

    #[test]
    fn dates_are_shown_in_the_sites_zone() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(display_date(t, chrono_tz::UTC), "1 Jan 2026");
        assert_eq!(display_date(t, chrono_tz::Asia::Tokyo), "2 Jan 2026");
        assert_eq!(rfc3339_in(t, chrono_tz::UTC), "2026-01-01T20:00:00Z");
        assert_eq!(
            rfc3339_in(t, chrono_tz::Asia::Tokyo),
            "2026-01-02T05:00:00+09:00"
        );
        assert_eq!(
            rfc3339_in(t, chrono_tz::America::New_York),
            "2026-01-01T15:00:00-05:00"
        );
        // the ends of the range stay writable whatever the offset
        for zone in [
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Pago_Pago,
        ] {
            for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                assert_eq!(rfc3339_in(t, zone).len(), 25, "{zone} {t}");
                assert!(display_date(t, zone).len() >= 10);
            }
        }
    }

    #[test]
    fn pagination_links_point_at_neighbouring_pages() {
        let p = Pagination::new("/tag/rust/", 2, 10, 25);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev_url.as_deref(), Some("/tag/rust/"));
        assert_eq!(p.next_url.as_deref(), Some("/tag/rust/page/3/"));
        assert_eq!(Pagination::new("/", 1, 10, 0).pages, 1);
    }
}

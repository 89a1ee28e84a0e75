//! Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, written with the `rss` and `atom_syndication`
//! crates (and serde for JSON), from the same posts.
//!
//! Everything in a feed derives from the content: `updated` is the newest post's update time,
//! never the time of rendering, so every replica writes the same bytes.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use url::Url;

use crate::domain::limits::clamp_date;
use crate::render::markdown::absolutize;
use crate::render::views::{absolute, rfc2822, rfc3339};
use crate::store::posts::PublicPost;

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedInfo {
    pub title: String,
    pub description: String,
    pub lang: String,
    /// Absolute origin of the site, no trailing slash.
    pub site_url: String,
    /// The HTML page this feed follows (home, tag or author archive), absolute.
    pub home_url: String,
    /// This feed's own URL, absolute.
    pub self_url: String,
}

/// The newest update among the posts; the epoch for an empty feed, so it is still the same
/// on every replica.
pub fn updated(posts: &[PublicPost]) -> DateTime<Utc> {
    posts
        .iter()
        .map(|p| p.updated_at.max(p.published_at))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A post's HTML as a feed carries it: links and images absolute, feature image first.
fn content(info: &FeedInfo, post: &PublicPost) -> String {
    let url = post_url(info, post);
    let base =
        Url::parse(&url).unwrap_or_else(|_| Url::parse("http://invalid/").expect("valid URL"));
    let mut html = String::new();
    if let Some(image) = &post.feature_image {
        let alt = post.feature_image_alt.as_deref().unwrap_or("");
        html.push_str(&format!(
            r#"<img src="{}" alt="{}">"#,
            escape(&absolute(&info.site_url, image)),
            escape(alt)
        ));
    }
    html.push_str(&absolutize(&post.html, &base));
    html
}

fn post_url(info: &FeedInfo, post: &PublicPost) -> String {
    format!("{}/{}/", info.site_url, post.slug)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn public_tags(post: &PublicPost) -> impl Iterator<Item = &str> {
    post.tags
        .iter()
        .filter(|t| t.is_public())
        .map(|t| t.name.as_str())
}

/// RSS 2.0 with `content:encoded`, `dc:creator` and `atom:link rel="self"`.
pub fn rss(info: &FeedInfo, posts: &[PublicPost]) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;
    use rss::{Category, Channel, Guid, Item};

    let items = posts
        .iter()
        .map(|post| Item {
            title: Some(post.title.clone()),
            link: Some(post_url(info, post)),
            // RSS readers take `description` as HTML: the plain-text excerpt is escaped, so
            // `<script>` in it (or HTML shown in inline code) stays text
            description: Some(escape(&post.summary)),
            guid: Some(Guid {
                value: post.id.to_string(),
                permalink: false,
            }),
            pub_date: Some(rfc2822(post.published_at)),
            categories: public_tags(post)
                .map(|name| Category {
                    name: name.to_owned(),
                    domain: None,
                })
                .collect(),
            content: Some(content(info, post)),
            dublin_core_ext: (!post.authors.is_empty()).then(|| DublinCoreExtension {
                creators: post.authors.iter().map(|a| a.name.clone()).collect(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let channel = Channel {
        title: info.title.clone(),
        link: info.home_url.clone(),
        description: escape(&info.description),
        language: Some(info.lang.clone()),
        generator: Some("Quire".to_owned()),
        last_build_date: (!posts.is_empty()).then(|| rfc2822(updated(posts))),
        ttl: Some("60".to_owned()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: info.self_url.clone(),
                rel: "self".to_owned(),
                mime_type: Some("application/rss+xml".to_owned()),
                ..Default::default()
            }],
        }),
        items,
        ..Default::default()
    };
    channel.to_string()
}

/// Atom 1.0.
pub fn atom(info: &FeedInfo, posts: &[PublicPost]) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};

    let fixed = |t: DateTime<Utc>| -> DateTime<FixedOffset> { clamp_date(t).fixed_offset() };
    let link = |href: &str, rel: &str, mime: &str| Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Default::default()
    };
    let entries = posts
        .iter()
        .map(|post| Entry {
            title: Text::plain(post.title.clone()),
            id: format!("urn:uuid:{}", post.id),
            updated: fixed(post.updated_at.max(post.published_at)),
            published: Some(fixed(post.published_at)),
            authors: post
                .authors
                .iter()
                .map(|a| Person {
                    name: a.name.clone(),
                    uri: Some(format!("{}/author/{}/", info.site_url, a.slug)),
                    ..Default::default()
                })
                .collect(),
            categories: public_tags(post)
                .map(|name| Category {
                    term: name.to_owned(),
                    ..Default::default()
                })
                .collect(),
            links: vec![link(&post_url(info, post), "alternate", "text/html")],
            summary: Some(Text::plain(post.summary.clone())),
            content: Some(Content {
                value: Some(content(info, post)),
                content_type: Some("html".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let feed = Feed {
        title: Text::plain(info.title.clone()),
        id: info.self_url.clone(),
        updated: fixed(updated(posts)),
        subtitle: (!info.description.is_empty()).then(|| Text::plain(info.description.clone())),
        generator: Some(Generator {
            value: "Quire".to_owned(),
            ..Default::default()
        }),
        links: vec![
            link(&info.home_url, "alternate", "text/html"),
            link(&info.self_url, "self", "application/atom+xml"),
        ],
        lang: Some(info.lang.clone()),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<String>,
}

/// JSON Feed 1.1.
pub fn json_feed(info: &FeedInfo, posts: &[PublicPost]) -> String {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &info.title,
        home_page_url: &info.home_url,
        feed_url: &info.self_url,
        description: &info.description,
        language: &info.lang,
        items: posts
            .iter()
            .map(|post| JsonItem {
                id: post.id.to_string(),
                url: post_url(info, post),
                title: post.title.clone(),
                content_html: content(info, post),
                summary: post.summary.clone(),
                image: post
                    .feature_image
                    .as_deref()
                    .map(|i| absolute(&info.site_url, i)),
                date_published: rfc3339(post.published_at),
                date_modified: rfc3339(post.updated_at.max(post.published_at)),
                authors: post
                    .authors
                    .iter()
                    .map(|a| JsonAuthor {
                        name: a.name.clone(),
                        url: format!("{}/author/{}/", info.site_url, a.slug),
                        avatar: a.avatar_url.as_deref().map(|u| absolute(&info.site_url, u)),
                    })
                    .collect(),
                tags: public_tags(post).map(str::to_owned).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

//! Feeds and discovery: RSS, Atom and JSON Feed for the site, each tag and each author; the
//! sitemap; robots.txt. Served through the page cache like pages, so every replica answers
//! with the same bytes, ETag and Last-Modified, and validators get 304.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::cache::CachedPage;
use crate::domain::limits;
use crate::error::{Error, Result};
use crate::http::site::{asked, cached, segment};
use crate::render::feeds::{self, FeedInfo};
use crate::render::views::rfc3339;
use crate::state::AppState;
use crate::store::sitemap::Kind;
use crate::store::{self, posts::ListFilter};

/// URLs per sitemap file (the protocol allows 50,000).
pub const SITEMAP_PAGE: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rss/", get(site_feed))
        .route("/atom.xml", get(site_feed))
        .route("/feed.json", get(site_feed))
        .route("/feed/", get(feed_redirect))
        .route("/tag/{slug}/rss/", get(tag_feed))
        .route("/tag/{slug}/atom.xml", get(tag_feed))
        .route("/tag/{slug}/feed.json", get(tag_feed))
        .route("/author/{slug}/rss/", get(author_feed))
        .route("/author/{slug}/atom.xml", get(author_feed))
        .route("/author/{slug}/feed.json", get(author_feed))
        .route("/robots.txt", get(robots))
        .route("/{file}", get(top_level_file))
}

/// The three formats, told apart by the last segment of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn of(path: &str) -> Format {
        if path.ends_with("/atom.xml") {
            Format::Atom
        } else if path.ends_with("/feed.json") {
            Format::Json
        } else {
            Format::Rss
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

async fn site_feed(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    cached(
        &s,
        asked(&request),
        path,
        render_feed(&s, path, ListFilter::default()),
    )
    .await
}

async fn tag_feed(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let filter = ListFilter {
        tag: Some(segment(path, 1)),
        author: None,
    };
    cached(&s, asked(&request), path, render_feed(&s, path, filter)).await
}

async fn author_feed(State(s): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let filter = ListFilter {
        tag: None,
        author: Some(segment(path, 1)),
    };
    cached(&s, asked(&request), path, render_feed(&s, path, filter)).await
}

/// `/feed/` is where Ghost's readers sometimes look; the feed is at `/rss/`.
async fn feed_redirect(State(s): State<AppState>, request: Request) -> Response {
    cached(&s, asked(&request), "/feed/", async {
        CachedPage::redirect(StatusCode::MOVED_PERMANENTLY, "/rss/")
    })
    .await
}

async fn render_feed(s: &AppState, path: &str, filter: ListFilter<'_>) -> Result<CachedPage> {
    let mut conn = s.db.acquire().await?;
    let settings = crate::http::site::load_settings(s, &mut conn).await?;
    let site = &s.site_url;
    let (title, description, home_url) = match filter {
        ListFilter {
            tag: Some(slug), ..
        } => {
            let tag = store::tags::public_by_slug(&mut *conn, slug)
                .await?
                .ok_or(Error::NotFound)?;
            let description = if tag.description.is_empty() {
                format!("Posts tagged “{}”", tag.name)
            } else {
                tag.description.clone()
            };
            (
                format!("{} – {}", tag.name, settings.title),
                description,
                format!("{site}/tag/{slug}/"),
            )
        }
        ListFilter {
            author: Some(slug), ..
        } => {
            let author = store::users::author_by_slug(&mut *conn, slug)
                .await?
                .ok_or(Error::NotFound)?;
            let description = if author.bio.is_empty() {
                format!("Posts by {}", author.name)
            } else {
                author.bio.clone()
            };
            (
                format!("{} – {}", author.name, settings.title),
                description,
                format!("{site}/author/{slug}/"),
            )
        }
        _ => (
            settings.title.clone(),
            settings.description.clone(),
            format!("{site}/"),
        ),
    };
    let posts =
        store::posts::feed_posts(&mut *conn, filter, i64::from(settings.feed_items)).await?;
    drop(conn);
    let info = FeedInfo {
        title,
        site_title: settings.title.clone(),
        description,
        lang: settings.lang.clone(),
        site_url: site.clone(),
        home_url,
        self_url: format!("{site}{path}"),
    };
    let format = Format::of(path);
    let body = match format {
        Format::Rss => feeds::rss(&info, &posts),
        Format::Atom => feeds::atom(&info, &posts),
        Format::Json => feeds::json_feed(&info, &posts),
    };
    let page = CachedPage::new(StatusCode::OK, format.content_type(), body);
    Ok(if posts.is_empty() {
        page
    } else {
        page.with_last_modified(feeds::updated(&posts))
    })
}

async fn robots(State(s): State<AppState>, request: Request) -> Response {
    cached(&s, asked(&request), "/robots.txt", async {
        let body = format!(
            "User-agent: *\nDisallow: /admin/\n\nSitemap: {}/sitemap.xml\n",
            s.site_url
        );
        Ok(CachedPage::new(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            body,
        ))
    })
    .await
}

/// `/sitemap.xml`, `/sitemap-posts.xml`, `/sitemap-posts-2.xml`, ...; anything else at the top
/// level without a trailing slash goes where the fallback sends it.
async fn top_level_file(State(s): State<AppState>, request: Request) -> Response {
    match Sitemap::parse(segment(request.uri().path(), 0)) {
        Some(sitemap) => {
            cached(
                &s,
                asked(&request),
                request.uri().path(),
                render_sitemap(&s, sitemap),
            )
            .await
        }
        None => crate::http::site::fallback(State(s), request).await,
    }
}

/// One file of the sitemap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sitemap {
    Index,
    Part(Kind, i64),
}

impl Sitemap {
    fn parse(file: &str) -> Option<Sitemap> {
        if file == "sitemap.xml" {
            return Some(Sitemap::Index);
        }
        let rest = file.strip_prefix("sitemap-")?.strip_suffix(".xml")?;
        let (name, page) = match rest.split_once('-') {
            Some((name, page)) => (name, limits::parse_page(page).filter(|p| *p >= 2)?),
            None => (rest, 1),
        };
        let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
        Some(Sitemap::Part(kind, page))
    }
}

fn sitemap_file(site: &str, kind: Kind, page: i64) -> String {
    if page == 1 {
        format!("{site}/sitemap-{}.xml", kind.name())
    } else {
        format!("{site}/sitemap-{}-{page}.xml", kind.name())
    }
}

async fn render_sitemap(s: &AppState, sitemap: Sitemap) -> Result<CachedPage> {
    let site = &s.site_url;
    let mut xml = XmlWriter::new();
    let mut newest: Option<DateTime<Utc>> = None;
    match sitemap {
        Sitemap::Index => {
            let summary = store::sitemap::summary(&s.db).await?;
            xml.open("sitemapindex")?;
            for kind in Kind::ALL {
                let (count, lastmod) = summary.of(kind);
                let pages = ((count + SITEMAP_PAGE - 1) / SITEMAP_PAGE).max(1);
                for page in 1..=pages {
                    xml.entry("sitemap", &sitemap_file(site, kind, page), lastmod)?;
                }
                newest = newest.max(lastmod);
            }
            xml.close("sitemapindex")?;
        }
        Sitemap::Part(kind, page) => {
            let offset = limits::page_offset(page, SITEMAP_PAGE).ok_or(Error::NotFound)?;
            let entries = store::sitemap::entries(&s.db, kind, SITEMAP_PAGE, offset).await?;
            if entries.is_empty() && page > 1 {
                return Err(Error::NotFound);
            }
            xml.open("urlset")?;
            if kind == Kind::Pages && page == 1 {
                let home_lastmod = store::sitemap::summary(&s.db).await?.of(Kind::Posts).1;
                xml.entry("url", &format!("{site}/"), home_lastmod)?;
            }
            for (path, lastmod) in entries {
                xml.entry("url", &format!("{site}{path}"), Some(lastmod))?;
                newest = newest.max(Some(lastmod));
            }
            xml.close("urlset")?;
        }
    }
    let page = CachedPage::new(
        StatusCode::OK,
        "application/xml; charset=utf-8",
        xml.finish(),
    );
    Ok(match newest {
        Some(at) => page.with_last_modified(at),
        None => page,
    })
}

/// A sitemap document written with quick-xml.
struct XmlWriter(Writer<Vec<u8>>);

impl XmlWriter {
    fn new() -> Self {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .expect("in memory");
        XmlWriter(writer)
    }

    fn open(&mut self, name: &str) -> Result<()> {
        let element = BytesStart::new(name)
            .with_attributes([("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")]);
        self.write(Event::Start(element))
    }

    fn close(&mut self, name: &str) -> Result<()> {
        self.write(Event::End(BytesEnd::new(name)))
    }

    fn entry(&mut self, element: &str, loc: &str, lastmod: Option<DateTime<Utc>>) -> Result<()> {
        self.write(Event::Start(BytesStart::new(element)))?;
        self.text("loc", loc)?;
        if let Some(lastmod) = lastmod {
            self.text("lastmod", &rfc3339(lastmod))?;
        }
        self.write(Event::End(BytesEnd::new(element)))
    }

    fn text(&mut self, element: &str, text: &str) -> Result<()> {
        self.write(Event::Start(BytesStart::new(element)))?;
        self.write(Event::Text(BytesText::new(text)))?;
        self.write(Event::End(BytesEnd::new(element)))
    }

    fn write(&mut self, event: Event<'_>) -> Result<()> {
        self.0
            .write_event(event)
            .map_err(|e| Error::Other(anyhow::anyhow!("writing XML: {e}")))
    }

    fn finish(self) -> Vec<u8> {
        let mut out = self.0.into_inner();
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_file_names_parse() {
        assert_eq!(Sitemap::parse("sitemap.xml"), Some(Sitemap::Index));
        assert_eq!(
            Sitemap::parse("sitemap-posts.xml"),
            Some(Sitemap::Part(Kind::Posts, 1))
        );
        assert_eq!(
            Sitemap::parse("sitemap-tags-3.xml"),
            Some(Sitemap::Part(Kind::Tags, 3))
        );
        assert_eq!(
            Sitemap::parse("sitemap-tags-1.xml"),
            None,
            "page 1 has one name only"
        );
        assert_eq!(Sitemap::parse("sitemap-tags-01.xml"), None);
        assert_eq!(
            Sitemap::parse("sitemap-posts-10000000000000000.xml"),
            None,
            "beyond any page"
        );
        assert_eq!(Sitemap::parse("sitemap-posts-+2.xml"), None);
        assert_eq!(Sitemap::parse("sitemap-things.xml"), None);
        assert_eq!(Sitemap::parse("welcome"), None);
    }
}

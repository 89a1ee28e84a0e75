//! What the sitemap lists: public posts, pages, tags with posts, authors with posts.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// What a sub-sitemap lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Posts,
    Pages,
    Tags,
    Authors,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Pages, Kind::Posts, Kind::Authors, Kind::Tags];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Posts => "posts",
            Kind::Pages => "pages",
            Kind::Tags => "tags",
            Kind::Authors => "authors",
        }
    }
}

/// How many URLs of each kind there are, and when each kind last changed.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Summary {
    pub posts: i64,
    pub posts_lastmod: Option<DateTime<Utc>>,
    pub pages: i64,
    pub pages_lastmod: Option<DateTime<Utc>>,
    pub tags: i64,
    pub tags_lastmod: Option<DateTime<Utc>>,
    pub authors: i64,
    pub authors_lastmod: Option<DateTime<Utc>>,
}

impl Summary {
    pub fn of(&self, kind: Kind) -> (i64, Option<DateTime<Utc>>) {
        match kind {
            Kind::Posts => (self.posts, self.posts_lastmod),
            Kind::Pages => (self.pages, self.pages_lastmod),
            Kind::Tags => (self.tags, self.tags_lastmod),
            Kind::Authors => (self.authors, self.authors_lastmod),
        }
    }
}

pub async fn summary(db: impl PgExecutor<'_>) -> sqlx::Result<Summary> {
    sqlx::query_as(
        r#"
        with public as (select id, type, updated_at from posts where status = 'published'),
             tag_rows as (
                select t.slug, max(p.updated_at) as lastmod from tags t
                join posts_tags pt on pt.tag_id = t.id join public p on p.id = pt.post_id and p.type = 'post'
                where t.visibility = 'public' group by t.slug),
             author_rows as (
                select u.slug, max(p.updated_at) as lastmod from users u
                join posts_authors pa on pa.author_id = u.id join public p on p.id = pa.post_id and p.type = 'post'
                where u.status = 'active' group by u.slug)
        select
            (select count(*) from public where type = 'post') as posts,
            (select max(updated_at) from public where type = 'post') as posts_lastmod,
            (select count(*) from public where type = 'page') as pages,
            (select max(updated_at) from public where type = 'page') as pages_lastmod,
            (select count(*) from tag_rows) as tags,
            (select max(lastmod) from tag_rows) as tags_lastmod,
            (select count(*) from author_rows) as authors,
            (select max(lastmod) from author_rows) as authors_lastmod
        "#,
    )
    .fetch_one(db)
    .await
}

/// One page of `(path, lastmod)` of a kind, in a stable order.
pub async fn entries(
    db: impl PgExecutor<'_>,
    kind: Kind,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    let sql = match kind {
        Kind::Posts | Kind::Pages => {
            r#"
            select '/' || slug || '/', updated_at from posts
            where status = 'published' and type = (case when $3 then 'post' else 'page' end)::post_type
            order by published_at desc, id desc limit $1 offset $2
            "#
        }
        Kind::Tags => {
            r#"
            select '/tag/' || t.slug || '/', max(p.updated_at) from tags t
            join posts_tags pt on pt.tag_id = t.id
            join posts p on p.id = pt.post_id and p.status = 'published' and p.type = 'post'
            where t.visibility = 'public' and $3 is not null
            group by t.slug order by t.slug limit $1 offset $2
            "#
        }
        Kind::Authors => {
            r#"
            select '/author/' || u.slug || '/', max(p.updated_at) from users u
            join posts_authors pa on pa.author_id = u.id
            join posts p on p.id = pa.post_id and p.status = 'published' and p.type = 'post'
            where u.status = 'active' and $3 is not null
            group by u.slug order by u.slug limit $1 offset $2
            "#
        }
    };
    sqlx::query_as(sql)
        .bind(limit)
        .bind(offset)
        .bind(kind == Kind::Posts)
        .fetch_all(db)
        .await
}

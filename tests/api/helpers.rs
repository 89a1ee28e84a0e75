//! The api tests' names for the shared harness (`tests/support`), and the fixtures only
//! they use.

use sqlx::PgPool;

pub use crate::support::app::{BASE_URL, TestApp};
pub use crate::support::db::TestDb;
pub use crate::support::process::ServeProcess;
pub use crate::support::session::{PASSWORD, Session, create_staff};
pub use crate::support::wait::{converges, eventually};

/// Inserts a post through the same renderer the admin uses, answering its id.
pub async fn insert_post(
    pool: &PgPool,
    slug: &str,
    title: &str,
    markdown: &str,
    status: &str,
) -> uuid::Uuid {
    let rendered = quire::render::markdown::render(markdown).expect("render");
    sqlx::query_scalar(
        r#"insert into posts (slug, title, markdown, html, excerpt, word_count, reading_time, status, published_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8::post_status,
                   case when $8 = 'draft' then null else now() end)
           returning id"#,
    )
    .bind(slug)
    .bind(title)
    .bind(markdown)
    .bind(&rendered.html)
    .bind(&rendered.excerpt)
    .bind(rendered.word_count)
    .bind(rendered.reading_time)
    .bind(status)
    .fetch_one(pool)
    .await
    .expect("insert post")
}

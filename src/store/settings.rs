//! Site settings: one row per key, JSON values.

use sqlx::PgExecutor;

use crate::domain::settings::SiteSettings;

/// The site's settings, defaults filled in for missing keys.
#[tracing::instrument(skip(db))]
pub async fn load(db: impl PgExecutor<'_>) -> sqlx::Result<SiteSettings> {
    let rows = sqlx::query!("select key, value from settings")
        .fetch_all(db)
        .await?;
    let mut settings = SiteSettings::default();
    for row in rows {
        settings.apply(&row.key, row.value);
    }
    Ok(settings)
}

/// Stores one setting.
pub async fn put(
    db: impl PgExecutor<'_>,
    key: &str,
    value: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        insert into settings (key, value) values ($1, $2)
        on conflict (key) do update set value = excluded.value, updated_at = now()
        "#,
        key,
        value,
    )
    .execute(db)
    .await?;
    Ok(())
}

//! Posts and pages.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A post appears in the home page, archives and feeds; a page only at its own URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "post_type", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum PostType {
    Post,
    Page,
}

/// Where a post is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "post_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    /// Becomes published by itself at `published_at`, on every replica.
    Scheduled,
    Published,
}

/// Why a post cannot be scheduled as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleError {
    /// Scheduled for a time that has passed.
    PastDate,
    /// Scheduled without a time.
    NoDate,
}

/// The status and date a post is stored with, for every writer: published with a date more
/// than a few seconds ahead is scheduled; published without a date is published now; a
/// scheduled post needs a date in the future; a draft keeps its date.
pub fn settle_status(
    status: PostStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(PostStatus, Option<DateTime<Utc>>), ScheduleError> {
    match status {
        PostStatus::Draft => Ok((PostStatus::Draft, published_at)),
        PostStatus::Published => match published_at {
            // a clock a little ahead of the server's is not a schedule
            Some(at) if at > now + TimeDelta::seconds(5) => Ok((PostStatus::Scheduled, Some(at))),
            Some(at) => Ok((PostStatus::Published, Some(at))),
            None => Ok((PostStatus::Published, Some(now))),
        },
        PostStatus::Scheduled => match published_at {
            Some(at) if at > now => Ok((PostStatus::Scheduled, Some(at))),
            Some(_) => Err(ScheduleError::PastDate),
            None => Err(ScheduleError::NoDate),
        },
    }
}

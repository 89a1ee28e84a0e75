//! Turning content into what readers get: Markdown to sanitised HTML, and themes.

pub mod feeds;
pub mod highlight;
pub mod html_scan;
pub mod markdown;
pub mod templates;
pub mod views;

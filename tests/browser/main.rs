//! Browser tests: the admin front end driven in real Chromium (Debian's `chromium`, through
//! `chromedriver` from `chromium-driver`), against Quire served on loopback ports with a fresh
//! database per test. The pages load the minified bundles the server embeds, as in production.
//!
//! Without Chromium the tests fail and say what to install; `QUIRE_SKIP_BROWSER_TESTS=1`
//! skips them.

mod access;
mod accessibility;
mod administration;
mod conflicts;
mod fediverse;
mod helpers;
mod mail;
mod media;
mod pages;
mod publishing;
mod reset;
#[path = "../support/mod.rs"]
mod support;
mod writing;

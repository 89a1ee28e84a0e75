//! Integration tests: real PostgreSQL (a fresh database per test), real HTTP on loopback.

mod activitypub;
mod admin;
mod assets;
mod bombs;
mod cache;
mod cli;
mod export;
mod fediverse;
mod feeds;
mod ghost;
mod hardening;
mod helpers;
mod hostile;
mod import;
mod integrations;
mod mail;
mod media;
mod replicas;
mod reset;
mod search;
mod signin;
mod site;
#[path = "../support/mod.rs"]
mod support;
mod webhooks;

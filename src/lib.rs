//! Quire: a self-hosted blog engine that runs as any number of identical, stateless replicas.
//!
//! Everything a replica needs lives in PostgreSQL (content, users, sessions, settings, rate
//! limits) or in object storage (images). What a replica keeps in memory is a page cache that
//! every committed change invalidates on every replica (see [`watcher`]).
#![forbid(unsafe_code)]

pub mod app;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod editing;
pub mod error;
pub mod export;
pub mod federation;
pub mod http;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod metrics;
pub mod render;
pub mod server;
pub mod staff;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod watcher;
pub mod webhooks;

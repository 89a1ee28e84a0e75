//! Integration tests: real PostgreSQL (a fresh database per test), real HTTP on loopback.

mod admin;
mod assets;
mod cache;
mod cli;
mod export;
mod feeds;
mod helpers;
mod import;
mod media;
mod replicas;
mod reset;
mod signin;
mod site;

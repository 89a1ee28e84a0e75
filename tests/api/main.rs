//! Integration tests: real PostgreSQL (a fresh database per test), real HTTP on loopback.

mod admin;
mod assets;
mod cache;
mod cli;
mod feeds;
mod helpers;
mod media;
mod replicas;
mod site;

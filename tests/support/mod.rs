//! The harness the three test binaries share: a database per test cloned from one migrated
//! template, Quire served in-process or as `quire serve` processes, sign-in, an in-process
//! S3-protocol server, an SMTP server, test images and the waits that poll for a state instead
//! of sleeping.
//!
//! Each binary includes it with `#[path = "../support/mod.rs"] mod support;` and uses the part
//! it needs; what one binary leaves unused is not dead code.
#![allow(dead_code)]

pub mod app;
pub mod db;
pub mod images;
pub mod process;
pub mod s3;
pub mod session;
pub mod smtp;
pub mod temp;
pub mod wait;

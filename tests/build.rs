//! The build script's own tests (at the end of `build.rs`): what minify-js gets wrong, and how
//! a script kept in parts is joined. `build.rs` cannot be a test target itself as well as the
//! build script, so this one compiles it as a module.

// `main`, and what only it calls, is for the build, not for the tests
#[allow(dead_code)]
#[path = "../build.rs"]
mod build;

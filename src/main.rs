//! The `quire` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use quire::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    quire::telemetry::init(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("quire: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.command.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // one line on stderr, as the contract says; the cause chain joined with ": "
            eprintln!("quire: {e:#}");
            ExitCode::FAILURE
        }
    }
}

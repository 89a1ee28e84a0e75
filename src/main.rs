//! The `quire` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use quire::cli::Cli;

/// How long blocking work still running may delay the exit once the command has finished.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

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
    let result = runtime.block_on(cli.command.run());
    // Dropping a runtime waits for every task on its blocking pool; a render or image still
    // running there must not keep a stopped server alive.
    runtime.shutdown_timeout(SHUTDOWN_TIMEOUT);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // one line on stderr, as the contract says; the cause chain joined with ": "
            eprintln!("quire: {e:#}");
            ExitCode::FAILURE
        }
    }
}

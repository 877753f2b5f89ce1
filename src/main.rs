//! The `queqiao` binary: prepares the environment, parses the command line and hands over to
//! [`queqiao::cli`].

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

fn main() -> ExitCode {
    let variables = queqiao::config::variables(&queqiao::cli::Cli::command());
    // SAFETY: nothing else runs yet: the async runtime (and every other thread) is built below.
    unsafe { queqiao::config::prepare_environment(&variables) };
    // Built after the environment is final: clap reads the variables when the command is built.
    let cli = queqiao::cli::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(queqiao::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

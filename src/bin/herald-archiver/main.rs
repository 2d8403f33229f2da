//! The command line: parses arguments, calls the library, turns errors into
//! messages and exit codes. The definitions are in `cli.rs`, each command in
//! `commands/`, what they print in `output.rs`.

use std::process::ExitCode;

use clap::Parser;
use herald_archiver::error::{ArchiveError, Error};

mod cli;
mod commands;
mod output;

use cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", herald_archiver::error::chain(e.as_ref()));
            // 2 for a config that cannot be used (as for bad usage), so a
            // script tells it from a run that failed.
            let bad_config = e.chain().any(|c| {
                c.downcast_ref::<herald_archiver::error::ConfigError>()
                    .is_some()
                    || matches!(c.downcast_ref::<Error>(), Some(Error::Config(_)))
            });
            // 2 too when the archive cannot take writes at all (a full disk,
            // a lock held past busy_timeout), as README says: nothing was
            // lost, and a script can wait and run again; and for a search
            // query FTS5 cannot read, which is bad usage.
            let archive_errors = || e.chain().filter_map(archive_error);
            let no_writes = archive_errors().any(|a| a.is_full_or_locked());
            let bad_query = archive_errors().any(|a| matches!(a, ArchiveError::BadQuery { .. }));
            if no_writes {
                eprintln!(
                    "the archive cannot take writes now: another program holds its write lock past [archive] busy_timeout (a sqlite3 shell in a transaction?) or its disk is full; nothing archived is lost: run again once that clears"
                );
            }
            if bad_config || no_writes || bad_query {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The archive's error in one link of an error chain, bare or wrapped.
fn archive_error<'a>(c: &'a (dyn std::error::Error + 'static)) -> Option<&'a ArchiveError> {
    c.downcast_ref::<ArchiveError>()
        .or(match c.downcast_ref::<Error>() {
            Some(Error::Archive(a)) => Some(a),
            _ => None,
        })
}

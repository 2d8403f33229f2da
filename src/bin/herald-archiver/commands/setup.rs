//! Commands about the setup: check-config, check-site, completions, man, and run (the daemon).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use herald_archiver::config::Config;

use super::{init_logging, load_config, runtime};
use crate::cli::{CheckSiteArgs, Cli, CompletionsArgs, ManArgs};
use crate::output;

pub(crate) fn check_config(config_path: Option<&Path>) -> Result<ExitCode> {
    let path = Config::locate(config_path)?;
    let config = Config::load(&path)?;
    output::check_config(&path, &config)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn check_site(config_path: Option<&Path>, args: CheckSiteArgs) -> Result<ExitCode> {
    let CheckSiteArgs { sections } = args;
    let config = load_config(config_path)?;
    for name in &sections {
        anyhow::ensure!(
            config.section(name).is_some(),
            "no section named {name:?} in the config"
        );
    }
    let runtime = runtime()?;
    let checked = runtime.block_on(herald_archiver::check_site::check_site(&config, &sections))?;
    print!("{checked}");
    Ok(ExitCode::from(checked.verdict().exit_code()))
}

pub(crate) fn completions(_config_path: Option<&Path>, args: CompletionsArgs) -> Result<ExitCode> {
    let CompletionsArgs { shell } = args;
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "herald-archiver", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man(_config_path: Option<&Path>, args: ManArgs) -> Result<ExitCode> {
    let ManArgs { dir } = args;
    let cmd = <Cli as clap::CommandFactory>::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(cmd, &dir))
                .with_context(|| format!("writing the man pages into {}", dir.display()))?;
            println!("man pages written to {}", dir.display());
        }
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run(config_path: Option<&Path>) -> Result<ExitCode> {
    let path = Config::locate(config_path)?;
    let config = Config::load(&path)?;
    init_logging(&format!(
        "warn,herald_archiver={}",
        config.daemon.log_level.0
    ));
    let runtime = runtime()?;
    let result = runtime.block_on(herald_archiver::daemon::run(path, config));
    // An extraction still running on a blocking thread is not waited
    // for: its link stays in the backlog for the next start.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result?;
    Ok(ExitCode::SUCCESS)
}

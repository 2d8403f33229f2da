//! Commands that read the archive: search, export, backup, status, pending, datasette.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use herald_archiver::archive::{Archive, ExportError, Format, Search};
use herald_archiver::error::ArchiveError;

use super::{in_archive, load_config, progress, when};
use crate::cli::{BackupArgs, ExportArgs, ExportFormat, OutputFormat, PendingArgs, SearchArgs};
use crate::output;

pub(crate) fn search(config_path: Option<&Path>, args: SearchArgs) -> Result<ExitCode> {
    let SearchArgs {
        query,
        json,
        format,
        limit,
        section,
        author,
        since,
        until,
    } = args;
    let config = load_config(config_path)?;
    let since = when(&config, "--since", since)?;
    let until = when(&config, "--until", until)?;
    let archive = Archive::open_readonly(&config.archive.path)?;
    let format = if json { OutputFormat::Json } else { format };
    let tty = std::io::stdout().is_terminal() && format == OutputFormat::Text;
    let marks = if tty {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let search = Search {
        query: query.clone(),
        limit,
        section,
        author,
        since,
        until,
    };
    let hits = archive.search(&search, marks).map_err(|e| match e {
        ArchiveError::BadQuery { .. } => anyhow::Error::from(e),
        other => in_archive(&config, other),
    })?;
    output::search_hits(&hits, format, &query, config.scheduler.timezone.0)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn export(config_path: Option<&Path>, args: ExportArgs) -> Result<ExitCode> {
    let ExportArgs {
        format,
        since,
        section,
    } = args;
    let config = load_config(config_path)?;
    let since = when(&config, "--since", since)?;
    let archive = Archive::open_readonly(&config.archive.path)?;
    let (since, section) = (since.as_deref(), section.as_deref());
    let warc = matches!(format, ExportFormat::Warc);
    let what = if warc {
        "kept pages as WARC"
    } else {
        "articles"
    };
    // Counted only when a bar is drawn.
    let bar = progress(
        || {
            if warc {
                archive.warc_count(since, section).ok()
            } else {
                archive.export_count(since, section).ok()
            }
        },
        "exporting",
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut tick = || bar.inc(1);
    let exported = match format {
        ExportFormat::Warc => archive.export_warc(since, section, &mut out, &mut tick),
        ExportFormat::Jsonl => {
            archive.export_with(Format::Jsonl, since, section, &mut out, &mut tick)
        }
        ExportFormat::Csv => archive.export_with(Format::Csv, since, section, &mut out, &mut tick),
    };
    bar.finish_and_clear();
    match exported {
        Ok(n) => eprintln!("exported {n} {what}"),
        Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(in_archive(&config, e)),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn backup(config_path: Option<&Path>, args: BackupArgs) -> Result<ExitCode> {
    let BackupArgs { path } = args;
    let config = load_config(config_path)?;
    let archive = Archive::open_readonly(&config.archive.path)?;
    archive.backup(&path).map_err(|e| in_archive(&config, e))?;
    println!(
        "backed up {} to {}",
        config.archive.path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn status(config_path: Option<&Path>) -> Result<ExitCode> {
    let config = load_config(config_path)?;
    output::status(&config)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn pending(config_path: Option<&Path>, args: PendingArgs) -> Result<ExitCode> {
    let PendingArgs { json, section } = args;
    let config = load_config(config_path)?;
    let archive = Archive::open_readonly(&config.archive.path)?;
    let links = archive
        .pending_links(section.as_deref())
        .map_err(|e| in_archive(&config, e))?;
    output::pending(&links, json, &config)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn datasette(config_path: Option<&Path>) -> Result<ExitCode> {
    let config = load_config(config_path)?;
    let name = config
        .archive
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "[archive] path {} has no file name",
                config.archive.path.display()
            )
        })?
        .to_string();
    // datasette/metadata.json is written for a file named archive.db;
    // Datasette applies a database's metadata by the file's stem.
    let mut meta: serde_json::Value =
        serde_json::from_str(include_str!("../../../../datasette/metadata.json"))
            .context("the built-in Datasette metadata")?;
    if let Some(dbs) = meta.get_mut("databases").and_then(|d| d.as_object_mut()) {
        if let Some(archive) = dbs.remove("archive") {
            dbs.insert(name, archive);
        }
    }
    println!("{}", serde_json::to_string_pretty(&meta)?);
    Ok(ExitCode::SUCCESS)
}

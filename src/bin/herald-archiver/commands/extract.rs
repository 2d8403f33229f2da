//! `extract`: the clean record of saved pages or of the site's addresses.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use url::Url;

use herald_archiver::config::Config;
use herald_archiver::extract;
use herald_archiver::fetch::PoliteClient;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

use super::runtime;
use crate::cli::ExtractArgs;

pub(crate) fn extract(config_path: Option<&Path>, args: ExtractArgs) -> Result<ExitCode> {
    let ExtractArgs {
        pages,
        urls,
        generic,
        explain,
    } = args;
    anyhow::ensure!(
        urls.is_empty() || urls.len() == pages.len(),
        "give one --url per page, in the same order ({} pages, {} addresses)",
        pages.len(),
        urls.len()
    );
    // The config is optional here: it may only override selectors.
    let config = match config_path {
        Some(p) => Some(Config::load(p)?),
        None => Config::locate(None)
            .ok()
            .and_then(|p| Config::load(&p).ok()),
    };
    let profile = Profile::herald().with_overrides(
        &config
            .as_ref()
            .map(|c| c.extract.selectors.clone())
            .unwrap_or_default(),
    );
    let base = config
        .as_ref()
        .map(|c| c.site.base_url.0.clone())
        .unwrap_or_else(|| {
            Url::parse(herald_archiver::site::urls::PUBLIC_ORIGIN).expect("constant URL")
        });
    let site = SiteUrls::new(base);
    let mut out = std::io::stdout().lock();
    let mut unreadable = false;
    // Web addresses of the site are fetched as a crawl would.
    let mut web: Option<(tokio::runtime::Runtime, PoliteClient)> = None;
    for (i, page) in pages.iter().enumerate() {
        let error = |why: String| serde_json::json!({"page": page, "error": why});
        let address = page
            .to_str()
            .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
            .and_then(|p| Url::parse(p).ok());
        let (html, given) = if let Some(address) = address {
            if web.is_none() {
                let config = match &config {
                            Some(c) => c.clone(),
                            None => Config::parse(&format!(
                                "[site]\nbase_url = \"{}\"\n[archive]\npath = \"unused.db\"\n\
                                 [[section]]\nname = \"x\"\npath = \"/x\"\nschedule = \"0 * * * *\"\n",
                                herald_archiver::site::urls::PUBLIC_ORIGIN
                            ))
                            .map_err(|e| anyhow::anyhow!(e))?,
                        };
                web = Some((runtime()?, PoliteClient::new(&config)?));
            }
            let Some((rt, client)) = web.as_mut() else {
                continue;
            };
            match rt.block_on(client.get(&address)) {
                Ok((public, body)) => (body, Some(public)),
                Err(e) => {
                    eprintln!("{address}: {e}");
                    writeln!(out, "{}", error(e))?;
                    unreadable = true;
                    continue;
                }
            }
        } else {
            let cap = config.as_ref().map_or(
                herald_archiver::config::HttpConfig::default().max_body_bytes,
                |c| c.http.max_body_bytes,
            );
            let bytes = match read_page(page, cap) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{}: {e}", page.display());
                    writeln!(out, "{}", error(e))?;
                    unreadable = true;
                    continue;
                }
            };
            // A saved page has no header: its <meta charset> (else UTF-8) decides.
            let html = herald_archiver::fetch::decode(&bytes, "");
            let given = urls
                .get(i)
                .cloned()
                .or_else(|| address_from_file_name(page));
            (html, given)
        };
        if explain {
            let hints = extract::Hints {
                given: given.as_ref(),
                ..extract::Hints::default()
            };
            let (_, explanation) = extract::explain(&html, &profile, &site, &hints);
            writeln!(out, "== {}", page.display())?;
            write!(out, "{explanation}")?;
            continue;
        }
        let extracted = if generic {
            extract::generic_record(&html, given.as_ref(), &profile, &site)
        } else {
            extract::article(&html, given.as_ref(), &profile, &site)
        };
        match extracted {
            Ok(record) => writeln!(out, "{}", serde_json::to_string(&record)?)?,
            Err(e) => {
                eprintln!("{}: {e}", page.display());
                writeln!(out, "{}", error(e.to_string()))?;
            }
        }
    }
    Ok(if unreadable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A saved page, read up to the body cap a fetched page gets: `extract
/// /dev/zero` or a 1 GiB file is refused after `cap` bytes, not read whole.
pub(crate) fn read_page(page: &std::path::Path, cap: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(page)
        .and_then(|f| f.take(cap as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > cap {
        return Err(format!(
            "larger than {cap} bytes ([http] max_body_bytes): a fetched page this large would be abandoned too"
        ));
    }
    Ok(bytes)
}

/// An address for a saved page that names none: `10915012.html` is that
/// article of the site; any other file gets its file:// address.
pub(crate) fn address_from_file_name(page: &Path) -> Option<Url> {
    let stem = page.file_stem()?.to_str()?;
    if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
        return Url::parse(&format!(
            "{}/article/{stem}",
            herald_archiver::site::urls::PUBLIC_ORIGIN
        ))
        .ok();
    }
    let absolute = std::path::absolute(page).ok()?;
    Url::from_file_path(absolute).ok()
}

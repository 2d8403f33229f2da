//! What an install needs: the man page and completions come from the CLI
//! definition, and the Debian package metadata names files that exist.
//! `packaging/package_deb.sh` builds the package and lists its contents.

mod common;

#[test]
fn the_man_page_and_completions_cover_every_command() {
    // roff escapes hyphens: check\-site.
    let man = common::stdout(&common::cli(&["man"])).replace("\\-", "-");
    assert!(man.contains(".TH herald-archiver 1"), "{man}");
    let bash = common::stdout(&common::cli(&["completions", "bash"]));
    let zsh = common::stdout(&common::cli(&["completions", "zsh"]));
    let fish = common::stdout(&common::cli(&["completions", "fish"]));
    for command in [
        "crawl",
        "run",
        "search",
        "export",
        "backup",
        "extract",
        "reextract",
        "status",
        "pending",
        "retry",
        "check-config",
        "check-site",
    ] {
        assert!(man.contains(command), "man page lacks {command}");
        for (shell, text) in [("bash", &bash), ("zsh", &zsh), ("fish", &fish)] {
            assert!(text.contains(command), "{shell} completions lack {command}");
        }
    }
}

#[test]
fn the_debian_package_installs_binary_unit_conffile_docs_and_completions() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .expect("Cargo.toml")
        .parse()
        .expect("toml");
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets: Vec<(String, String)> = deb["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| {
            (
                a[0].as_str().expect("source").to_string(),
                a[1].as_str().expect("target").to_string(),
            )
        })
        .collect();
    for target in [
        "usr/bin/",
        "etc/herald-archiver/config.toml",
        "usr/share/man/man1/",
        "usr/share/bash-completion/completions/herald-archiver",
        "usr/share/zsh/vendor-completions/",
        "usr/share/fish/vendor_completions.d/",
    ] {
        assert!(
            assets.iter().any(|(_, t)| t == target),
            "no asset for {target}"
        );
    }
    // Sources in the repository exist (target/ ones are built by the script).
    for (source, _) in assets.iter().filter(|(s, _)| !s.starts_with("target/")) {
        assert!(root.join(source).is_file(), "{source} is missing");
    }
    assert_eq!(
        deb["conf-files"].as_array().and_then(|c| c[0].as_str()),
        Some("/etc/herald-archiver/config.toml")
    );
    let unit_dir = deb["systemd-units"]["unit-scripts"]
        .as_str()
        .expect("unit dir");
    assert!(root
        .join(unit_dir)
        .join("herald-archiver.service")
        .is_file());
    let unit = std::fs::read_to_string(root.join("systemd/herald-archiver.service")).expect("unit");
    assert!(unit.contains(
        "ExecStart=/usr/bin/herald-archiver run --config /etc/herald-archiver/config.toml"
    ));
}

#[test]
fn datasette_metadata_is_keyed_by_the_configured_archives_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("herald.toml");
    std::fs::write(
        &config,
        "[site]\nbase_url = \"http://127.0.0.1:9\"\n[archive]\npath = \"/srv/news-2026.db\"\n\
         [[section]]\nname = \"National\"\npath = \"/National\"\nschedule = \"0 * * * *\"\n",
    )
    .expect("config");
    let out = common::cli(&["datasette", "--config", config.to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let meta: serde_json::Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    let dbs = meta["databases"].as_object().expect("databases");
    assert_eq!(dbs.keys().collect::<Vec<_>>(), ["news-2026"]);
    let queries = dbs["news-2026"]["queries"].as_object().expect("queries");
    for q in ["search", "latest", "pending"] {
        assert!(queries.contains_key(q), "no canned query {q}");
    }
}

#[test]
fn the_package_assets_are_a_stripped_binary_a_page_per_command_and_an_absolute_archive_path() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_herald-archiver");
    let out = tempfile::tempdir().expect("tempdir");
    let made = std::process::Command::new("bash")
        .arg(root.join("packaging/package_assets.sh"))
        .arg(bin)
        .arg(out.path())
        .status()
        .expect("bash runs");
    assert!(made.success());
    // Stripped: the package shipped the 79 MB binary with its debug info.
    let size = |p: &std::path::Path| std::fs::metadata(p).expect("file").len();
    assert!(size(&out.path().join("herald-archiver")) < size(std::path::Path::new(bin)));
    // One page per command, each named as the main page's SEE ALSO names
    // it, and the exit statuses in the main page.
    for command in [
        "crawl",
        "run",
        "search",
        "export",
        "backup",
        "status",
        "check-site",
    ] {
        let page = out.path().join(format!("man/herald-archiver-{command}.1"));
        assert!(page.is_file(), "no page for {command}");
    }
    let main = std::fs::read_to_string(out.path().join("man/herald-archiver.1")).expect("page");
    assert!(
        main.contains("Exit status") && main.contains("site did not answer"),
        "{main}"
    );
    // The installed config names the archive by its absolute path: `status`
    // from any directory looks where the service writes.
    let config = out.path().join("config.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    assert!(text.contains("path = \"/var/lib/herald-archiver/archive.db\""));
    let check = common::cli(&["check-config", "--config", config.to_str().expect("path")]);
    assert!(check.status.success(), "{}", common::stderr(&check));
    assert!(common::stdout(&check).contains("archive /var/lib/herald-archiver/archive.db"));
    // The unit's maintainer scripts: templates cargo-deb fills.
    for script in ["postinst", "prerm", "postrm"] {
        let t = std::fs::read_to_string(root.join("systemd/debian").join(script)).expect(script);
        assert!(t.contains("#DEBHELPER#"), "{script}");
    }
}

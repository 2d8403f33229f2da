//! The shipped unit file: valid, and hardened to an exposure of 2.0 or less
//! as `systemd-analyze security` rates it (where systemd-analyze exists).

use std::path::Path;
use std::process::Command;

fn unit() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/herald-archiver.service")
}

#[test]
fn the_unit_runs_the_daemon_with_notify_and_a_state_directory() {
    let text = std::fs::read_to_string(unit()).expect("unit file");
    for line in [
        "Type=notify",
        "ExecStart=/usr/bin/herald-archiver run --config /etc/herald-archiver/config.toml",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "StateDirectory=herald-archiver",
        "WatchdogSec=",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        // Cloud metadata (169.254.169.254) is never a place to fetch from.
        "IPAddressDeny=link-local multicast",
    ] {
        assert!(text.contains(line), "unit lacks {line:?}");
    }
}

#[test]
fn systemd_analyze_rates_the_unit_2_or_better() {
    let Ok(out) = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit())
        .output()
    else {
        eprintln!("systemd-analyze is not installed: exposure not measured");
        return;
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for herald-archiver.service:")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(level <= 2.0, "exposure {level} > 2.0:\n{text}");
}

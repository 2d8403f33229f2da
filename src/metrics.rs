//! Counters the daemon exposes in Prometheus' text format. Plain atomics and
//! small maps: a handful of series, updated a few times per article.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::model::SectionReport;

/// Upper bounds of the fetch latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
pub struct Metrics {
    runs: Mutex<BTreeMap<(String, &'static str), u64>>,
    last_success: Mutex<BTreeMap<String, i64>>,
    /// Whether each section's last run warned of drift (a redesign).
    drift: Mutex<BTreeMap<String, bool>>,
    articles: AtomicU64,
    revisions: AtomicU64,
    fetch_failures: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    /// Section list pages read (a backfill's progress).
    list_pages: AtomicU64,
}

impl Metrics {
    /// A request that got an answer (any status), and how long it took.
    pub fn observe_fetch(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// A section list page was read.
    pub fn list_page_read(&self) {
        self.list_pages.fetch_add(1, Ordering::Relaxed);
    }

    /// Section list pages read so far.
    pub fn list_pages(&self) -> u64 {
        self.list_pages.load(Ordering::Relaxed)
    }

    /// Requests answered so far (a crawl's progress).
    pub fn fetches(&self) -> u64 {
        self.latency_count.load(Ordering::Relaxed)
    }

    pub fn fetch_failed(&self) {
        self.fetch_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A finished run: `result` is its `crawl_runs.status`.
    pub fn record_run(&self, report: &SectionReport, result: &'static str, at_unix: i64) {
        if let Ok(mut runs) = self.runs.lock() {
            *runs.entry((report.section.clone(), result)).or_default() += 1;
        }
        if result == "ok" {
            if let Ok(mut last) = self.last_success.lock() {
                last.insert(report.section.clone(), at_unix);
            }
        }
        if report.status != crate::model::RunStatus::Backoff {
            if let Ok(mut drift) = self.drift.lock() {
                drift.insert(report.section.clone(), report.counts.drift.is_some());
            }
        }
        self.articles
            .fetch_add(u64::from(report.counts.new_articles), Ordering::Relaxed);
        self.revisions
            .fetch_add(u64::from(report.counts.new_revisions), Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "# HELP herald_runs_total Section runs by result.")?;
        writeln!(out, "# TYPE herald_runs_total counter")?;
        if let Ok(runs) = self.runs.lock() {
            for ((section, result), n) in runs.iter() {
                writeln!(
                    out,
                    "herald_runs_total{{section=\"{}\",result=\"{result}\"}} {n}",
                    escape(section)
                )?;
            }
        }
        for (name, help, value) in [
            (
                "herald_articles_archived_total",
                "New articles archived.",
                &self.articles,
            ),
            (
                "herald_revisions_total",
                "New revisions of archived articles.",
                &self.revisions,
            ),
            (
                "herald_fetch_failures_total",
                "Requests that failed (network, status, size, content type).",
                &self.fetch_failures,
            ),
        ] {
            writeln!(out, "# HELP {name} {help}")?;
            writeln!(out, "# TYPE {name} counter")?;
            writeln!(out, "{name} {}", value.load(Ordering::Relaxed))?;
        }
        writeln!(
            out,
            "# HELP herald_fetch_duration_seconds Time from request to the end of the body."
        )?;
        writeln!(out, "# TYPE herald_fetch_duration_seconds histogram")?;
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            writeln!(
                out,
                "herald_fetch_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            )?;
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        writeln!(
            out,
            "herald_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        )?;
        writeln!(
            out,
            "herald_fetch_duration_seconds_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        )?;
        writeln!(out, "herald_fetch_duration_seconds_count {count}")?;
        writeln!(out, "# HELP herald_last_success_timestamp_seconds End of the last successful run per section.")?;
        writeln!(out, "# TYPE herald_last_success_timestamp_seconds gauge")?;
        if let Ok(last) = self.last_success.lock() {
            for (section, t) in last.iter() {
                writeln!(
                    out,
                    "herald_last_success_timestamp_seconds{{section=\"{}\"}} {t}",
                    escape(section)
                )?;
            }
        }
        writeln!(out, "# HELP herald_section_drift 1 when the section's last run warned that the site may have changed (selectors or the listing no longer fit), else 0.")?;
        writeln!(out, "# TYPE herald_section_drift gauge")?;
        if let Ok(drift) = self.drift.lock() {
            for (section, d) in drift.iter() {
                writeln!(
                    out,
                    "herald_section_drift{{section=\"{}\"}} {}",
                    escape(section),
                    u8::from(*d)
                )?;
            }
        }
        Ok(())
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunCounts;

    #[test]
    fn renders_counters_histogram_and_labels() {
        let m = Metrics::default();
        m.observe_fetch(Duration::from_millis(80));
        m.observe_fetch(Duration::from_secs(3));
        m.fetch_failed();
        let report = SectionReport {
            section: "National \"main\"".into(),
            status: crate::model::RunStatus::Ok,
            counts: RunCounts {
                new_articles: 3,
                new_revisions: 1,
                ..RunCounts::default()
            },
            error: None,
        };
        m.record_run(&report, "ok", 1_764_300_000);
        let drifting = SectionReport {
            section: "Business".into(),
            counts: RunCounts {
                drift: Some("the list pages gave no article links".into()),
                ..RunCounts::default()
            },
            ..report.clone()
        };
        m.record_run(&drifting, "ok", 1_764_300_000);
        let text = m.render();
        for line in [
            "herald_runs_total{section=\"National \\\"main\\\"\",result=\"ok\"} 1",
            "herald_articles_archived_total 3",
            "herald_revisions_total 1",
            "herald_fetch_failures_total 1",
            "herald_fetch_duration_seconds_bucket{le=\"0.1\"} 1",
            "herald_fetch_duration_seconds_bucket{le=\"5\"} 2",
            "herald_fetch_duration_seconds_count 2",
            "herald_last_success_timestamp_seconds{section=\"National \\\"main\\\"\"} 1764300000",
            "herald_section_drift{section=\"Business\"} 1",
            "herald_section_drift{section=\"National \\\"main\\\"\"} 0",
        ] {
            assert!(text.contains(line), "missing {line}\n{text}");
        }
    }
}

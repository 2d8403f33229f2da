//! How extraction went in a run: the signs of a redesign, and the drift
//! warning they add up to.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::config::ExtractConfig;
use crate::extract::{Layer, Record};
use crate::model::RunCounts;
use crate::site::profile::Profile;

/// Fields whose selectors should always match on a known layout.
const WATCHED: [&str; 3] = ["title", "body", "published_at"];

#[derive(Default)]
pub(super) struct Health {
    extracted: AtomicU32,
    /// Articles that needed a fallback, had no date or a short body.
    flagged: AtomicU32,
    fallbacks: AtomicU32,
    no_date: AtomicU32,
    short_body: AtomicU32,
    /// Field -> articles whose selectors for it matched nothing.
    missed: Mutex<BTreeMap<&'static str, u32>>,
}

impl Health {
    /// Counts one extracted article; `short` when its body is under the minimum.
    pub(super) fn observe(&self, record: &Record, short: bool) {
        self.extracted.fetch_add(1, Ordering::Relaxed);
        let missed: Vec<&'static str> = WATCHED
            .into_iter()
            .filter(|f| record.sources.get(*f) != Some(&Layer::Selector))
            .collect();
        let no_date = record.published_at.is_none();
        if !missed.is_empty() {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            let mut m = self.missed.lock().unwrap_or_else(PoisonError::into_inner);
            for f in missed.iter() {
                *m.entry(f).or_default() += 1;
            }
        }
        if no_date {
            self.no_date.fetch_add(1, Ordering::Relaxed);
        }
        if short {
            self.short_body.fetch_add(1, Ordering::Relaxed);
        }
        if !missed.is_empty() || no_date || short {
            self.flagged.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// When the run's share of articles needing a fallback, missing a date
    /// or with a short body passes the threshold: what stopped matching.
    pub(super) fn drift(
        &self,
        section: &str,
        cfg: &ExtractConfig,
        profile: &Profile,
    ) -> Option<String> {
        let extracted = self.extracted.load(Ordering::Relaxed);
        let flagged = self.flagged.load(Ordering::Relaxed);
        if extracted == 0 || extracted < cfg.drift_min_articles {
            return None;
        }
        if f64::from(flagged) / f64::from(extracted) <= cfg.drift_threshold {
            return None;
        }
        let missed = self.missed.lock().unwrap_or_else(PoisonError::into_inner);
        let fields: Vec<String> = missed
            .iter()
            .map(|(field, n)| {
                let sels = profile.selectors_for(field);
                format!("{field} in {n} ({})", sels.join(", "))
            })
            .collect();
        let message = format!(
            "{flagged} of {extracted} articles needed a fallback, had no date or a short body \
             ({} no date, {} short); selectors that stopped matching: {}",
            self.no_date.load(Ordering::Relaxed),
            self.short_body.load(Ordering::Relaxed),
            if fields.is_empty() {
                "none".to_string()
            } else {
                fields.join("; ")
            }
        );
        tracing::warn!(section, "the site may have changed: {message}");
        Some(message)
    }

    /// Copies the counts into the run's.
    pub(super) fn take(&self, counts: &mut RunCounts, drift: Option<String>) {
        let get = |a: &AtomicU32| a.load(Ordering::Relaxed);
        counts.extracted = get(&self.extracted);
        counts.fallbacks = get(&self.fallbacks);
        counts.no_date = get(&self.no_date);
        counts.short_body = get(&self.short_body);
        counts.drift = drift;
    }
}

//! Section schedules: cron expressions checked against what the scheduler
//! (tokio-cron-scheduler) can honour, see `crate::schedule`.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A cron expression as crontab writes it (5 fields), or with seconds (6).
#[derive(Clone)]
pub struct Schedule {
    expr: String,
    cron: croner::Cron,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.expr)
    }
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let fields = expr.split_whitespace().count();
        if fields != 5 && fields != 6 && !expr.trim_start().starts_with('@') {
            return Err(format!(
                "schedule {expr:?} has {fields} fields: write 5 as in crontab (\"*/15 * * * *\") or 6 with seconds first"
            ));
        }
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() >= 5 {
            let (dom, dow) = (fields[fields.len() - 3], fields[fields.len() - 1]);
            let restricted = |f: &str| f != "*" && f != "?";
            if restricted(dom) && restricted(dow) {
                return Err(format!(
                    "schedule {expr:?} restricts both day of month and day of week: crontab runs \
                     when either matches, the scheduler only when both do; restrict one of them"
                ));
            }
        }
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Optional)
            .build()
            .parse(expr)
            .map_err(|e| format!("invalid schedule {expr:?}: {e}"))?;
        let schedule = Schedule {
            expr: expr.trim().to_string(),
            cron,
        };
        // A date that never comes ("0 0 31 2 *") parses; a section on it
        // would never run. Eight years cover every Feb 29.
        let now = chrono::Utc::now();
        let fires = schedule
            .upcoming(now, 1)
            .first()
            .is_some_and(|t| *t - now < chrono::Duration::days(8 * 366));
        if !fires {
            return Err(format!(
                "schedule {expr:?} never fires (no such date comes): check its day and month"
            ));
        }
        Ok(schedule)
    }

    /// As written in the config.
    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The six-field form tokio-cron-scheduler requires.
    pub fn with_seconds(&self) -> String {
        if self.expr.split_whitespace().count() == 5 {
            format!("0 {}", self.expr)
        } else {
            self.expr.clone()
        }
    }

    /// The time between the next two runs after `after`: how stale a
    /// section's last run may be before it missed one.
    pub fn period<Tz: chrono::TimeZone + Copy>(
        &self,
        after: chrono::DateTime<Tz>,
    ) -> Option<chrono::Duration> {
        let next = self.upcoming(after, 2);
        Some(next.get(1)?.clone() - next.first()?.clone())
    }

    /// The next `n` run times after `after`, in the schedule's zone.
    pub fn upcoming<Tz: chrono::TimeZone + Copy>(
        &self,
        after: chrono::DateTime<Tz>,
        n: usize,
    ) -> Vec<chrono::DateTime<Tz>> {
        self.cron.iter_after(after).take(n).collect()
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Schedule::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_day_rules_are_refused() {
        let err = Schedule::parse("0 3 1 * MON").unwrap_err();
        assert!(err.contains("both day of month and day of week"), "{err}");
        assert!(Schedule::parse("0 3 1 * *").is_ok() && Schedule::parse("0 3 * * MON").is_ok());
    }

    #[test]
    fn a_schedule_that_never_fires_is_refused() {
        let err = Schedule::parse("0 0 31 2 *").unwrap_err();
        assert!(err.contains("never fires"), "{err}");
        assert!(Schedule::parse("0 0 29 2 *").is_ok());
    }

    #[test]
    fn period_is_the_time_between_two_runs() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:07:00+09:00").expect("time");
        let p = Schedule::parse("*/15 * * * *").expect("valid").period(t0);
        assert_eq!(p, Some(chrono::Duration::minutes(15)));
    }

    #[test]
    fn six_field_schedules_are_kept() {
        let s = Schedule::parse("30 */5 * * * *").expect("valid");
        assert_eq!(s.with_seconds(), "30 */5 * * * *");
    }

    #[test]
    fn next_runs_follow_the_cron_expression() {
        let s = Schedule::parse("*/15 * * * *").expect("valid");
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:07:00+09:00").expect("time");
        let runs: Vec<String> = s.upcoming(t0, 3).iter().map(|t| t.to_rfc3339()).collect();
        assert_eq!(
            runs,
            [
                "2026-11-28T10:15:00+09:00",
                "2026-11-28T10:30:00+09:00",
                "2026-11-28T10:45:00+09:00"
            ]
        );
    }
}

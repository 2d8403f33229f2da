//! The one form every time takes in the archive and in records, and the
//! clock read in that form. A leaf: it imports nothing of the crate.

use chrono::{DateTime, Utc};

/// The format records and the archive use for every time.
pub fn format_utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now, in that format.
pub fn now_utc() -> String {
    format_utc(&Utc::now())
}

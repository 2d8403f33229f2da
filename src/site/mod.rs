//! What we know about the Herald: its addresses and the selectors of its layouts.

pub mod profile;
pub mod urls;

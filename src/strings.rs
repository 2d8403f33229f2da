//! Text helpers every layer uses: whitespace squashing and the characters
//! no stored or printed text may carry. A leaf: it imports nothing of the
//! crate.

/// Whitespace runs to one space, trimmed.
pub fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A character no stored or printed text may carry: C0 controls but tab
/// and newline, DEL, C1 controls, bidi embeddings, overrides and isolates.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with such characters written as `\u{1b}`, for a message or a terminal.
pub fn escaped(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

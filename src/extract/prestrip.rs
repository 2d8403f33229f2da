//! A byte-level pass before the HTML parser: live pages spend a third of
//! their bytes on scripts, styles, inline SVG and comments that never reach a
//! record, and the tokenizer is the slowest part of extraction. JSON-LD
//! scripts are kept. Only ASCII positions are cut, so UTF-8 stays valid.

use std::borrow::Cow;

/// Tags dropped with everything up to their closing tag.
const DROPPED: &[&[u8]] = &[b"script", b"style", b"svg", b"noscript", b"template"];

pub fn prestrip(html: &str) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `html` already accounted for
    let mut i = 0;
    // What the searches ahead found, kept so that each byte is searched a
    // bounded number of times: a page of 300,000 unclosed `<svg>` tags
    // would otherwise rescan to its end for every one.
    let mut closes: [Ahead; DROPPED.len()] = Default::default();
    let mut gt = Ahead::default();
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        let skip_to = if b[at..].starts_with(b"<!--") {
            Some(find(b, at + 4, b"-->").map_or(b.len(), |e| e + 3))
        } else {
            DROPPED.iter().enumerate().find_map(|(t, tag)| {
                if !starts_with_tag(b, at + 1, tag) {
                    return None;
                }
                let open_end = gt.next(at, |from| {
                    memchr::memchr(b'>', &b[from..]).map(|e| from + e)
                })? + 1;
                if *tag == b"script" && is_json_ld(&b[at..open_end]) {
                    return None;
                }
                let close = closes[t].next(open_end, |from| find_close(b, from, tag))?;
                Some(
                    gt.next(close, |from| {
                        memchr::memchr(b'>', &b[from..]).map(|e| from + e)
                    })
                    .map_or(b.len(), |e| e + 1),
                )
            })
        };
        match skip_to {
            Some(end) => {
                let s = out.get_or_insert_with(|| String::with_capacity(html.len()));
                s.push_str(&html[copied..at]);
                copied = end;
                i = end;
            }
            None => i = at + 1,
        }
        if i >= b.len() {
            break;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut s) => {
            s.push_str(&html[copied.min(html.len())..]);
            Cow::Owned(s)
        }
    }
}

/// The first match of a search at or after a position, remembered: asked
/// again from a later position that is still before the match (or after a
/// search that found nothing), it answers without searching.
#[derive(Default, Clone, Copy)]
struct Ahead {
    /// Searched from `from`: found at `at` (`None`: nothing to the end).
    last: Option<(usize, Option<usize>)>,
}

impl Ahead {
    fn next(&mut self, from: usize, search: impl FnOnce(usize) -> Option<usize>) -> Option<usize> {
        match self.last {
            Some((start, found)) if start <= from && found.is_none_or(|f| from <= f) => found,
            _ => {
                let found = search(from);
                self.last = Some((from, found));
                found
            }
        }
    }
}

/// `<tag` followed by a delimiter, case-insensitively.
fn starts_with_tag(b: &[u8], at: usize, tag: &[u8]) -> bool {
    let end = at + tag.len();
    end < b.len()
        && b[at..end].eq_ignore_ascii_case(tag)
        && matches!(b[end], b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'/')
}

fn is_json_ld(open_tag: &[u8]) -> bool {
    open_tag
        .windows(b"ld+json".len())
        .any(|w| w.eq_ignore_ascii_case(b"ld+json"))
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

/// Start of the `</tag` that closes an element opened before `from`.
fn find_close(b: &[u8], from: usize, tag: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(off) = memchr::memchr(b'<', b.get(i..)?) {
        let at = i + off;
        if b.get(at + 1) == Some(&b'/') && starts_with_tag(b, at + 2, tag) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prestrip;

    #[test]
    fn drops_scripts_styles_svg_and_comments_but_keeps_json_ld() {
        let html = "<head><script>var a = '<p>x</p>';</script><SCRIPT src=x></SCRIPT>\
            <script type=\"application/ld+json\">{\"headline\":\"H\"}</script>\
            <style>p{}</style></head><body><!-- <p>gone</p> --><p>kept é</p>\
            <svg viewBox=\"0 0 1 1\"><path d=\"M0\"/></svg><scripts>odd tag stays</scripts></body>";
        assert_eq!(
            prestrip(html),
            "<head><script type=\"application/ld+json\">{\"headline\":\"H\"}</script>\
             </head><body><p>kept é</p><scripts>odd tag stays</scripts></body>"
        );
    }

    #[test]
    fn unclosed_and_truncated_input_does_not_panic() {
        for html in [
            "<script>never closed",
            "<!-- open",
            "<",
            "<svg",
            "a<style",
            "<p>é</p><scr",
            "<script",
        ] {
            let _ = prestrip(html);
        }
        assert_eq!(prestrip("<p>plain</p>"), "<p>plain</p>");
        // An unclosed script is left for the parser, which treats it as text.
        assert_eq!(prestrip("<script>x"), "<script>x");
        assert_eq!(prestrip("a<!-- open"), "a");
    }

    #[test]
    fn unclosed_tags_by_the_hundred_thousand_take_one_pass() {
        // Each unclosed tag once searched to the end of the page: minutes.
        for tag in [
            "<svg>",
            "<script>",
            "<style x",
            "<noscript>",
            "<template a=b>",
        ] {
            let html = format!("<p>a</p>{}", tag.repeat(200_000));
            let started = std::time::Instant::now();
            let out = prestrip(&html);
            assert!(out.starts_with("<p>a</p>"), "{tag}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{tag}: {:?}",
                started.elapsed()
            );
        }
        // The answers stay those of a fresh search.
        assert_eq!(prestrip("<svg><svg></svg>x<svg>y"), "x<svg>y");
        assert_eq!(prestrip("<style a<style b>c</style>d"), "d");
    }
}

//! A linear pass over a page's tags before the HTML parser sees it. The
//! parser's tree builder walks its stack of open elements for most tags, so
//! its time grows with the number of elements times their depth: 100,000
//! nested `<div>`s take it minutes. Real pages stay far below the limits
//! here (article pages: a few thousand elements, a few dozen levels deep);
//! a page beyond them is refused with the reason instead.

use crate::error::ExtractError;

/// Elements one page may have.
pub const MAX_ELEMENTS: usize = 50_000;
/// Levels of nesting one page may have (as counted here: elements whose
/// end tag the parser may imply, such as `<p>` and `<li>`, are not counted).
pub const MAX_DEPTH: usize = 1_000;
/// The parser compares each attribute of an element with the ones before
/// it: the sum over elements of their attribute count squared. A real page
/// has some tens of thousands; one element with 3,000 attributes is 9M.
pub const MAX_ATTRIBUTE_WORK: u64 = 10_000_000;

/// Elements that never hold others: no end tag, no level.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
    b"param",
    b"keygen",
    b"frame",
    b"basefont",
    b"bgsound",
    b"image",
];

/// Elements the parser closes by itself when a sibling starts (`<p>a<p>b`
/// is two paragraphs, not one inside the other): counted, but no level.
const IMPLIED_END: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"option",
    b"optgroup",
    b"tr",
    b"td",
    b"th",
    b"thead",
    b"tbody",
    b"tfoot",
    b"rb",
    b"rt",
    b"rp",
    b"rtc",
    b"colgroup",
    b"caption",
    b"html",
    b"head",
    b"body",
    b"a",
    b"nobr",
    b"button",
    b"form",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"plaintext",
];

/// What the pass counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub elements: usize,
    pub depth: usize,
    /// The most attributes one element has.
    pub attributes: usize,
    /// Attribute counts squared, summed.
    pub attribute_work: u64,
}

/// Refuses a page the parser could not read in time, naming what is
/// beyond the limit.
pub fn check(html: &str) -> Result<Shape, ExtractError> {
    let shape = measure(html);
    let reason = if shape.elements > MAX_ELEMENTS {
        format!(
            "{} elements or more, over the limit of {MAX_ELEMENTS}",
            shape.elements
        )
    } else if shape.depth > MAX_DEPTH {
        format!(
            "elements nested {} levels deep or more, over the limit of {MAX_DEPTH}",
            shape.depth
        )
    } else if shape.attribute_work > MAX_ATTRIBUTE_WORK {
        format!(
            "{} attributes on one element, more than the parser reads in bounded time",
            shape.attributes
        )
    } else {
        return Ok(shape);
    };
    Err(ExtractError::Shape { reason })
}

/// Counts start tags and the deepest nesting, stopping once past a limit.
pub fn measure(html: &str) -> Shape {
    let b = html.as_bytes();
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        let Some(&next) = b.get(at + 1) else {
            break;
        };
        if b[at..].starts_with(b"<!--") {
            match memchr::memmem::find(&b[at + 4..], b"-->") {
                Some(e) => {
                    i = at + 4 + e + 3;
                    continue;
                }
                None => break,
            }
        }
        let closing = next == b'/';
        let name_at = at + 1 + usize::from(closing);
        let name_len = b[name_at..]
            .iter()
            .take(32)
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b':')
            .count();
        if name_len == 0 || !b[name_at].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let mut lower = [0u8; 32];
        for (l, c) in lower.iter_mut().zip(&b[name_at..name_at + name_len]) {
            *l = c.to_ascii_lowercase();
        }
        let name = &lower[..name_len];
        let Some(gt) = memchr::memchr(b'>', &b[name_at..]).map(|e| name_at + e) else {
            break;
        };
        i = gt + 1;
        // Tag names are short: a length check first keeps this cheap on
        // pages of thousands of tags.
        let is = |list: &[&[u8]]| list.iter().any(|t| t.len() == name.len() && *t == name);
        if closing {
            // A `</p>` or `</br>` with nothing to close makes an element.
            if name == b"p" || name == b"br" {
                shape.elements += 1;
            } else if !is(VOID) && !is(IMPLIED_END) {
                depth = depth.saturating_sub(1);
            }
            if shape.elements > MAX_ELEMENTS {
                break;
            }
            continue;
        }
        shape.elements += 1;
        // A tag under 64 bytes has at most 32 attributes: with the element
        // cap, their total work stays far under the limit unread.
        let tag = &b[name_at + name_len..gt];
        let attributes = if tag.len() < 64 {
            0
        } else {
            attribute_count(tag)
        };
        shape.attributes = shape.attributes.max(attributes);
        shape.attribute_work += (attributes as u64).pow(2);
        if is(RAW_TEXT) {
            // Its text may hold anything that looks like tags; skip to its
            // end tag (none: the rest of the page is its text).
            match find_end_tag(b, i, &b[name_at..name_at + name_len]) {
                Some(end) => i = end,
                None => break,
            }
            continue;
        }
        let self_closing = b[gt - 1] == b'/';
        if !self_closing && !is(VOID) && !is(IMPLIED_END) {
            depth += 1;
            shape.depth = shape.depth.max(depth);
        }
        if shape.elements > MAX_ELEMENTS
            || shape.depth > MAX_DEPTH
            || shape.attribute_work > MAX_ATTRIBUTE_WORK
        {
            break;
        }
    }
    shape
}

/// Attributes in a start tag's bytes after its name: words that start
/// after white space (an upper bound: a quoted value with spaces counts
/// more).
fn attribute_count(tag: &[u8]) -> usize {
    let mut count = 0;
    let mut after_space = false;
    let mut i = 0;
    while i < tag.len() {
        let c = tag[i];
        // A quoted value is one word, whatever spaces it holds.
        if c == b'"' || c == b'\'' {
            i += memchr::memchr(c, &tag[i + 1..]).map_or(tag.len(), |e| e + 2);
            after_space = false;
            continue;
        }
        let space = c.is_ascii_whitespace();
        if after_space && !space && c != b'/' {
            count += 1;
        }
        after_space = space;
        i += 1;
    }
    count
}

/// Position after the `</name ...>` at or after `from`.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(off) = memchr::memmem::find(&b[i..], b"</") {
        let at = i + off + 2;
        let end = at + name.len();
        if b.get(at..end).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return memchr::memchr(b'>', &b[end..]).map(|e| end + e + 1);
        }
        i = at;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_elements_and_nesting_as_the_parser_would_build_them() {
        let s = measure(
            "<html><body><div><p>a<p>b<ul><li>x<li>y</ul><br><img src=x></div></body></html>",
        );
        // html body div p p ul li li br img
        assert_eq!(s.elements, 10);
        assert_eq!(s.depth, 2, "div > ul: p, li and the rest are not levels");
        let s = measure("<div><div><div/></div></div><div></div>");
        assert_eq!(s.depth, 2);
        // Tags inside scripts, comments and text do not count; a `</p>`
        // counts as one more (without its `<p>` it makes one).
        let s =
            measure("<script>'<div><div>'</script><!-- <div><div> --><p>1 < 2</p><textarea><div>");
        assert_eq!((s.elements, s.depth), (4, 0));
    }

    #[test]
    fn pages_past_the_limits_are_refused_with_what_is_wrong() {
        let deep = "<div>".repeat(MAX_DEPTH + 1);
        let err = check(&deep).expect_err("too deep").to_string();
        assert!(err.contains("nested 1001 levels deep"), "{err}");
        let many = "<p>x".repeat(MAX_ELEMENTS + 1);
        let err = check(&many).expect_err("too many").to_string();
        assert!(err.contains("over the limit of 50000"), "{err}");
        // Siblings do not nest, however many.
        assert!(check(&"<div>x</div>".repeat(40_000)).is_ok());
        assert!(check(&"<span>x</span>".repeat(MAX_DEPTH * 3)).is_ok());
        // Each stray `</p>` is an element of its own.
        assert!(check(&"</p>".repeat(MAX_ELEMENTS + 1)).is_err());
        let attrs: String = (0..5_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
        let err = check(&format!("<div{attrs}>x</div>"))
            .expect_err("too many attributes")
            .to_string();
        assert!(err.contains("5000 attributes on one element"), "{err}");
        let s = measure(
            "<div class=\"a b c d e f g h i j k l m n o p q r s t u v w x y z\" id=x\n data-x='1 2 3' hidden>x</div><br/>",
        );
        assert_eq!((s.attributes, s.attribute_work), (4, 16));
        // Many elements with a few attributes each are a real page.
        assert!(check(&"<a href=\"/x\" class=\"y\" title=\"z\">x</a>".repeat(40_000)).is_ok());
    }

    #[test]
    fn broken_tags_do_not_panic_or_stop_the_count_early() {
        for html in [
            "<", "</", "<d", "<div", "</div", "<!--", "<1div>", "<div/>", "</>", "<é>",
        ] {
            let _ = measure(html);
        }
        assert_eq!(measure("<<<div>>>").elements, 1);
        assert_eq!(measure("</div></div><div>").depth, 1);
    }
}

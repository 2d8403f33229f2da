//! How kept pages are stored: zstd at its fastest level (pages still shrink
//! about sixfold, and it costs a fraction of parsing them), one context per
//! thread, reused. Written by the crawl, read by `reextract` and the WARC
//! export.

/// A page, compressed for `article_revisions.page`.
pub fn compress(page: &str) -> Vec<u8> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = zstd::bulk::Compressor::new(1).ok();
        }
        c.as_mut()
            .and_then(|c| c.compress(page.as_bytes()).ok())
            .unwrap_or_default()
    })
}

/// The page's bytes, or `None` when the blob does not decompress.
pub fn decompress(blob: &[u8]) -> Option<Vec<u8>> {
    zstd::decode_all(blob).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_page_comes_back_as_it_went_in() {
        let page = "<html><body><p>수정 Updated</p></body></html>".repeat(50);
        let blob = super::compress(&page);
        assert!(blob.len() < page.len());
        assert_eq!(super::decompress(&blob), Some(page.into_bytes()));
        assert_eq!(super::decompress(b"not zstd"), None);
    }
}

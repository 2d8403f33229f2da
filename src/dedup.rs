//! Recognising the same story: an exact content hash over the normalised
//! body (same text under another address), and a SimHash over word
//! shingles (nearly the same text: a wire story published twice, a
//! corrected paragraph).

use crate::strings::squash;

/// blake3 of the body with whitespace normalised in each paragraph.
pub fn content_hash(body: &str) -> String {
    let normalised: Vec<String> = body.split("\n\n").map(squash).collect();
    blake3::hash(normalised.join("\n\n").as_bytes())
        .to_hex()
        .to_string()
}

/// 64-bit SimHash of the body's lower-cased words, each occurrence counted.
/// Single words keep short stories stable under small edits: one reworded
/// sentence in a 200-word story moves about six bits (3-word shingles moved
/// twelve), while unrelated stories stay about thirty bits apart.
pub fn simhash(body: &str) -> u64 {
    let mut weights = [0i32; 64];
    let mut any = false;
    for word in body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        any = true;
        let h = mix(word_hash(word));
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    if !any {
        return 0;
    }
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// FNV-1a over the lower-cased characters of a word.
fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for c in word.chars().flat_map(char::to_lowercase) {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// splitmix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The eight 8-bit bands of a SimHash, as (band number, value). By the
/// pigeonhole principle two hashes at most 7 bits apart agree on at least
/// one band, so looking up the bands finds every candidate within
/// [`MAX_NEAR_BITS`].
pub fn bands(h: u64) -> [(i64, i64); 8] {
    [0, 1, 2, 3, 4, 5, 6, 7].map(|band| (band, ((h >> (8 * band)) & 0xff) as i64))
}

/// The largest distance band lookup is sure to find.
pub const MAX_NEAR_BITS: u32 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Some 100 government and corporate officials from South Korea and Japan held a meeting Thursday on trade and new industry cooperation, the first major meeting after the two sides vowed to improve diplomatic and economic ties earlier this month, Seoul's industry ministry said.\n\nThey discussed ways to boost cooperation in new industry sectors and economic exchanges in the trade meeting in Seoul, co-hosted by the Korea International Trade Association and the Korea-Japan Economic Association, according to the Ministry of Trade, Industry and Energy.\n\nThe meeting came two weeks after South Korean President Yoon Suk Yeol and Japanese Prime Minister Fumio Kishida agreed to improve the countries' strained relationship stemming from Japan's 1910-45 colonial rule of Korea.\n\nSouth Korea withdrew a complaint it filed with the World Trade Organization on the issue, and the two nations agreed to put each other back onto their respective whitelists of trusted trading partners.";

    #[test]
    fn a_small_edit_is_near_and_another_story_is_far() {
        let edited = STORY
            .replace("Some 100", "About 100")
            .replace(" earlier this month", "");
        let near = distance(simhash(STORY), simhash(&edited));
        assert!(near <= 4, "edited copy is {near} bits away");
        let other = "Kakao will shut down the legacy version of its messaging application programming interface on June 30 next year, the company said Friday, asking about 12,000 partner firms to migrate to its newer platform. The older interface, introduced in 2015, lacks the end-to-end delivery receipts and rate controls that the newer version offers.";
        let far = distance(simhash(STORY), simhash(other));
        assert!(far > 10, "different stories only {far} bits apart");
    }

    #[test]
    fn whitespace_does_not_change_the_content_hash() {
        assert_eq!(content_hash("a  b\n\nc"), content_hash("a b\n\n c\u{a0}"));
        assert_ne!(content_hash("a b"), content_hash("a c"));
    }

    #[test]
    fn near_hashes_share_a_band() {
        let h = simhash(STORY);
        let flipped =
            h ^ (1 << 3) ^ (1 << 12) ^ (1 << 20) ^ (1 << 33) ^ (1 << 40) ^ (1 << 50) ^ (1 << 63);
        let shared = bands(h)
            .iter()
            .zip(bands(flipped))
            .filter(|(a, b)| **a == *b)
            .count();
        assert!(shared >= 1);
    }
}

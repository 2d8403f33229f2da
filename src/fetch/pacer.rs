//! Politeness shared by every section and every config generation: at most
//! `concurrency` requests in flight, and a pause between two requests that
//! is `min_delay`, or robots.txt's `Crawl-delay` when that is longer.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

pub struct Pacer {
    slots: Semaphore,
    capacity: AtomicUsize,
    min_delay_ms: AtomicU64,
    crawl_delay_ms: AtomicU64,
    /// When the last request was let go.
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(min_delay: Duration, concurrency: usize) -> Pacer {
        Pacer {
            slots: Semaphore::new(concurrency),
            capacity: AtomicUsize::new(concurrency),
            min_delay_ms: AtomicU64::new(min_delay.as_millis() as u64),
            crawl_delay_ms: AtomicU64::new(0),
            last: Mutex::new(None),
        }
    }

    /// New settings from a reloaded config; requests in flight keep their slot.
    pub fn configure(&self, min_delay: Duration, concurrency: usize) {
        self.min_delay_ms
            .store(min_delay.as_millis() as u64, Ordering::Relaxed);
        let old = self.capacity.swap(concurrency, Ordering::SeqCst);
        if concurrency > old {
            self.slots.add_permits(concurrency - old);
        } else {
            self.slots.forget_permits(old - concurrency);
        }
    }

    pub fn set_crawl_delay(&self, delay: Option<Duration>) {
        let ms = delay.map_or(0, |d| d.as_millis() as u64);
        self.crawl_delay_ms.store(ms, Ordering::Relaxed);
    }

    /// The pause in force between two requests.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(
            self.min_delay_ms
                .load(Ordering::Relaxed)
                .max(self.crawl_delay_ms.load(Ordering::Relaxed)),
        )
    }

    /// Waits for a free slot and for this request's turn; the slot is held
    /// until the permit is dropped.
    pub async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        let permit = self.slots.acquire().await.ok();
        // The delay in force now counts from the last request, so a
        // Crawl-delay learnt from robots.txt applies to the very next one.
        let now = Instant::now();
        let at = {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let at = last.map_or(now, |l| (l + self.delay()).max(now));
            *last = Some(at);
            at
        };
        if at > now {
            tokio::time::sleep_until(at).await;
        }
        permit
    }
}

/// A random number below `n` (0 when `n` is 0), different in every call.
pub(crate) fn random_below(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    RandomState::new().hash_one(std::time::SystemTime::now()) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_longer_of_min_delay_and_crawl_delay() {
        let pacer = Pacer::new(Duration::from_millis(100), 4);
        let start = Instant::now();
        for _ in 0..3 {
            drop(pacer.turn().await);
        }
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        pacer.set_crawl_delay(Some(Duration::from_secs(2)));
        let start = Instant::now();
        drop(pacer.turn().await);
        drop(pacer.turn().await);
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn concurrency_is_capped_and_can_change() {
        let pacer = Pacer::new(Duration::ZERO, 2);
        let a = pacer.turn().await;
        let b = pacer.turn().await;
        assert_eq!(pacer.slots.available_permits(), 0);
        pacer.configure(Duration::ZERO, 3);
        let c = pacer.turn().await;
        assert!(a.is_some() && b.is_some() && c.is_some());
        drop((a, b, c));
        pacer.configure(Duration::ZERO, 1);
        assert_eq!(pacer.slots.available_permits(), 1);
    }
}

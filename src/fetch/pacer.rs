//! Politeness shared by every section and every config generation: at most
//! `concurrency` requests in flight, and a pause between two requests that
//! is `min_delay`, or robots.txt's `Crawl-delay` when that is longer.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};

/// A request's place among the `concurrency` in flight; given back when
/// dropped, unless a lowered `concurrency` still owes one.
pub struct Slot<'a> {
    permit: Option<SemaphorePermit<'a>>,
    owed: &'a AtomicUsize,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let owing = self
            .owed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| o.checked_sub(1))
            .is_ok();
        if let Some(p) = self.permit.take() {
            if owing {
                p.forget();
            }
        }
    }
}
use tokio::time::Instant;

pub struct Pacer {
    slots: Semaphore,
    capacity: AtomicUsize,
    /// Slots to take away as requests in flight end: a reload that lowers
    /// `concurrency` while they hold more than the new cap.
    owed: AtomicUsize,
    min_delay_ms: AtomicU64,
    crawl_delay_ms: AtomicU64,
    /// When the last request was let go.
    last: Mutex<Option<Instant>>,
    /// Whether a Crawl-delay past the ceiling was warned of (once a process).
    clamped: std::sync::atomic::AtomicBool,
    /// Set at shutdown: no request starts and no retry waits after it.
    stop: tokio_util::sync::CancellationToken,
}

impl Pacer {
    pub fn new(min_delay: Duration, concurrency: usize) -> Pacer {
        Pacer {
            slots: Semaphore::new(concurrency),
            capacity: AtomicUsize::new(concurrency),
            owed: AtomicUsize::new(0),
            min_delay_ms: AtomicU64::new(min_delay.as_millis() as u64),
            crawl_delay_ms: AtomicU64::new(0),
            last: Mutex::new(None),
            stop: tokio_util::sync::CancellationToken::new(),
            clamped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// True the first time only: a too-long Crawl-delay is warned of once.
    pub fn first_clamp(&self) -> bool {
        !self.clamped.swap(true, Ordering::Relaxed)
    }

    /// Shutdown: requests waiting for their turn give it up, and none starts.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Completes at shutdown.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// New settings from a reloaded config; requests in flight keep their slot.
    pub fn configure(&self, min_delay: Duration, concurrency: usize) {
        self.min_delay_ms
            .store(min_delay.as_millis() as u64, Ordering::Relaxed);
        let old = self.capacity.swap(concurrency, Ordering::SeqCst);
        if concurrency > old {
            // Slots still owed from a lower setting are cancelled first.
            let mut more = concurrency - old;
            let cancelled = self
                .owed
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                    Some(o - o.min(more))
                })
                .map_or(0, |o| o.min(more));
            more -= cancelled;
            self.slots.add_permits(more);
        } else {
            // Idle slots go now; the ones in flight as their requests end.
            let fewer = old - concurrency;
            let gone = self.slots.forget_permits(fewer);
            self.owed.fetch_add(fewer - gone, Ordering::SeqCst);
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
    pub async fn turn(&self) -> Option<Slot<'_>> {
        let permit = self.slots.acquire().await.ok().map(|permit| Slot {
            permit: Some(permit),
            owed: &self.owed,
        });
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
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {}
                _ = self.stop.cancelled() => {}
            }
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

    #[tokio::test]
    async fn a_lower_concurrency_takes_effect_as_requests_in_flight_end() {
        let pacer = Pacer::new(Duration::ZERO, 4);
        let held: Vec<_> = futures_join(&pacer, 4).await;
        // All four in flight: nothing idle to take away yet.
        pacer.configure(Duration::ZERO, 1);
        assert_eq!(pacer.slots.available_permits(), 0);
        drop(held);
        // Three of the four slots were owed: one is left.
        assert_eq!(pacer.slots.available_permits(), 1);
        let one = pacer.turn().await;
        assert!(one.is_some());
        assert!(
            tokio::time::timeout(Duration::from_millis(50), pacer.turn())
                .await
                .is_err(),
            "a second request got a slot over the cap"
        );
        drop(one);
        // Raising it again cancels nothing owed and adds slots.
        pacer.configure(Duration::ZERO, 3);
        assert_eq!(pacer.slots.available_permits(), 3);
        // Lowered while two are in flight, raised before they end: the
        // debt is cancelled, not paid twice.
        let two: Vec<_> = futures_join(&pacer, 2).await;
        pacer.configure(Duration::ZERO, 1);
        pacer.configure(Duration::ZERO, 3);
        drop(two);
        assert_eq!(pacer.slots.available_permits(), 3);
    }

    async fn futures_join(pacer: &Pacer, n: usize) -> Vec<Option<Slot<'_>>> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(pacer.turn().await);
        }
        out
    }
}

//! The one writer: a thread that owns the archive's read-write connection
//! and takes its work as commands over a bounded channel, replying on
//! oneshots. The async side never holds a lock on the archive nor waits on
//! SQLite: it awaits a reply.
//!
//! Links' outcomes are committed several to a transaction (as many as are
//! queued, up to [`MAX_BATCH`] or [`MAX_BATCH_TIME`]): one commit per article
//! was the crawl's bound. Each link is still all-or-nothing (its article,
//! addresses, revision, validators, kept page, backlog entry and run count):
//! when one fails, the batch is rolled back and every link of it is written
//! again in a transaction of its own, so one bad link costs only itself.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, watch};

use super::identity::FileIdentity;
use super::lock::ArchiveLock;
use super::queue::PendingPolicy;
use super::upkeep::describe_write_error;
use super::{articles, http_cache, queue, runs, Archive};
use crate::error::{chain, ArchiveError, Error};
use crate::model::{Outcome, Validators};
use crate::record::Record;

/// Links committed in one transaction at most.
pub const MAX_BATCH: usize = 256;
/// A batch's transaction stays open at most this long before it commits.
pub const MAX_BATCH_TIME: Duration = Duration::from_millis(40);
/// How long the checkpoint at a clean stop waits for readers.
const FINAL_CHECKPOINT_WAIT: Duration = Duration::from_millis(300);
/// Commands waiting for the writer; senders wait when it is full.
const QUEUE: usize = 512;

/// What became of one link, to be written with its bookkeeping.
#[derive(Debug)]
pub enum LinkDone {
    /// Extracted: store the record, found under `addresses`, and the
    /// validators of the answer.
    Store {
        record: Box<Record>,
        addresses: Vec<String>,
        fetched_at: String,
        page: Option<Vec<u8>>,
        /// The status line and headers the page came with (kept with it).
        head: Option<String>,
        validators: Validators,
    },
    /// A re-check answered 304.
    NotModified { url: String, at: String },
    /// Not archived; `queue` puts it in `pending_fetches` to be retried.
    Failed {
        url: String,
        section: String,
        error: String,
        page: Option<Vec<u8>>,
        at: chrono::DateTime<chrono::Utc>,
        policy: PendingPolicy,
        queue: bool,
    },
}

/// A link's outcome and the bookkeeping that goes with it.
#[derive(Debug)]
pub struct LinkJob {
    /// The run whose counts it adds to.
    pub run: Option<i64>,
    /// The backlog entry it ends (its canonical address).
    pub backlog: Option<String>,
    pub done: LinkDone,
}

/// Run on the archive, or told why it cannot be.
type Call = Box<dyn FnOnce(Result<&mut Archive, ArchiveError>) + Send>;

enum Command {
    Link(LinkJob, oneshot::Sender<Result<Outcome, ArchiveError>>),
    Call(Call),
    Probe(Duration, oneshot::Sender<Result<(), String>>),
    Stop(oneshot::Sender<()>),
}

/// What the writer is doing, readable without waiting for it.
#[derive(Debug)]
pub struct WriterHealth {
    /// Why the last write failed; cleared by the next write that succeeds.
    error: watch::Sender<Option<String>>,
    /// Why the archive can no longer be written by this process (its file
    /// deleted, replaced or damaged); never cleared: only a restart helps.
    fatal: OnceLock<String>,
    /// The archive file the writer has open, checked before each batch.
    identity: OnceLock<FileIdentity>,
    /// Milliseconds since `epoch` at which the current command began; 0 when idle.
    busy_since: AtomicU64,
    epoch: Instant,
}

impl WriterHealth {
    fn new() -> WriterHealth {
        WriterHealth {
            error: watch::Sender::new(None),
            fatal: OnceLock::new(),
            identity: OnceLock::new(),
            busy_since: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// The last write error, if no write has succeeded since.
    pub fn last_error(&self) -> Option<String> {
        self.fatal
            .get()
            .cloned()
            .or_else(|| self.error.borrow().clone())
    }

    /// `Err` with what happened once the archive's path no longer names the
    /// file the writer has open, or the file turned out damaged.
    pub fn check_file(&self) -> Result<(), String> {
        if let Some(why) = self.fatal.get() {
            return Err(why.clone());
        }
        if let Some(identity) = self.identity.get() {
            identity.note_wal();
            if let Err(why) = identity.check() {
                self.give_up(why.clone());
                return Err(why);
            }
        }
        Ok(())
    }

    /// Stops all writing for good, saying why once (at ERROR).
    pub fn give_up(&self, why: String) {
        if self.fatal.set(why.clone()).is_ok() {
            tracing::error!(error = %why, "the archive can no longer be written by this process");
            self.failed(why);
        }
    }

    /// A failed write: a damaged file stops all writing, anything else is
    /// reported until a write succeeds.
    fn record(&self, path: &Path, e: &ArchiveError) {
        let why = describe_write_error(path, e);
        if e.is_corrupt() {
            self.give_up(why);
        } else {
            self.failed(why);
        }
    }

    /// How long the writer has been on its current command.
    pub fn busy_for(&self) -> Option<Duration> {
        match self.busy_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(
                self.epoch
                    .elapsed()
                    .saturating_sub(Duration::from_millis(since)),
            ),
        }
    }

    fn begin(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.busy_since.store(ms.max(1), Ordering::Relaxed);
    }

    fn end(&self) {
        self.busy_since.store(0, Ordering::Relaxed);
    }

    fn observe<T>(&self, path: &Path, result: &Result<T, ArchiveError>) {
        match result {
            Ok(_) => self.ok(),
            Err(e @ ArchiveError::Sql { .. }) => self.record(path, e),
            Err(_) => {}
        }
    }

    fn ok(&self) {
        self.error.send_if_modified(|e| e.take().is_some());
    }

    fn failed(&self, why: String) {
        self.error.send_replace(Some(why));
    }
}

/// The handle to the writer thread; clones share it.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
    health: Arc<WriterHealth>,
    path: PathBuf,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

impl Writer {
    /// Opens and migrates the archive in a new thread that holds `lock` for
    /// its lifetime, and closes the runs a dead process left open. Blocks
    /// until the archive is open (call it off the async threads).
    pub fn start(
        lock: ArchiveLock,
        path: &Path,
        busy_timeout: Duration,
        near_bits: u32,
    ) -> Result<Writer, ArchiveError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let health = Arc::new(WriterHealth::new());
        let (owned, shared) = (path.to_path_buf(), health.clone());
        let identity = lock.identity(path).map_err(|source| ArchiveError::Lock {
            path: path.to_path_buf(),
            source,
        })?;
        let spawned = std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || {
                let mut archive = match Archive::open_with(&owned, busy_timeout).and_then(|mut a| {
                    a.set_near_duplicate_bits(near_bits);
                    a.tune_for_writing()?;
                    let now = crate::clock::now_utc();
                    let closed = a.close_dead_runs(&now)?;
                    if closed > 0 {
                        tracing::warn!(
                            runs = closed,
                            "closed runs a stopped process left open; their unfinished links are in the backlog"
                        );
                    }
                    Ok(a)
                }) {
                    Ok(a) => {
                        identity.note_wal();
                        let _ = shared.identity.set(identity);
                        let _ = ready_tx.send(Ok(()));
                        a
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                serve(&mut archive, rx, &shared);
                drop(archive);
                drop(lock);
            })
            .map_err(|source| ArchiveError::Lock {
                path: path.to_path_buf(),
                source,
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Writer {
                tx,
                health,
                path: path.to_path_buf(),
            }),
            Ok(Err(e)) => {
                let _ = spawned.join();
                Err(e)
            }
            Err(_) => Err(ArchiveError::WriterGone),
        }
    }

    /// Takes the archive's lock (waiting for another writer to end, with
    /// `wait`; else refusing, naming it) and starts the writer, off the
    /// async threads. `what` names this process's job in the lock file.
    pub async fn open(
        path: PathBuf,
        busy_timeout: Duration,
        near_bits: u32,
        what: &'static str,
        wait: bool,
    ) -> Result<Writer, ArchiveError> {
        tokio::task::spawn_blocking(move || {
            let lock = if wait {
                if let Some(holder) = ArchiveLock::holder(&path) {
                    tracing::warn!(%holder, archive = %path.display(), "waiting for the other writer to finish");
                }
                ArchiveLock::wait(&path, what)?
            } else {
                ArchiveLock::acquire(&path, what)?
            };
            Writer::start(lock, &path, busy_timeout, near_bits)
        })
        .await
        .map_err(|_| ArchiveError::Panicked {
            what: "starting the archive writer",
        })?
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn health(&self) -> &Arc<WriterHealth> {
        &self.health
    }

    /// Writes one link's outcome; answers once it is committed.
    pub async fn link(&self, job: LinkJob) -> Result<Outcome, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Link(job, reply))
            .await
            .map_err(|_| ArchiveError::WriterGone)?;
        Ok(rx.await.map_err(|_| ArchiveError::WriterGone)??)
    }

    /// Runs `f` on the writer's archive, between batches.
    pub async fn call<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Archive) -> Result<T, ArchiveError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let health = self.health.clone();
        let call: Call = Box::new(move |archive: Result<&mut Archive, ArchiveError>| {
            let result = archive.and_then(|archive| {
                let result = f(archive);
                health.observe(archive.path(), &result);
                result
            });
            let _ = reply.send(result);
        });
        self.tx
            .send(Command::Call(call))
            .await
            .map_err(|_| ArchiveError::WriterGone)?;
        Ok(rx.await.map_err(|_| ArchiveError::WriterGone)??)
    }

    /// Whether a write can be made: asks the writer for a real write that
    /// waits at most `wait` for another process's lock.
    pub async fn probe(&self, wait: Duration) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Command::Probe(wait, reply))
            .map_err(|_| "the archive writer is behind on its work".to_string())?;
        rx.await
            .map_err(|_| "the archive writer has stopped".to_string())?
    }

    /// Lets the writer finish what was sent before, then stops it.
    pub async fn stop(&self) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::Stop(reply)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn serve(archive: &mut Archive, mut rx: mpsc::Receiver<Command>, health: &WriterHealth) {
    let mut carry: Option<Command> = None;
    loop {
        let command = match carry.take() {
            Some(c) => c,
            None => match rx.blocking_recv() {
                Some(c) => c,
                None => return,
            },
        };
        health.begin();
        if !matches!(command, Command::Stop(_)) {
            if let Err(why) = health.check_file() {
                refuse(command, archive.path(), why);
                health.end();
                continue;
            }
        }
        match command {
            Command::Link(job, reply) => {
                let mut batch = vec![(job, reply)];
                let started = Instant::now();
                while batch.len() < MAX_BATCH && started.elapsed() < MAX_BATCH_TIME {
                    match rx.try_recv() {
                        Ok(Command::Link(job, reply)) => batch.push((job, reply)),
                        Ok(other) => {
                            carry = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                write_batch(archive, batch, health);
            }
            Command::Call(f) => {
                if std::panic::catch_unwind(AssertUnwindSafe(|| f(Ok(archive)))).is_err() {
                    tracing::error!("an archive command panicked; its transaction was rolled back");
                    let _ = archive.conn.execute_batch("ROLLBACK");
                }
            }
            Command::Probe(wait, reply) => {
                let result = archive.check_writable(wait);
                match &result {
                    Ok(()) => health.ok(),
                    Err(why) => health.failed(why.clone()),
                }
                let _ = reply.send(result);
            }
            Command::Stop(reply) => {
                // A clean end leaves everything in the .db file itself, so
                // a copy of it alone (cp, rsync) is the whole archive.
                if health.check_file().is_ok() {
                    let _ = archive.conn.busy_timeout(FINAL_CHECKPOINT_WAIT);
                    if let Err(e) = archive.checkpoint() {
                        tracing::debug!(error = %chain(&e), "the final checkpoint was not whole (a reader is open); the WAL keeps the rest");
                    }
                }
                health.end();
                let _ = reply.send(());
                return;
            }
        }
        health.end();
    }
}

/// Answers a command without touching the archive: it is no longer there.
fn refuse(command: Command, path: &Path, why: String) {
    let unusable = || ArchiveError::Unusable {
        path: path.to_path_buf(),
        why: why.clone(),
    };
    match command {
        Command::Link(_, reply) => {
            let _ = reply.send(Err(unusable()));
        }
        Command::Call(f) => f(Err(unusable())),
        Command::Probe(_, reply) => {
            let _ = reply.send(Err(why.clone()));
        }
        Command::Stop(reply) => {
            let _ = reply.send(());
        }
    }
}

type Batch = Vec<(LinkJob, oneshot::Sender<Result<Outcome, ArchiveError>>)>;

/// Commits a batch in one transaction; if any of it fails, writes each link
/// alone so the others still land and the failing one gets its own error.
fn write_batch(archive: &mut Archive, batch: Batch, health: &WriterHealth) {
    let near = archive.near_bits;
    let conn = &archive.conn;
    let together = std::panic::catch_unwind(AssertUnwindSafe(|| {
        in_transaction(conn, |c| {
            let mut new = Vec::new();
            let outcomes = batch
                .iter()
                .map(|(job, _)| apply(c, near, job, &mut new))
                .collect::<Result<Vec<_>, _>>()?;
            articles::index_new(c, &new)?;
            Ok(outcomes)
        })
    }));
    match together {
        Ok(Ok(outcomes)) => {
            health.ok();
            for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
            return;
        }
        Ok(Err(e)) if batch.len() == 1 => {
            health.record(archive.path(), &e);
            if let Some((_, reply)) = batch.into_iter().next() {
                let _ = reply.send(Err(e));
            }
            return;
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %chain(&e), links = batch.len(), "a batch failed; writing its links one by one")
        }
        Err(_) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::error!("writing a batch panicked; writing its links one by one");
        }
    }
    for (job, reply) in batch {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_transaction(conn, |c| {
                let mut new = Vec::new();
                let outcome = apply(c, near, &job, &mut new)?;
                articles::index_new(c, &new)?;
                Ok(outcome)
            })
        }))
        .unwrap_or_else(|_| {
            let _ = conn.execute_batch("ROLLBACK");
            Err(ArchiveError::Panicked {
                what: "writing a link",
            })
        });
        match &result {
            Ok(_) => health.ok(),
            Err(e) => {
                tracing::warn!(error = %chain(e), "a link could not be written");
                health.record(archive.path(), e);
            }
        }
        let _ = reply.send(result);
    }
}

fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, ArchiveError>,
) -> Result<T, ArchiveError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(ArchiveError::sql("starting a write"))?;
    match f(conn) {
        Ok(v) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(ArchiveError::Sql {
                    context: "committing",
                    source: e,
                })
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Writes one link's outcome; a new article's id goes to `new` for indexing.
fn apply(
    conn: &Connection,
    near_bits: u32,
    job: &LinkJob,
    new: &mut Vec<i64>,
) -> Result<Outcome, ArchiveError> {
    let outcome = match &job.done {
        LinkDone::Store {
            record,
            addresses,
            fetched_at,
            page,
            head,
            validators,
        } => {
            let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
            let (stored, id) = articles::store_in(
                conn,
                near_bits,
                record,
                &addresses,
                fetched_at,
                page.as_deref(),
                head.as_deref(),
            )?;
            if stored == crate::model::Stored::New {
                new.push(id);
            }
            http_cache::save_in(conn, &record.url, validators, fetched_at)?;
            Outcome::Stored(stored)
        }
        LinkDone::NotModified { url, at } => {
            articles::touch_in(conn, url, at)?;
            Outcome::NotModified
        }
        LinkDone::Failed {
            url,
            section,
            error,
            page,
            at,
            policy,
            queue,
        } => {
            if *queue {
                queue::record_failure_in(conn, url, section, error, *at, *policy, page.as_deref())?;
            }
            Outcome::Failed
        }
    };
    if let Some(url) = &job.backlog {
        queue::remove_from_backlog(conn, url)?;
    }
    if let Some(run) = job.run {
        runs::count_outcome(conn, run, outcome)?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_archive_stops_writing_for_good_and_a_lock_does_not() {
        let path = Path::new("archive.db");
        let health = WriterHealth::new();
        let locked = ArchiveError::Sql {
            context: "committing",
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            ),
        };
        health.record(path, &locked);
        assert!(health.check_file().is_ok(), "a held lock passes");
        health.ok();
        assert_eq!(health.last_error(), None);
        let malformed = ArchiveError::Sql {
            context: "reading the backlog",
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                None,
            ),
        };
        health.record(path, &malformed);
        health.ok();
        let why = health
            .last_error()
            .expect("still unhealthy after a good write");
        assert!(why.contains("damaged"), "{why}");
        assert!(health.check_file().is_err());
    }
}

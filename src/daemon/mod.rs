//! `herald-archiver run`: each section crawls on its own cron schedule until
//! SIGTERM. SIGHUP re-reads the config. systemd is told READY, RELOADING,
//! STOPPING, a STATUS line after each run, and watchdog pings.
//!
//! Reload: the new config is validated first; an invalid one is logged and
//! the running schedules stay. A valid one reschedules changed sections,
//! stops removed ones and starts added ones. Runs in progress finish under
//! the settings they started with; the next run uses the new ones.
//!
//! Stop: no new run or article starts; runs in progress have
//! `[daemon] grace_period` to finish the article they are on, then are
//! dropped. Each link's outcome is written whole or not at all, and the links
//! a run did not reach stay in its section's backlog for the next run.
//!
//! The archive is written by one thread ([`Writer`]); nothing here waits on
//! SQLite on an async thread, so watchdog pings go out whatever it is doing.

mod http;
mod notify;

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::Utc;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::archive::{Readers, Writer};
use crate::config::Config;
use crate::crawl::{Context, Crawler};
use crate::error::{chain, Error};
use crate::metrics::Metrics;
use crate::model::{RunStatus, SectionReport};
use crate::schedule::{Scheduler, Task};

/// What the job tasks, the metrics server and the main loop share.
pub(crate) struct Shared {
    writer: Writer,
    readers: Readers,
    context: Context,
    metrics: Arc<Metrics>,
    /// The crawler of the config in force; a run takes it when it starts.
    current: RwLock<Arc<Crawler>>,
    /// Per section: a run is going on.
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Per section: runs started since the daemon started.
    started: Mutex<HashMap<String, u64>>,
    revisiting: AtomicBool,
    limit: Arc<Semaphore>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    ping: mpsc::Sender<oneshot::Sender<()>>,
}

impl Shared {
    fn crawler(&self) -> Arc<Crawler> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs of `section` started so far, after adding `more`.
    fn started(&self, section: &str, more: u64) -> u64 {
        let mut map = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(section.to_string()).or_default();
        *n += more;
        *n
    }

    fn flag(&self, section: &str) -> Arc<AtomicBool> {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(section.to_string())
            .or_default()
            .clone()
    }

    /// Healthy while the main loop answers and the archive takes writes.
    /// Answers within a second: every wait below has a deadline.
    pub(crate) async fn health(&self) -> Result<&'static str, String> {
        let (tx, rx) = oneshot::channel();
        self.ping
            .try_send(tx)
            .map_err(|_| "the scheduler loop does not take pings".to_string())?;
        tokio::time::timeout(Duration::from_millis(250), rx)
            .await
            .map_err(|_| "the scheduler loop does not answer".to_string())?
            .map_err(|_| "the scheduler loop has stopped".to_string())?;
        // Two stats: answered even while the writer is busy.
        self.writer.health().check_file()?;
        crate::archive::check_disk(self.writer.path())?;
        match tokio::time::timeout(
            Duration::from_millis(600),
            self.writer.probe(Duration::from_millis(300)),
        )
        .await
        {
            Ok(Ok(())) => Ok("ok"),
            Ok(Err(why)) => Err(why),
            // The writer is on something else: judge by what it last saw.
            Err(_) => {
                let writer = self.writer.health();
                if let Some(why) = writer.last_error() {
                    return Err(why);
                }
                match writer.busy_for() {
                    Some(d) if d > WRITER_STUCK => Err(format!(
                        "the archive writer has been on one write for {} s (is another process holding the archive's lock?)",
                        d.as_secs()
                    )),
                    _ => Ok("ok (the archive writer is busy)"),
                }
            }
        }
    }
}

/// Clears a section's running flag when its run ends, however it ends.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A write that takes longer than this makes the archive unhealthy.
const WRITER_STUCK: Duration = Duration::from_secs(2);

/// Runs until SIGTERM or SIGINT.
pub async fn run(config_path: PathBuf, config: Config) -> Result<(), Error> {
    let a = &config.archive;
    let writer = Writer::open(
        a.path.clone(),
        a.busy_timeout.0,
        a.near_duplicate_bits.0,
        "run",
        false,
    )
    .await?;
    let readers = Readers::new(writer.path());
    let context = Context::new(&config);
    let metrics = context.metrics.clone();
    let config = Arc::new(config);
    let crawler = Arc::new(Crawler::new(config.clone(), writer.clone(), &context)?);
    let (ping, mut pings) = mpsc::channel(4);
    let shared = Arc::new(Shared {
        writer,
        readers,
        context,
        metrics,
        current: RwLock::new(crawler),
        running: Mutex::default(),
        started: Mutex::default(),
        revisiting: AtomicBool::new(false),
        limit: Arc::new(Semaphore::new(config.scheduler.max_concurrent_runs.0)),
        tracker: TaskTracker::new(),
        shutdown: CancellationToken::new(),
        ping,
    });

    let mut hangup = signal(SignalKind::hangup()).map_err(signal_err)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_err)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_err)?;

    let scheduler = Scheduler::start().await?;
    let mut jobs = Jobs::default();
    jobs.apply(&scheduler, &shared, &config).await?;
    catch_up(&shared, &config).await?;

    let stop_http = CancellationToken::new();
    if let Some(addr) = config.daemon.metrics_addr {
        let listener = http::bind(addr).await?;
        tracing::info!(%addr, "serving /metrics and /healthz");
        tokio::spawn(http::serve(listener, shared.clone(), stop_http.clone()));
    }

    let summary = format!("{} sections scheduled", config.sections.len());
    tracing::info!(config = %config_path.display(), "{summary}; archive {}", config.archive.path.display());
    notify::ready(&summary);

    let mut watchdog = notify::watchdog_interval().map(tokio::time::interval);
    let upkeep_every = |d: Duration| {
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + d, d);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    };
    let mut maintenance = upkeep_every(config.archive.maintenance_every.0);
    let mut checkpoint = upkeep_every(config.archive.checkpoint_every.0);
    let mut config = config;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                notify::reloading();
                config = reload(&config_path, config, &scheduler, &shared, &mut jobs).await;
                notify::ready(&format!("{} sections scheduled", config.sections.len()));
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            Some(reply) = pings.recv() => {
                let _ = reply.send(());
            }
            _ = maintenance.tick() => upkeep(&shared, true),
            _ = checkpoint.tick() => upkeep(&shared, false),
            _ = async {
                match watchdog.as_mut() {
                    Some(tick) => { tick.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => notify::watchdog(),
        }
    }

    notify::stopping();
    let grace = config.daemon.grace_period.0;
    tracing::info!(
        "stopping: runs in progress have {} to finish",
        humantime::format_duration(grace)
    );
    if let Err(e) = scheduler.shutdown().await {
        tracing::warn!(error = %chain(&e), "scheduler did not shut down cleanly");
    }
    shared.shutdown.cancel();
    // No request or retry starts now; those in flight have the grace period.
    shared.context.pacer.stop();
    shared.tracker.close();
    if tokio::time::timeout(grace, shared.tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("runs still going after the grace period are abandoned; their unfinished links stay in the backlog for next time");
    }
    stop_http.cancel();
    // The writer may be inside a long statement (an optimise, a checkpoint
    // of a large WAL). Stop means stop: past this second the process exits
    // anyway, and SQLite rolls back whatever transaction was open, so no
    // article is ever half-written; the next start closes the runs.
    let finish = async {
        let unclosed = shared.crawler().close_pending_runs().await;
        if unclosed > 0 {
            tracing::warn!(
                runs = unclosed,
                "the archive did not take the end of some runs; the next start closes them"
            );
        }
        shared.writer.stop().await;
    };
    if tokio::time::timeout(STOP_WRITER_WAIT, finish)
        .await
        .is_err()
    {
        tracing::warn!(
            "the archive writer was still busy {} after the grace period; stopping without it (its open transaction is rolled back, the next start closes the runs)",
            humantime::format_duration(STOP_WRITER_WAIT)
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stop waits for the writer after the grace period.
pub const STOP_WRITER_WAIT: Duration = Duration::from_millis(700);

/// Index optimisation (`full`) or a WAL checkpoint, done by the writer
/// between batches; the main loop only hands it over.
fn upkeep(shared: &Arc<Shared>, full: bool) {
    let writer = shared.writer.clone();
    shared.tracker.spawn(async move {
        let result = writer
            .call(move |a| if full { a.maintain() } else { a.checkpoint() })
            .await;
        match result {
            Ok(()) if full => tracing::info!("archive optimised and checkpointed"),
            Ok(()) => tracing::debug!("WAL checkpointed"),
            Err(e) => tracing::warn!(error = %chain(&e), "archive upkeep failed"),
        }
    });
}

fn signal_err(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot listen for signals".into(),
        source,
    }
}

/// Validates the file first; on any error the running config stays.
async fn reload(
    path: &Path,
    old: Arc<Config>,
    scheduler: &Scheduler,
    shared: &Arc<Shared>,
    jobs: &mut Jobs,
) -> Arc<Config> {
    let new = match Config::load(path) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!(error = %chain(&e), "reload refused: the config is invalid; the running schedules stay");
            return old;
        }
    };
    for (what, changed) in [
        ("archive.path", new.archive.path != old.archive.path),
        (
            "scheduler.max_concurrent_runs",
            new.scheduler.max_concurrent_runs != old.scheduler.max_concurrent_runs,
        ),
        (
            "daemon.metrics_addr",
            new.daemon.metrics_addr != old.daemon.metrics_addr,
        ),
    ] {
        if changed {
            tracing::warn!("{what} changed: it takes effect at the next restart");
        }
    }
    let crawler = match Crawler::new(new.clone(), shared.writer.clone(), &shared.context) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!(error = %chain(&e), "reload refused; the running schedules stay");
            return old;
        }
    };
    *shared
        .current
        .write()
        .unwrap_or_else(PoisonError::into_inner) = crawler;
    shared.context.configure(&new);
    let (writer, bits) = (shared.writer.clone(), new.archive.near_duplicate_bits.0);
    shared.tracker.spawn(async move {
        let set = writer
            .call(move |a| {
                a.set_near_duplicate_bits(bits);
                Ok(())
            })
            .await;
        if let Err(e) = set {
            tracing::warn!(error = %chain(&e), "reload: near_duplicate_bits not applied");
        }
    });
    match jobs.apply(scheduler, shared, &new).await {
        Ok(()) => {
            tracing::info!(config = %path.display(), sections = new.sections.len(), "config reloaded");
            new
        }
        Err(e) => {
            tracing::error!(error = %chain(&e), "reload: rescheduling failed; some sections may keep their old schedule");
            new
        }
    }
}

/// The scheduled job of each section, and what it was made from.
#[derive(Default)]
struct Jobs {
    by_section: HashMap<String, (Uuid, String, chrono_tz::Tz)>,
}

impl Jobs {
    /// Makes the jobs match `config`: removed or rescheduled sections lose
    /// their job, new or rescheduled ones get one. A job finds its section's
    /// settings when it fires, so other changes need no rescheduling.
    async fn apply(
        &mut self,
        scheduler: &Scheduler,
        shared: &Arc<Shared>,
        config: &Config,
    ) -> Result<(), Error> {
        let tz = config.scheduler.timezone.0;
        let stale: Vec<String> = self
            .by_section
            .iter()
            .filter(|(name, (_, expr, job_tz))| {
                config
                    .section(name)
                    .is_none_or(|s| s.schedule.as_str() != expr || *job_tz != tz)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            if let Some((id, _, _)) = self.by_section.remove(&name) {
                scheduler.remove(&id).await?;
                tracing::info!(section = %name, "unscheduled");
            }
        }
        for section in &config.sections {
            if self.by_section.contains_key(&section.name) {
                continue;
            }
            let id = scheduler
                .add(
                    &section.schedule,
                    tz,
                    section_task(shared.clone(), section.name.clone()),
                )
                .await?;
            tracing::info!(section = %section.name, schedule = section.schedule.as_str(), "scheduled");
            self.by_section.insert(
                section.name.clone(),
                (id, section.schedule.as_str().to_string(), tz),
            );
        }
        Ok(())
    }
}

fn section_task(shared: Arc<Shared>, section: String) -> Task {
    Arc::new(move || {
        let (shared, section) = (shared.clone(), section.clone());
        let tracker = shared.tracker.clone();
        Box::pin(tracker.track_future(run_once(shared, section, Duration::ZERO, false)))
    })
}

/// At start, a section whose last successful run is older than its
/// schedule's interval runs once, after a random delay so restarts do not
/// burst.
async fn catch_up(shared: &Arc<Shared>, config: &Config) -> Result<(), Error> {
    let now = Utc::now().with_timezone(&config.scheduler.timezone.0);
    for section in &config.sections {
        let name = section.name.clone();
        let (last, unfinished) = shared
            .readers
            .read(move |a| {
                let status = a.section_status(&name)?;
                Ok((
                    a.last_success(&name)?,
                    status.backlog > 0 || status.next_page.is_some(),
                ))
            })
            .await?;
        let last = last.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
        let period = section
            .schedule
            .period(now)
            .unwrap_or(chrono::Duration::MAX);
        // A backlog left by a stopped run is caught up too.
        let missed = unfinished || last.is_none_or(|t| now.signed_duration_since(t) > period);
        if missed {
            let delay = random_below(config.scheduler.catch_up_delay.0, &section.name);
            tracing::info!(
                section = %section.name,
                "missed its schedule while stopped: catching up in {}",
                humantime::format_duration(Duration::from_secs(delay.as_secs()))
            );
            shared
                .tracker
                .spawn(run_once(shared.clone(), section.name.clone(), delay, true));
        }
    }
    Ok(())
}

/// One run of a section, unless one is already going on. A `catch_up`
/// run (at start) waits its delay without holding the section, so a
/// scheduled tick in that delay runs; the catch-up then has nothing left to
/// do and ends.
async fn run_once(shared: Arc<Shared>, name: String, delay: Duration, catch_up: bool) {
    if shared.shutdown.is_cancelled() {
        return;
    }
    let before = shared.started(&name, 0);
    let crawler = shared.crawler();
    let Some(section) = crawler.config().section(&name).cloned() else {
        return;
    };
    let delay = delay.max(
        section
            .jitter
            .map_or(Duration::ZERO, |j| random_below(j.0, &name)),
    );
    if !delay.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shared.shutdown.cancelled() => return,
        }
    }
    if catch_up && shared.started(&name, 0) > before {
        tracing::debug!(section = %name, "a scheduled run came first: the catch-up has nothing left to do");
        return;
    }
    let flag = shared.flag(&name);
    if flag.swap(true, Ordering::SeqCst) {
        tracing::info!(section = %name, "previous run still going: this tick is skipped");
        return;
    }
    let running = Running(flag);
    shared.started(&name, 1);
    // The config may have been reloaded during the delay.
    let crawler = shared.crawler();
    let Some(section) = crawler.config().section(&name).cloned() else {
        return;
    };
    let permit = tokio::select! {
        p = shared.limit.clone().acquire_owned() => p,
        _ = shared.shutdown.cancelled() => return,
    };
    let mut seen = HashSet::new();
    match crawler
        .run_section(&section, None, &mut seen, &shared.shutdown)
        .await
    {
        Ok(report) => finished(&shared, &report),
        Err(e) => {
            tracing::error!(section = %name, error = %chain(&e), "run failed");
            // A file copied over the archive fails every run "malformed";
            // the daemon is then unhealthy, not quietly failing.
            if let Error::Archive(a) = &e {
                if a.is_corrupt() {
                    let path = shared.writer.path();
                    shared
                        .writer
                        .health()
                        .give_up(crate::archive::describe_write_error(path, a));
                }
            }
        }
    }
    drop(running);
    if !shared.revisiting.swap(true, Ordering::SeqCst) {
        match crawler.revisit(false, &mut seen, &shared.shutdown).await {
            Ok(Some(report)) => finished(&shared, &report),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %chain(&e), "revisit failed"),
        }
        match crawler.retry_addresses(&shared.shutdown).await {
            Ok(Some(report)) => finished(&shared, &report),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %chain(&e), "retrying `crawl --url` addresses failed")
            }
        }
        shared.revisiting.store(false, Ordering::SeqCst);
    }
    drop(permit);
}

fn finished(shared: &Shared, report: &SectionReport) {
    shared
        .metrics
        .record_run(report, report.status.as_str(), Utc::now().timestamp());
    let line = report.to_string();
    if report.status == RunStatus::Backoff {
        return;
    }
    if report.status == RunStatus::Failed {
        notify::status(&format!("last run failed: {line}"));
    } else {
        notify::status(&line);
    }
}

/// A random duration below `bound`, different per process and section.
fn random_below(bound: Duration, salt: &str) -> Duration {
    let millis = bound.as_millis() as u64;
    if millis == 0 {
        return Duration::ZERO;
    }
    let r = RandomState::new().hash_one((salt, std::time::SystemTime::now()));
    Duration::from_millis(r % millis)
}

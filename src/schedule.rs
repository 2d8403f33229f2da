//! Cron jobs on tokio-cron-scheduler, with its limits covered:
//! - it wants a seconds field: [`Schedule::with_seconds`] adds one;
//! - it fixes the UTC offset when a job is made: zones with daylight saving
//!   are refused when the config loads;
//! - it ANDs day-of-month and day-of-week where crontab ORs them: a schedule
//!   restricting both is refused when the config loads;
//! - it drops runs missed while the process was down: the daemon catches up;
//! - it lets runs of one job overlap: the daemon skips a tick while the
//!   previous run goes on.
//!
//! Its scheduler loop wakes every 500 ms to look for due jobs; that is its
//! only activity while idle.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

use crate::config::Schedule;
use crate::error::Error;

/// What a job does on each tick.
pub type Task = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub struct Scheduler {
    inner: JobScheduler,
}

impl Scheduler {
    pub async fn start() -> Result<Scheduler, Error> {
        let inner = JobScheduler::new().await.map_err(sched_err)?;
        inner.start().await.map_err(sched_err)?;
        Ok(Scheduler { inner })
    }

    /// Runs `task` on every tick of `schedule`, read in `tz`.
    pub async fn add(
        &self,
        schedule: &Schedule,
        tz: chrono_tz::Tz,
        task: Task,
    ) -> Result<Uuid, Error> {
        let job = Job::new_async_tz(schedule.with_seconds(), tz, move |_id, _lock| task())
            .map_err(|e| Error::Schedule(format!("schedule {:?}: {e}", schedule.as_str())))?;
        self.inner.add(job).await.map_err(sched_err)
    }

    /// Stops future ticks; a run in progress is not touched.
    pub async fn remove(&self, id: &Uuid) -> Result<(), Error> {
        self.inner.remove(id).await.map_err(sched_err)
    }

    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.inner.shutdown().await.map_err(sched_err)
    }
}

fn sched_err(e: tokio_cron_scheduler::JobSchedulerError) -> Error {
    Error::Schedule(e.to_string())
}

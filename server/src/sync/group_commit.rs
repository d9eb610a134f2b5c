//! Group commit: requests that arrive while the database is busy are handed
//! to the next free worker together, so that one transaction (one `BEGIN`,
//! one set of statements, one `COMMIT` and one WAL flush) serves several of
//! them. This is what lets `POST /v1/sync` pass one PostgreSQL's per-
//! transaction cost (docs/operations.md, "Load bench").
//!
//! The queue adds no waiting of its own: a worker takes whatever is pending
//! the moment it is free (up to `max_group` jobs), so a lone request is
//! processed at once, and a group forms only from requests that would
//! otherwise have queued for a connection. The same technique is
//! PostgreSQL's own group commit of WAL flushes and the "group commit" of
//! Gray and Reuter, *Transaction Processing* (1993), 9.4.7.
//!
//! The queue is bounded twice, so an outage or an overload cannot grow it
//! without limit: a job submitted while `max_pending` are waiting, and a job
//! that waited longer than `max_wait` before a worker took it, are answered
//! [`Unanswered::Overloaded`] without being processed (the caller answers
//! 503 and the phone resends the same batch).
//!
//! What a group means for correctness is the processor's business (see
//! [`crate::sync::service::process`]): every job gets its own result, and the
//! processor must give a job the answer it would have had alone.
//!
//! Workers are plain threads (the work is blocking diesel); the caller awaits
//! its reply without blocking actix's async workers. A panicking processor
//! fails its group's jobs ([`Unanswered::Closed`]) and the worker keeps
//! serving. Dropping the [`GroupCommit`] stops the workers once the queue is
//! empty.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Why a job got no result from the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unanswered {
    /// Its worker's processor panicked, no worker could be started, or the
    /// queue is stopping.
    #[error("the group-commit worker did not answer")]
    Closed,
    /// Too many jobs were waiting, or this one waited too long.
    #[error("too many jobs waiting, or this one waited too long")]
    Overloaded,
}

/// The queue's size and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Worker threads (at least one).
    pub workers: usize,
    /// Most jobs handed to one call of the processor.
    pub max_group: usize,
    /// Most jobs waiting; more are refused at once.
    pub max_pending: usize,
    /// Longest a job may wait for a worker.
    pub max_wait: Duration,
}

struct Waiting<J, R> {
    job: J,
    since: Instant,
    reply: oneshot::Sender<Result<R, Unanswered>>,
}

type Pending<J, R> = VecDeque<Waiting<J, R>>;

struct Queue<J, R> {
    pending: Mutex<Pending<J, R>>,
    ready: Condvar,
    stopping: Mutex<bool>,
}

impl<J, R> Queue<J, R> {
    fn lock(&self) -> MutexGuard<'_, Pending<J, R>> {
        // A panic never happens while the lock is held (only push/pop), so
        // the queue behind a poisoned lock is still consistent.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopping(&self) -> bool {
        *self.stopping.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for at least one job, then takes up to `max` of them; `None`
    /// once stopping and empty.
    fn take(&self, max: usize) -> Option<Pending<J, R>> {
        let mut pending = self.lock();
        loop {
            if !pending.is_empty() {
                let n = pending.len().min(max);
                if let Some(m) = crate::metrics::get() {
                    m.sync_queue_depth
                        .set(i64::try_from(pending.len() - n).unwrap_or(i64::MAX));
                    m.sync_group_size.observe(n as f64);
                }
                return Some(pending.drain(..n).collect());
            }
            if self.stopping() {
                return None;
            }
            pending = self
                .ready
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A bounded queue served by worker threads, each handing up to
/// `max_group` pending jobs at a time to one call of the processor.
pub struct GroupCommit<J, R> {
    queue: Arc<Queue<J, R>>,
    workers: Vec<JoinHandle<()>>,
    max_pending: usize,
}

impl<J, R> std::fmt::Debug for GroupCommit<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("workers", &self.workers.len())
            .field("pending", &self.queue.lock().len())
            .finish()
    }
}

impl<J: Send + 'static, R: Send + 'static> GroupCommit<J, R> {
    /// Starts the workers. `process` gets the jobs of one group in arrival
    /// order and returns one result per job, in the same order; a job left
    /// without a result (a shorter vector) gets [`Unanswered::Closed`].
    pub fn start<P>(name: &str, limits: Limits, process: P) -> Self
    where
        P: Fn(Vec<J>) -> Vec<R> + Send + Sync + 'static,
    {
        let queue = Arc::new(Queue {
            pending: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            stopping: Mutex::new(false),
        });
        let process = Arc::new(process);
        let max_group = limits.max_group.max(1);
        let workers = (0..limits.workers.max(1))
            .filter_map(|i| {
                let queue = Arc::clone(&queue);
                let process = Arc::clone(&process);
                let max_wait = limits.max_wait;
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || serve(&queue, max_group, max_wait, &*process))
                    .map_err(|e| tracing::error!(error = %e, "starting a group-commit worker"))
                    .ok()
            })
            .collect();
        GroupCommit {
            queue,
            workers,
            max_pending: limits.max_pending.max(1),
        }
    }

    /// Queues `job` and waits for its result.
    ///
    /// # Errors
    /// [`Unanswered::Overloaded`] when `max_pending` jobs are waiting or
    /// this one waited longer than `max_wait`; [`Unanswered::Closed`] when
    /// no worker answered.
    pub async fn submit(&self, job: J) -> Result<R, Unanswered> {
        if self.workers.is_empty() || self.queue.stopping() {
            return Err(Unanswered::Closed);
        }
        let (reply, answer) = oneshot::channel();
        {
            let mut pending = self.queue.lock();
            if pending.len() >= self.max_pending {
                return Err(Unanswered::Overloaded);
            }
            pending.push_back(Waiting {
                job,
                since: Instant::now(),
                reply,
            });
        }
        self.queue.ready.notify_one();
        answer.await.unwrap_or(Err(Unanswered::Closed))
    }
}

fn serve<J, R>(
    queue: &Queue<J, R>,
    max_group: usize,
    max_wait: Duration,
    process: &dyn Fn(Vec<J>) -> Vec<R>,
) {
    while let Some(group) = queue.take(max_group) {
        let mut jobs = Vec::with_capacity(group.len());
        let mut replies = Vec::with_capacity(group.len());
        for w in group {
            if w.since.elapsed() > max_wait {
                // The caller may have gone (client disconnected): nothing to do.
                let _ = w.reply.send(Err(Unanswered::Overloaded));
            } else {
                jobs.push(w.job);
                replies.push(w.reply);
            }
        }
        if jobs.is_empty() {
            continue;
        }
        // A panic drops the replies: those callers get `Closed`.
        if let Ok(results) = catch_unwind(AssertUnwindSafe(|| process(jobs))) {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(Ok(result));
            }
        } else {
            tracing::error!("a group-commit processor panicked; its jobs were not answered");
        }
    }
}

impl<J, R> Drop for GroupCommit<J, R> {
    fn drop(&mut self) {
        *self
            .queue
            .stopping
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.queue.ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn limits(workers: usize, max_group: usize) -> Limits {
        Limits {
            workers,
            max_group,
            max_pending: 1000,
            max_wait: Duration::from_secs(60),
        }
    }

    /// A one-worker queue whose processor holds job 0 until `release` is
    /// called, recording every group it is handed.
    struct Held {
        queue: Arc<GroupCommit<u32, u32>>,
        groups: Arc<Mutex<Vec<Vec<u32>>>>,
        release: mpsc::Sender<()>,
        runtime: tokio::runtime::Runtime,
        first: tokio::task::JoinHandle<Result<u32, Unanswered>>,
    }

    impl Held {
        fn new(limits: Limits) -> Self {
            let (started_tx, started_rx) = mpsc::channel::<()>();
            let (release, go_rx) = mpsc::channel::<()>();
            let (started_tx, go_rx) = (Mutex::new(started_tx), Mutex::new(go_rx));
            let groups = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&groups);
            let queue = Arc::new(GroupCommit::start("t", limits, move |jobs: Vec<u32>| {
                seen.lock().unwrap().push(jobs.clone());
                if jobs == [0] {
                    started_tx.lock().unwrap().send(()).unwrap();
                    go_rx.lock().unwrap().recv().unwrap();
                }
                jobs
            }));
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let first = runtime.spawn({
                let q = Arc::clone(&queue);
                async move { q.submit(0).await }
            });
            started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            Held {
                queue,
                groups,
                release,
                runtime,
                first,
            }
        }

        /// Submits `jobs` and waits until all are queued behind job 0.
        fn queue_behind(
            &self,
            jobs: impl IntoIterator<Item = u32>,
        ) -> Vec<tokio::task::JoinHandle<Result<u32, Unanswered>>> {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|j| {
                    let q = Arc::clone(&self.queue);
                    self.runtime.spawn(async move { q.submit(j).await })
                })
                .collect();
            while self.queue.queue.lock().len() < handles.len() {
                std::thread::sleep(Duration::from_millis(1));
            }
            handles
        }

        fn finish(
            self,
            handles: Vec<tokio::task::JoinHandle<Result<u32, Unanswered>>>,
        ) -> (Vec<Result<u32, Unanswered>>, Vec<Vec<u32>>) {
            self.release.send(()).unwrap();
            assert_eq!(self.runtime.block_on(self.first).unwrap(), Ok(0));
            let answers = handles
                .into_iter()
                .map(|h| self.runtime.block_on(h).unwrap())
                .collect();
            let groups = self.groups.lock().unwrap().clone();
            (answers, groups)
        }
    }

    #[test]
    fn every_job_gets_its_own_result() {
        let q = GroupCommit::start("t", limits(2, 8), |jobs: Vec<u32>| {
            jobs.into_iter().map(|j| j * 10).collect()
        });
        let answers = block_on(async {
            let mut out = Vec::new();
            for j in 0..20 {
                out.push(q.submit(j).await.unwrap());
            }
            out
        });
        assert_eq!(answers, (0..20).map(|j| j * 10).collect::<Vec<_>>());
    }

    #[test]
    fn jobs_that_queue_while_the_worker_is_busy_form_one_group() {
        let held = Held::new(limits(1, 4));
        let handles = held.queue_behind(1..=5);
        let (answers, groups) = held.finish(handles);
        assert_eq!(answers, (1..=5).map(Ok).collect::<Vec<_>>());
        // At most `max_group` (4) at a time, in arrival order.
        assert_eq!(groups.len(), 3, "{groups:?}");
        assert_eq!(groups[0], vec![0]);
        assert_eq!(groups[1].len(), 4);
        let mut rest: Vec<u32> = groups[1].iter().chain(&groups[2]).copied().collect();
        rest.sort_unstable();
        assert_eq!(rest, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_full_queue_refuses_at_once() {
        let held = Held::new(Limits {
            max_pending: 2,
            ..limits(1, 8)
        });
        let handles = held.queue_behind([1, 2]);
        let refused = held.runtime.block_on(held.queue.submit(3));
        assert_eq!(refused, Err(Unanswered::Overloaded));
        let (answers, groups) = held.finish(handles);
        assert_eq!(answers, [Ok(1), Ok(2)]);
        assert!(groups.iter().all(|g| !g.contains(&3)));
    }

    #[test]
    fn a_job_that_waited_too_long_is_refused_unprocessed() {
        // A second is long enough for job 0 to be taken in time however busy
        // the machine running the test.
        let held = Held::new(Limits {
            max_wait: Duration::from_secs(1),
            ..limits(1, 8)
        });
        let handles = held.queue_behind([1]);
        std::thread::sleep(Duration::from_millis(1500));
        let (answers, groups) = held.finish(handles);
        assert_eq!(answers, [Err(Unanswered::Overloaded)]);
        assert_eq!(groups, vec![vec![0]], "job 1 never reached the processor");
    }

    #[test]
    fn a_panicking_group_fails_its_jobs_and_the_worker_goes_on() {
        let q = GroupCommit::start("t", limits(1, 1), |jobs: Vec<u32>| {
            assert!(!jobs.contains(&13), "unlucky");
            jobs
        });
        block_on(async {
            assert_eq!(q.submit(12).await, Ok(12));
            assert_eq!(q.submit(13).await, Err(Unanswered::Closed));
            assert_eq!(q.submit(14).await, Ok(14));
        });
    }

    #[test]
    fn a_short_answer_closes_the_jobs_left_without_one() {
        let q = GroupCommit::start("t", limits(1, 1), |_jobs: Vec<u32>| Vec::<u32>::new());
        assert_eq!(block_on(q.submit(1)), Err(Unanswered::Closed));
    }

    #[test]
    fn dropping_the_queue_stops_its_workers() {
        let q = GroupCommit::start("t", limits(3, 2), |jobs: Vec<u32>| jobs);
        assert_eq!(block_on(q.submit(7)), Ok(7));
        drop(q); // joins the three threads; a hang here fails the test run.
    }
}

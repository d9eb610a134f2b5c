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
//! What a group means for correctness is the processor's business (see
//! [`crate::db::sync::process`]): every job gets its own result, and the
//! processor must give a job the answer it would have had alone.
//!
//! Workers are plain threads (the work is blocking diesel); the caller awaits
//! its reply without blocking actix's async workers. A panicking processor
//! fails its group's jobs (their callers get [`Closed`]) and the worker keeps
//! serving. Dropping the [`GroupCommit`] stops the workers once the queue is
//! empty.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// The job was not answered: its worker's processor panicked, or the queue
/// was shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the group-commit worker did not answer")]
pub struct Closed;

type Pending<J, R> = VecDeque<(J, oneshot::Sender<R>)>;

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

/// A queue served by `workers` threads, each handing up to `max_group`
/// pending jobs at a time to one call of the processor.
pub struct GroupCommit<J, R> {
    queue: Arc<Queue<J, R>>,
    workers: Vec<JoinHandle<()>>,
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
    /// Starts `workers` threads (at least one). `process` gets the jobs of
    /// one group in arrival order and returns one result per job, in the
    /// same order; a job left without a result (a shorter vector) gets
    /// [`Closed`].
    pub fn start<P>(name: &str, workers: usize, max_group: usize, process: P) -> Self
    where
        P: Fn(Vec<J>) -> Vec<R> + Send + Sync + 'static,
    {
        let queue = Arc::new(Queue {
            pending: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            stopping: Mutex::new(false),
        });
        let process = Arc::new(process);
        let max_group = max_group.max(1);
        let workers = (0..workers.max(1))
            .filter_map(|i| {
                let queue = Arc::clone(&queue);
                let process = Arc::clone(&process);
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || serve(&queue, max_group, &*process))
                    .map_err(|e| tracing::error!(error = %e, "starting a group-commit worker"))
                    .ok()
            })
            .collect();
        GroupCommit { queue, workers }
    }

    /// Queues `job` and waits for its result.
    ///
    /// # Errors
    /// [`Closed`] when no worker answered (the processor panicked on this
    /// job's group, no worker could be started, or the queue is stopping).
    pub async fn submit(&self, job: J) -> Result<R, Closed> {
        if self.workers.is_empty() || self.queue.stopping() {
            return Err(Closed);
        }
        let (reply, answer) = oneshot::channel();
        self.queue.lock().push_back((job, reply));
        self.queue.ready.notify_one();
        answer.await.map_err(|_| Closed)
    }
}

fn serve<J, R>(queue: &Queue<J, R>, max_group: usize, process: &dyn Fn(Vec<J>) -> Vec<R>) {
    while let Some(group) = queue.take(max_group) {
        let (jobs, replies): (Vec<J>, Vec<oneshot::Sender<R>>) = group.into_iter().unzip();
        // A panic drops the replies: those callers get `Closed`.
        if let Ok(results) = catch_unwind(AssertUnwindSafe(|| process(jobs))) {
            for (reply, result) in replies.into_iter().zip(results) {
                // The caller may have gone (client disconnected): nothing to do.
                let _ = reply.send(result);
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
    use std::time::Duration;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn every_job_gets_its_own_result() {
        let q = GroupCommit::start("t", 2, 8, |jobs: Vec<u32>| {
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
        // The processor holds the only worker on the first job until the
        // test has queued five more; those five must then arrive together.
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let started_tx = Mutex::new(started_tx);
        let go_rx = Mutex::new(go_rx);
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let q = Arc::new(GroupCommit::start("t", 1, 4, move |jobs: Vec<u32>| {
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
            let q = Arc::clone(&q);
            async move { q.submit(0).await }
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let rest: Vec<_> = (1..=5)
            .map(|j| {
                let q = Arc::clone(&q);
                runtime.spawn(async move { q.submit(j).await })
            })
            .collect();
        while q.queue.lock().len() < 5 {
            std::thread::sleep(Duration::from_millis(1));
        }
        go_tx.send(()).unwrap();
        assert_eq!(runtime.block_on(first).unwrap(), Ok(0));
        for (j, handle) in (1..=5).zip(rest) {
            assert_eq!(runtime.block_on(handle).unwrap(), Ok(j));
        }
        // At most `max_group` (4) at a time, in arrival order.
        let groups = sizes.lock().unwrap().clone();
        assert_eq!(groups.len(), 3, "{groups:?}");
        assert_eq!(groups[0], vec![0]);
        assert_eq!(groups[1].len(), 4);
        assert_eq!(groups[1].len() + groups[2].len(), 5);
        let mut rest: Vec<u32> = groups[1].iter().chain(&groups[2]).copied().collect();
        rest.sort_unstable();
        assert_eq!(rest, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_panicking_group_fails_its_jobs_and_the_worker_goes_on() {
        let q = GroupCommit::start("t", 1, 1, |jobs: Vec<u32>| {
            assert!(!jobs.contains(&13), "unlucky");
            jobs
        });
        block_on(async {
            assert_eq!(q.submit(12).await, Ok(12));
            assert_eq!(q.submit(13).await, Err(Closed));
            assert_eq!(q.submit(14).await, Ok(14));
        });
    }

    #[test]
    fn a_short_answer_closes_the_jobs_left_without_one() {
        let q = GroupCommit::start("t", 1, 1, |_jobs: Vec<u32>| Vec::<u32>::new());
        assert_eq!(block_on(q.submit(1)), Err(Closed));
    }

    #[test]
    fn dropping_the_queue_stops_its_workers() {
        let q = GroupCommit::start("t", 3, 2, |jobs: Vec<u32>| jobs);
        assert_eq!(block_on(q.submit(7)), Ok(7));
        drop(q); // joins the three threads; a hang here fails the test run.
    }
}

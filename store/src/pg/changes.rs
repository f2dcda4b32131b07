//! A committed count of `huntreg_meta` (`changes` or `removals`) read on behalf of many
//! requests at once: every request
//! that asks while no read is under way starts one; every request that asks while one is
//! under way waits for the next, so each answer was read from the database after its
//! request asked. Under load one round trip serves every request waiting at that moment.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{backend_error, Shared, Slot, DEADLINE, UNREACHABLE};
use crate::{ChangesRead, StoreError};

type Waiter = oneshot::Sender<Result<u64, String>>;

/// The requests waiting for the next read, and whether a reader task is running.
pub(crate) struct ChangeReads {
    state: Mutex<(Vec<Waiter>, bool)>,
    slot: Slot,
    /// The statement reading the count.
    select: &'static str,
}

impl ChangeReads {
    /// Reads of the count `select` returns (one row, one `bigint`).
    pub(crate) fn new(select: &'static str) -> ChangeReads {
        ChangeReads {
            state: Mutex::default(),
            slot: Slot::default(),
            select,
        }
    }

    /// Queues a request for the count; starts the reader task when none runs.
    pub(crate) fn read(self: &Arc<Self>, shared: &Arc<Shared>) -> ChangesRead {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.0.push(tx);
            !std::mem::replace(&mut state.1, true)
        };
        if start {
            let (this, shared) = (self.clone(), shared.clone());
            shared
                .runtime
                .clone()
                .spawn(async move { this.serve(shared).await });
        }
        Box::pin(async move {
            match rx.await {
                Ok(Ok(n)) => Ok(n),
                Ok(Err(message)) => Err(StoreError::Backend(message)),
                Err(_) => Err(StoreError::Closed),
            }
        })
    }

    /// Reads the count for every waiting request, round after round, until none waits.
    async fn serve(self: Arc<Self>, shared: Arc<Shared>) {
        loop {
            let waiters = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                if state.0.is_empty() {
                    state.1 = false;
                    return;
                }
                std::mem::take(&mut state.0)
            };
            let read = tokio::time::timeout(DEADLINE, self.count(&shared))
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::Backend(format!(
                        "{UNREACHABLE}: no answer within {} s",
                        DEADLINE.as_secs()
                    )))
                });
            shared.note(&read);
            let read = read.map_err(|e| match e {
                StoreError::Backend(m) | StoreError::Corrupt(m) => m,
                StoreError::Closed => "the store is closed".to_owned(),
            });
            for waiter in waiters {
                let _ = waiter.send(read.clone());
            }
        }
    }

    /// One round trip: a statement prepared once on this connection.
    async fn count(&self, shared: &Shared) -> Result<u64, StoreError> {
        let client = self.slot.get(&shared.config).await?;
        let row = client
            .query_one(self.select, &[])
            .await
            .map_err(backend_error)?;
        u64::try_from(row.get::<_, i64>(0))
            .map_err(|_| StoreError::Corrupt("a count of huntreg_meta is negative".into()))
    }
}

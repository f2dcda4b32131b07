//! The write queue both backends share: jobs submitted from any thread, run by one writer
//! thread in groups (every job waiting when the writer is free, up to a maximum), each
//! group handed to the backend's commit (one flush or one transaction for the group).

use std::any::Any;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Job, StoreError};

/// Where a job's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<Box<dyn Any + Send>, StoreError>>;

/// A writer thread and the channel feeding it.
pub(crate) struct WriteQueue {
    sender: Mutex<Option<mpsc::Sender<(Job, Reply)>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl WriteQueue {
    /// Starts the writer thread `name`: it calls `commit` with each group of at most
    /// `max_group` jobs, in submission order, until the queue is closed.
    pub(crate) fn start(
        name: &str,
        max_group: usize,
        mut commit: impl FnMut(Vec<(Job, Reply)>) + Send + 'static,
    ) -> Result<WriteQueue, StoreError> {
        let (sender, receiver) = mpsc::channel::<(Job, Reply)>();
        let writer = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Ok(first) = receiver.recv() {
                    let mut group = vec![first];
                    while group.len() < max_group {
                        match receiver.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    commit(group);
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(WriteQueue {
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Queues a job; the receiver answers what the writer's commit sends it (an error
    /// when the queue is closed).
    pub(crate) fn submit(
        &self,
        job: Job,
    ) -> oneshot::Receiver<Result<Box<dyn Any + Send>, StoreError>> {
        let (tx, rx) = oneshot::channel();
        let guard = self.sender.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(sender) => {
                if let Err(mpsc::SendError((_, reply))) = sender.send((job, tx)) {
                    let _ = reply.send(Err(StoreError::Closed));
                }
            }
            None => {
                let _ = tx.send(Err(StoreError::Closed));
            }
        }
        rx
    }

    /// Refuses new jobs, lets the writer finish the queued ones, and waits for it.
    pub(crate) fn close(&self) {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(sender);
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

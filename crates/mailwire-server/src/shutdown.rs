//! Graceful shutdown: one request reaches every listener and connection.

use tokio::sync::watch;

/// Asks listeners and connections to stop: [`Shutdown::request`] once, and every
/// [`ShutdownSignal`] made from it completes.
#[derive(Debug)]
pub struct Shutdown {
    sender: watch::Sender<bool>,
}

/// A listener's or connection's side of a [`Shutdown`]: cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
}

impl Shutdown {
    /// A shutdown not yet requested.
    pub fn new() -> Self {
        Self {
            sender: watch::Sender::new(false),
        }
    }

    /// A signal that completes once shutdown is requested.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal {
            receiver: self.sender.subscribe(),
        }
    }

    /// Requests shutdown: listeners stop accepting, and each connection says goodbye in
    /// its protocol as soon as no command of it is under way.
    pub fn request(&self) {
        self.sender.send_replace(true);
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownSignal {
    /// A signal that never completes, for a connection served outside any listener.
    pub fn never() -> Self {
        let (sender, receiver) = watch::channel(false);
        // The sender is dropped: `requested` then waits forever, as `changed` fails.
        drop(sender);
        Self { receiver }
    }

    /// Whether shutdown was requested.
    pub fn is_requested(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Completes once shutdown is requested (at once if it was). Cancel-safe.
    pub async fn requested(&self) {
        let mut receiver = self.receiver.clone();
        if receiver.wait_for(|&on| on).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_signal_completes_after_the_request() {
        let shutdown = Shutdown::new();
        let a = shutdown.signal();
        let b = a.clone();
        assert!(!a.is_requested());
        let waiting = tokio::spawn(async move { a.requested().await });
        shutdown.request();
        waiting.await.unwrap();
        assert!(b.is_requested());
        b.requested().await;
    }

    #[tokio::test]
    async fn never_stays_pending() {
        let never = ShutdownSignal::never();
        let timed = tokio::time::timeout(std::time::Duration::from_millis(20), never.requested());
        assert!(timed.await.is_err());
        assert!(!never.is_requested());
    }
}

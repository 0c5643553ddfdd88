//! Connections to one server, kept open and reused for many messages.

use std::sync::Mutex;

use mailwire_smtp::client::RecipientResult;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{Config, Outgoing, SmtpClient, SmtpError};

/// Up to `size` connections to one server, each reused for message after message.
///
/// [`send`](Self::send) takes an idle connection, checks it with RSET (which also clears
/// what the last message may have left), and opens a new one when there is none or the
/// server has closed it meanwhile. At most `size` connections are open at once; more
/// senders wait for one to be free. A connection goes back to the pool after a message
/// the server accepted or refused, and is dropped after a failure of the connection.
///
/// ```no_run
/// use mailwire_tokio::smtp::{Config, SmtpPool};
///
/// # async fn send(messages: Vec<Vec<u8>>) -> Result<(), mailwire_tokio::smtp::SmtpError> {
/// let pool = SmtpPool::new("smtp.example.org", Config::default(), 4);
/// for message in messages {
///     pool.send(message).await?;
/// }
/// pool.close().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SmtpPool {
    server: String,
    config: Config,
    idle: Mutex<Vec<SmtpClient<TcpStream>>>,
    permits: Semaphore,
}

impl SmtpPool {
    /// A pool for `server` (as [`SmtpClient::connect_with`] reads it) that opens at most
    /// `size` connections (at least one). Nothing is opened before the first message.
    pub fn new(server: impl Into<String>, config: Config, size: usize) -> Self {
        Self {
            server: server.into(),
            config,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    /// Sends one message as [`SmtpClient::send`] does, over a connection of the pool.
    ///
    /// A message that cannot be sent as given fails before any connection is taken.
    pub async fn send<'a>(
        &self,
        message: impl Into<Outgoing<'a>>,
    ) -> Result<Vec<RecipientResult>, SmtpError> {
        let prepared = message.into().prepare()?;
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.permits.acquire().await.ok();
        let mut client = self.checkout().await?;
        let result = client
            .send_raw(prepared.envelope, &prepared.bytes[..])
            .await;
        match &result {
            Ok(_) => self.checkin(client),
            Err(e) if e.connection_usable() => self.checkin(client),
            Err(_) => {}
        }
        result
    }

    /// How many connections wait, open and idle, for the next message.
    pub fn idle_connections(&self) -> usize {
        self.lock().len()
    }

    /// Says QUIT on every idle connection and closes it. Connections in use are closed
    /// when dropped.
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.lock());
        for client in idle {
            // The pool is being closed: a server that already left changes nothing.
            let _ = client.quit().await;
        }
    }

    /// An idle connection that answers RSET, or a new one.
    async fn checkout(&self) -> Result<SmtpClient<TcpStream>, SmtpError> {
        loop {
            let Some(mut client) = self.lock().pop() else {
                break;
            };
            if client.reset().await.is_ok() {
                return Ok(client);
            }
            // Closed by the server (or broken) while idle: drop it, try the next.
        }
        SmtpClient::connect_with(&self.server, self.config.clone()).await
    }

    fn checkin(&self, client: SmtpClient<TcpStream>) {
        self.lock().push(client);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SmtpClient<TcpStream>>> {
        // A panic while the lock was held left a plain Vec behind, still sound to use.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

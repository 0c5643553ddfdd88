//! IDLE (RFC 2177) as a stream of updates.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use mailwire_imap::client::Event;
use mailwire_imap::types::{Completion, Tag};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::{ImapClient, ImapError, Update};
use crate::Next;

/// How long one IDLE lasts before it is renewed: a server may log out a client idle for
/// 30 minutes (RFC 3501 §5.4), and RFC 2177 §3 asks the client to re-issue IDLE within 29.
pub const IDLE_RENEWAL: Duration = Duration::from_secs(29 * 60);

/// What changes in the selected mailbox while the client idles, as the server tells it:
/// a [`Stream`] of [`Update`]s, with [`next`](Idle::next) for use without `StreamExt`.
///
/// Dropping it ends IDLE: `DONE` is written to the connection at once, without waiting
/// ([`Connection::try_flush`](crate::Connection::try_flush); six bytes a socket takes
/// unless the server has stopped reading), and whatever the connection did not take goes
/// before the next command. That command reads the server's completion of IDLE first.
/// The stream ends if the server ends IDLE itself, and after an error.
#[must_use = "updates are read as the stream is polled"]
pub struct Idle<'a> {
    inner: Pin<Box<dyn Stream<Item = Result<Update, ImapError>> + Send + 'a>>,
}

impl std::fmt::Debug for Idle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idle").finish_non_exhaustive()
    }
}

impl Idle<'_> {
    /// The next update, waiting as long as the server stays silent.
    pub async fn next(&mut self) -> Option<Result<Update, ImapError>> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await
    }
}

impl Stream for Idle<'_> {
    type Item = Result<Update, ImapError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The client while it idles: `DONE` goes out when this is dropped.
struct Idling<'a, IO: AsyncRead + AsyncWrite + Unpin> {
    client: &'a mut ImapClient<IO>,
    tag: Tag,
    renew_at: Instant,
    ended: bool,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Drop for Idling<'_, IO> {
    fn drop(&mut self) {
        // Not idling any more (the server ended it, or the connection failed) is fine.
        if self.client.conn.session_mut().done().is_ok() {
            // Drop cannot await: DONE goes now as far as the stream takes it, the rest
            // with the next command.
            self.client.conn.try_flush();
        }
    }
}

/// Sends IDLE and waits for the server's `+`.
pub(super) async fn start<IO>(client: &mut ImapClient<IO>) -> Result<Idle<'_>, ImapError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let tag = begin(client).await?;
    let idling = Idling {
        client,
        tag,
        renew_at: Instant::now() + IDLE_RENEWAL,
        ended: false,
    };
    let stream = futures_util::stream::unfold(idling, |mut idling| async move {
        if idling.ended {
            return None;
        }
        match idling.next_update().await {
            Ok(Some(update)) => Some((Ok(update), idling)),
            Ok(None) => None,
            Err(e) => {
                idling.ended = true;
                Some((Err(e), idling))
            }
        }
    });
    Ok(Idle {
        inner: Box::pin(stream),
    })
}

/// Queues IDLE and waits until the server accepts it.
async fn begin<IO>(client: &mut ImapClient<IO>) -> Result<Tag, ImapError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let tag = client.conn.session_mut().idle()?;
    loop {
        match client.next().await? {
            Event::Idling { tag: t } if t == tag => return Ok(tag),
            Event::Completed {
                tag: t,
                completion,
                text,
                ..
            } if t == tag => {
                return Err(match completion {
                    Completion::Ok => ImapError::Closed,
                    _ => ImapError::Refused { completion, text },
                });
            }
            other => client.aside(other)?,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Idling<'_, IO> {
    /// The next update; `None` when the server ended IDLE.
    async fn next_update(&mut self) -> Result<Option<Update>, ImapError> {
        loop {
            if let Some(data) = self.client.unsolicited.pop_front() {
                return Ok(Some(Update::from(data)));
            }
            let renew = tokio::time::sleep_until(self.renew_at);
            match self.client.conn.next_event_or(renew).await? {
                Next::Event(Event::Unsolicited(data)) => return Ok(Some(Update::from(data))),
                Next::Event(Event::Completed { tag, .. }) if tag == self.tag => return Ok(None),
                Next::Event(other) => self.client.aside(other)?,
                Next::Woken(()) => self.renew().await?,
                Next::Closed => return Err(ImapError::Closed),
            }
        }
    }

    /// Ends this IDLE with `DONE` and starts the next one.
    async fn renew(&mut self) -> Result<(), ImapError> {
        self.client.conn.session_mut().done()?;
        self.client.complete(&self.tag).await?;
        self.tag = begin(self.client).await?;
        self.renew_at = Instant::now() + IDLE_RENEWAL;
        Ok(())
    }
}

//! The application's answers to [`Event::Content`]: the bytes of a streamed literal.

#[cfg(doc)]
use super::event::Event;
use super::{Answer, Error, Pending, Session};

impl Session {
    /// Sends the next bytes of the literal [`Event::Content`] asked for. They are queued
    /// for transmission at once; bytes beyond the literal's length are dropped.
    pub fn send_content(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let Pending::Content { left, .. } = &mut self.pending else {
            return Err(self.misuse(Answer::SendContent(chunk.to_vec())));
        };
        let n = usize::try_from(*left).map_or(chunk.len(), |left| left.min(chunk.len()));
        *left -= n as u64;
        self.conduit.write(&chunk[..n]);
        Ok(())
    }

    /// Ends the literal [`Event::Content`] asked for, and goes on with the FETCH. If fewer
    /// octets were sent than the literal announced, the literal cannot be completed: the
    /// connection closes, as with [`fail_content`](Self::fail_content).
    pub fn end_content(&mut self) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Content { job, left: 0 } => {
                self.fetch_run(job);
                self.resume();
            }
            Pending::Content { .. } => self.close(),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::EndContent));
            }
        }
        Ok(())
    }

    /// Gives up the literal [`Event::Content`] asked for: the content cannot be had. The
    /// client was promised a literal of its length and nothing else can follow, so the
    /// session closes the connection
    /// ([`Transport::Close`](mailwire_core::Transport::Close)) after what is already queued,
    /// and writes nothing more.
    pub fn fail_content(&mut self) -> Result<(), Error> {
        if !matches!(self.pending, Pending::Content { .. }) {
            return Err(self.misuse(Answer::FailContent));
        }
        self.close();
        Ok(())
    }
}

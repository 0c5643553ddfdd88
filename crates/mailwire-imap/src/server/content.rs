//! The application's answers to [`Event::Content`]: the bytes of a streamed literal.

#[cfg(doc)]
use super::event::Event;
use super::{Answer, Error, Pending, Session};

impl Session {
    /// Sends the next bytes of the literal [`Event::Content`] asked for. They are queued
    /// for transmission at once; bytes beyond the literal's length are dropped.
    ///
    /// ```
    /// use std::num::NonZeroU32;
    ///
    /// use mailwire_imap::Session as _;
    /// use mailwire_imap::sasl::AuthAnswer;
    /// use mailwire_imap::server::{Config, Event, MailboxSnapshot, MessageInfo, Session};
    /// use mailwire_imap::types::{Date, DateTime};
    ///
    /// let message = b"Subject: hi\r\n\r\nhello\r\n";
    /// let mut config = Config::default();
    /// config.plaintext_auth = true;
    /// let mut s = Session::new(config);
    /// s.receive(b"a1 LOGIN fred secret\r\na2 SELECT INBOX\r\n");
    /// while let Some(event) = s.poll_event() {
    ///     match event {
    ///         Event::Auth { .. } => s.answer_auth(AuthAnswer::Accept)?,
    ///         Event::Select { .. } => s.open_mailbox(MailboxSnapshot {
    ///             uid_validity: NonZeroU32::MIN,
    ///             uid_next: NonZeroU32::new(2).unwrap(),
    ///             flags: Vec::new(),
    ///             keywords_allowed: false,
    ///             messages: vec![MessageInfo {
    ///                 uid: 1,
    ///                 flags: Vec::new(),
    ///                 recent: false,
    ///                 internal_date: DateTime::new(Date::new(2024, 5, 1)?, 9, 30, 0, 0)?,
    ///                 size: message.len() as u32,
    ///             }],
    ///         })?,
    ///         _ => {}
    ///     }
    /// }
    /// while s.transmit().is_some() {}
    ///
    /// s.receive(b"a3 FETCH 1 BODY.PEEK[]<9.7>\r\n");
    /// let Some(Event::Content { uid: 1, offset: 9, len: 7 }) = s.poll_event() else { panic!() };
    /// assert_eq!(&s.transmit().unwrap()[..], b"* 1 FETCH (BODY[]<9> {7}\r\n");
    /// for chunk in message[9..16].chunks(4) {
    ///     s.send_content(chunk)?;
    ///     // A driver writes each chunk out before it reads the next.
    ///     assert_eq!(&s.transmit().unwrap()[..], chunk);
    /// }
    /// s.end_content()?;
    /// assert_eq!(&s.transmit().unwrap()[..], b")\r\na3 OK FETCH completed\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

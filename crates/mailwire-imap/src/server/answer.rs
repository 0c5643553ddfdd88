//! The questions a server session can have pending, the answers the application gives,
//! the error of an answer that fits no pending question, and the session's methods that
//! take the answers and write the responses.

use std::fmt;
use std::num::NonZeroU32;

use mailwire_core::Misuse;
use mailwire_sasl::{AuthAnswer, AuthError, AuthQuestionKind, Identity, Method};

#[cfg(doc)]
use super::event::Event;
use super::event::{ListEntry, MailboxSnapshot, StoredMessage};
use super::fetch::find;
use super::flags::{PERMANENT_FLAGS_TEXT, flags_response};
use super::item_cache::ItemCache;
use super::view::View;
use super::{Pending, Session, State};
use crate::types::{Completion, Condition, Data, Flag, Response, SequenceSet, StatusItem, Tag};

/// An answer the session could not take, handed back with the question that was pending.
///
/// Every answer method of [`Session`](super::Session) returns it when its
/// answer does not fit: nothing is pending, or another question is. The session is left
/// as it was; the value given comes back in [`answer`](mailwire_core::Misuse::answer).
///
/// ```
/// use mailwire_core::Session as _;
/// use mailwire_imap::server::{Answer, Config, Question, Session};
/// use mailwire_sasl::{AuthAnswer, AuthQuestionKind};
///
/// let mut config = Config::default();
/// config.plaintext_auth = true;
/// let mut s = Session::new(config);
/// let e = s.answer_auth(AuthAnswer::Accept).unwrap_err();
/// assert_eq!((e.pending, e.answer), (None, Answer::Auth(AuthAnswer::Accept)));
///
/// s.receive(b"a1 LOGIN fred secret\r\n");
/// let e = s.reject("Not now").unwrap_err();
/// assert_eq!(e.pending, Some(Question::Auth(AuthQuestionKind::Password)));
/// assert_eq!(e.to_string(), "reject does not answer the pending password check");
/// ```
pub type Error = Misuse<Question, Answer>;

/// A question the session can have pending, without its data: what an [`Error`] says
/// was pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Question {
    /// [`Event::Auth`](super::Event::Auth), of this kind.
    Auth(AuthQuestionKind),
    /// [`Event::Select`](super::Event::Select).
    Select,
    /// [`Event::Messages`](super::Event::Messages).
    Messages,
    /// [`Event::StoreFlags`](super::Event::StoreFlags).
    StoreFlags,
    /// [`Event::Content`](super::Event::Content).
    Content,
    /// [`Event::Expunge`](super::Event::Expunge).
    Expunge,
    /// [`Event::Copy`](super::Event::Copy).
    Copy,
    /// [`Event::Append`](super::Event::Append).
    Append,
    /// [`Event::List`](super::Event::List).
    List,
    /// [`Event::Status`](super::Event::Status).
    Status,
    /// [`Event::Manage`](super::Event::Manage).
    Manage,
    /// [`Event::Poll`](super::Event::Poll).
    Poll,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Question::Auth(kind) => return kind.fmt(f),
            Question::Select => "SELECT",
            Question::Messages => "message lookup",
            Question::StoreFlags => "flag change",
            Question::Content => "message content",
            Question::Expunge => "EXPUNGE",
            Question::Copy => "COPY",
            Question::Append => "APPEND",
            Question::List => "LIST",
            Question::Status => "STATUS",
            Question::Manage => "mailbox change",
            Question::Poll => "poll",
        })
    }
}

/// An answer given to the session, one variant per answer method, carrying its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// [`answer_auth`](super::Session::answer_auth).
    Auth(AuthAnswer),
    /// [`open_mailbox`](super::Session::open_mailbox).
    OpenMailbox(MailboxSnapshot),
    /// [`provide_messages`](super::Session::provide_messages).
    Messages(Vec<StoredMessage>),
    /// [`flags_stored`](super::Session::flags_stored).
    FlagsStored(Vec<(u32, Vec<Flag>)>),
    /// [`send_content`](super::Session::send_content), with the bytes.
    SendContent(Vec<u8>),
    /// [`end_content`](super::Session::end_content).
    EndContent,
    /// [`fail_content`](super::Session::fail_content).
    FailContent,
    /// [`accept`](super::Session::accept).
    Accept,
    /// [`accept_copy`](super::Session::accept_copy).
    AcceptCopy {
        /// The destination's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// Each message's UID and its copy's UID.
        copied: Vec<(u32, u32)>,
    },
    /// [`accept_append`](super::Session::accept_append).
    AcceptAppend {
        /// The mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The UIDs the messages got.
        uids: Vec<u32>,
    },
    /// [`reject`](super::Session::reject), with its text.
    Reject(String),
    /// [`reject_with`](super::Session::reject_with), with its response code and text.
    RejectWith {
        /// The response code.
        code: Option<crate::types::Code>,
        /// The text.
        text: String,
    },
    /// [`list`](super::Session::list).
    List(Vec<ListEntry>),
    /// [`status`](super::Session::status).
    Status(Vec<StatusItem>),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Auth(_) => "answer_auth",
            Answer::OpenMailbox(_) => "open_mailbox",
            Answer::Messages(_) => "provide_messages",
            Answer::FlagsStored(_) => "flags_stored",
            Answer::SendContent(_) => "send_content",
            Answer::EndContent => "end_content",
            Answer::FailContent => "fail_content",
            Answer::Accept => "accept",
            Answer::AcceptCopy { .. } => "accept_copy",
            Answer::AcceptAppend { .. } => "accept_append",
            Answer::Reject(_) => "reject",
            Answer::RejectWith { .. } => "reject_with",
            Answer::List(_) => "list",
            Answer::Status(_) => "status",
        })
    }
}

impl Session {
    pub(super) fn take_pending(&mut self) -> Pending {
        std::mem::take(&mut self.pending)
    }

    /// The question pending, if any.
    pub(super) fn question(&self) -> Option<Question> {
        Some(match &self.pending {
            Pending::None => return None,
            Pending::Credentials { exchange: None, .. } => {
                Question::Auth(AuthQuestionKind::Password)
            }
            Pending::Credentials {
                exchange: Some(ex), ..
            } => Question::Auth(ex.pending()?),
            Pending::Select { .. } => Question::Select,
            Pending::Fetch(_) | Pending::Search { .. } => Question::Messages,
            Pending::Content { .. } => Question::Content,
            Pending::FetchSeen { .. } | Pending::Store { .. } => Question::StoreFlags,
            Pending::Expunge { .. } => Question::Expunge,
            Pending::Copy { .. } => Question::Copy,
            Pending::Append { .. } => Question::Append,
            Pending::List { .. } => Question::List,
            Pending::Status { .. } => Question::Status,
            Pending::Manage { .. } => Question::Manage,
            Pending::Poll { .. } => Question::Poll,
        })
    }

    /// The error for `answer`, which does not fit the pending question.
    pub(super) fn misuse(&self, answer: Answer) -> Error {
        Misuse {
            pending: self.question(),
            answer,
        }
    }

    /// Answers [`Event::Auth`]. An answer that does not fit the question (for instance
    /// [`AuthAnswer::Accept`] to a token) is handed back and the question stays pending.
    pub fn answer_auth(&mut self, answer: AuthAnswer) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Credentials {
                tag,
                username,
                exchange: None,
            } if answer.fits(AuthQuestionKind::Password) => {
                let authcid = match answer {
                    AuthAnswer::Accept => username.unwrap_or_default(),
                    AuthAnswer::AcceptAs(name) => name,
                    _ => {
                        self.auth_failed(tag, Method::Login, username, AuthError::Credentials);
                        self.resume();
                        return Ok(());
                    }
                };
                let identity = Identity {
                    authcid,
                    authzid: None,
                };
                self.authenticated(tag, Method::Login, identity);
            }
            Pending::Credentials {
                tag,
                username,
                exchange: Some(mut ex),
            } => match ex.answer(answer) {
                Ok(step) => self.sasl_step(tag, ex, username, step),
                Err(wrong) => {
                    self.pending = Pending::Credentials {
                        tag,
                        username,
                        exchange: Some(ex),
                    };
                    return Err(Misuse {
                        pending: wrong.pending.map(Question::Auth),
                        answer: Answer::Auth(wrong.answer),
                    });
                }
            },
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Auth(answer)));
            }
        }
        self.resume();
        Ok(())
    }

    /// Refuses the pending question with a tagged `NO` and `text`.
    ///
    /// Not for [`Event::Auth`]: [`answer_auth`](Self::answer_auth) with
    /// [`AuthAnswer::Reject`] refuses credentials, and the session chooses the reply.
    pub fn reject(&mut self, text: &str) -> Result<(), Error> {
        self.refuse(None, text, || Answer::Reject(text.to_owned()))
    }

    /// Refuses the pending question with a tagged `NO`, a response code and `text`: the
    /// codes RFC 3501 and RFC 5530 give for a store's refusals, such as `[TRYCREATE]` for an
    /// APPEND or COPY to a mailbox that does not exist, `[NONEXISTENT]`,
    /// `[ALREADYEXISTS]` or `[NOPERM]`. As [`reject`](Self::reject) otherwise.
    pub fn reject_with(
        &mut self,
        code: Option<crate::types::Code>,
        text: &str,
    ) -> Result<(), Error> {
        let handed_back = code.clone();
        self.refuse(code, text, || Answer::RejectWith {
            code: handed_back,
            text: text.to_owned(),
        })
    }

    fn refuse(
        &mut self,
        code: Option<crate::types::Code>,
        text: &str,
        answer: impl FnOnce() -> Answer,
    ) -> Result<(), Error> {
        match self.take_pending() {
            other @ (Pending::None | Pending::Credentials { .. } | Pending::Content { .. }) => {
                self.pending = other;
                Err(self.misuse(answer()))
            }
            Pending::FetchSeen { job, .. } => {
                // The flags could not be stored: answer without setting \Seen.
                self.fetch_run(job);
                self.resume();
                Ok(())
            }
            Pending::Fetch(job) => {
                self.tagged(job.tag, Completion::No, code, text);
                self.resume();
                Ok(())
            }
            Pending::Select { tag, .. }
            | Pending::Search { tag, .. }
            | Pending::Store { tag, .. }
            | Pending::Expunge { tag, .. }
            | Pending::Copy { tag, .. }
            | Pending::Append { tag }
            | Pending::List { tag, .. }
            | Pending::Status { tag, .. }
            | Pending::Manage { tag, .. }
            | Pending::Poll { tag, .. } => {
                self.tagged(tag, Completion::No, code, text);
                self.resume();
                Ok(())
            }
        }
    }

    /// Goes on with pipelined input after an answer.
    pub(super) fn resume(&mut self) {
        mailwire_core::Session::receive(self, &[]);
    }

    /// Accepts [`Event::Expunge`], [`Event::Copy`], [`Event::Append`],
    /// [`Event::Manage`] or [`Event::Poll`] without response codes.
    pub fn accept(&mut self) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Expunge { tag, uids, close } => {
                if close {
                    self.state = State::Authenticated;
                    self.tagged(tag, Completion::Ok, None, "CLOSE completed");
                } else {
                    self.expunge_lines(&uids);
                    self.finish(tag, "EXPUNGE completed", true);
                }
            }
            Pending::Copy { tag, uids, remove } => self.copied(tag, &uids, remove, None),
            Pending::Append { tag } => self.finish(tag, "APPEND completed", true),
            Pending::Manage { tag, name } | Pending::Poll { tag, name } => {
                self.finish(tag, &format!("{name} completed"), true);
            }
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Accept));
            }
        }
        self.resume();
        Ok(())
    }

    pub(super) fn expunge_lines(&mut self, uids: &[u32]) {
        let seqs = self.view_mut().map(|v| v.expunge(uids)).unwrap_or_default();
        for seq in seqs.into_iter().filter_map(NonZeroU32::new) {
            self.write(&Response::Data(Data::Expunge(seq)));
        }
    }

    pub(super) fn copied(
        &mut self,
        tag: Tag,
        uids: &[u32],
        remove: bool,
        code: Option<crate::types::Code>,
    ) {
        if remove {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
            if let Some(code) = code {
                self.untagged(Condition::Ok, Some(code), "Moved UIDs");
            }
            self.expunge_lines(uids);
            self.finish(tag, "MOVE completed", true);
        } else {
            self.announce(true);
            self.tagged(tag, Completion::Ok, code, "COPY completed");
        }
    }

    /// Accepts [`Event::Copy`] with UIDPLUS's COPYUID: the destination's UIDVALIDITY and,
    /// for each message copied, its UID here and its copy's UID there, in the order of the
    /// event's `uids`. Messages that no longer existed are left out of `copied` (and out of
    /// COPYUID); an empty `copied` sends no COPYUID.
    pub fn accept_copy(
        &mut self,
        uid_validity: NonZeroU32,
        copied: &[(u32, u32)],
    ) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Copy { tag, uids, remove } => {
                let (sources, destinations): (Vec<u32>, Vec<u32>) = copied.iter().copied().unzip();
                let code =
                    uid_set(&sources)
                        .zip(uid_set(&destinations))
                        .map(|(source, destination)| crate::types::Code::CopyUid {
                            uid_validity,
                            source,
                            destination,
                        });
                self.copied(tag, &uids, remove, code);
                self.resume();
                Ok(())
            }
            other => {
                self.pending = other;
                Err(self.misuse(Answer::AcceptCopy {
                    uid_validity,
                    copied: copied.to_vec(),
                }))
            }
        }
    }

    /// Accepts [`Event::Append`] with UIDPLUS's APPENDUID.
    pub fn accept_append(&mut self, uid_validity: NonZeroU32, uids: &[u32]) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Append { tag } => {
                let code =
                    uid_set(uids).map(|uids| crate::types::Code::AppendUid { uid_validity, uids });
                self.announce(true);
                self.tagged(tag, Completion::Ok, code, "APPEND completed");
                self.resume();
                Ok(())
            }
            other => {
                self.pending = other;
                Err(self.misuse(Answer::AcceptAppend {
                    uid_validity,
                    uids: uids.to_vec(),
                }))
            }
        }
    }

    /// Answers [`Event::Select`]: the mailbox is open.
    pub fn open_mailbox(&mut self, snapshot: MailboxSnapshot) -> Result<(), Error> {
        let (tag, mailbox, read_only) = match self.take_pending() {
            Pending::Select {
                tag,
                mailbox,
                read_only,
            } => (tag, mailbox, read_only),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::OpenMailbox(snapshot)));
            }
        };
        let mut view = View::new(mailbox, read_only, snapshot);
        view.cache = ItemCache::new(self.config.fetch_cache_bytes);
        self.write(&Response::Data(Data::Flags(view.flags().to_vec())));
        self.write(&Response::Data(Data::Exists(view.exists())));
        self.write(&Response::Data(Data::Recent(view.recent())));
        let first_unseen = view
            .messages
            .iter()
            .position(|m| !m.flags.contains(&Flag::Seen))
            .and_then(|i| u32::try_from(i + 1).ok())
            .and_then(NonZeroU32::new);
        if let Some(n) = first_unseen {
            self.untagged(
                Condition::Ok,
                Some(crate::types::Code::Unseen(n)),
                &format!("Message {n} is first unseen"),
            );
        }
        self.untagged(
            Condition::Ok,
            Some(crate::types::Code::PermanentFlags(view.permanent_flags())),
            PERMANENT_FLAGS_TEXT,
        );
        self.untagged(
            Condition::Ok,
            Some(crate::types::Code::UidValidity(view.uid_validity)),
            "UIDs valid",
        );
        self.untagged(
            Condition::Ok,
            Some(crate::types::Code::UidNext(view.uid_next)),
            "Predicted next UID",
        );
        let (code, name) = if read_only {
            (crate::types::Code::ReadOnly, "EXAMINE")
        } else {
            (crate::types::Code::ReadWrite, "SELECT")
        };
        self.state = State::Selected(Box::new(view));
        self.tagged(
            tag,
            Completion::Ok,
            Some(code),
            &format!("{name} completed"),
        );
        self.resume();
        Ok(())
    }

    /// Answers [`Event::List`].
    pub fn list(&mut self, entries: Vec<ListEntry>) -> Result<(), Error> {
        let (tag, subscribed) = match self.take_pending() {
            Pending::List { tag, subscribed } => (tag, subscribed),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::List(entries)));
            }
        };
        for e in entries {
            let data = if subscribed {
                Data::Lsub {
                    attributes: e.attributes,
                    delimiter: e.delimiter,
                    mailbox: e.mailbox,
                }
            } else {
                Data::List {
                    attributes: e.attributes,
                    delimiter: e.delimiter,
                    mailbox: e.mailbox,
                }
            };
            self.write(&Response::Data(data));
        }
        let name = if subscribed { "LSUB" } else { "LIST" };
        self.finish(tag, &format!("{name} completed"), true);
        self.resume();
        Ok(())
    }

    /// Answers [`Event::Status`].
    pub fn status(&mut self, items: Vec<StatusItem>) -> Result<(), Error> {
        let (tag, mailbox) = match self.take_pending() {
            Pending::Status { tag, mailbox } => (tag, mailbox),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Status(items)));
            }
        };
        self.write(&Response::Data(Data::Status { mailbox, items }));
        self.finish(tag, "STATUS completed", true);
        self.resume();
        Ok(())
    }

    /// Answers [`Event::StoreFlags`] with the flags as stored after the change, of each
    /// message that still exists (order does not matter).
    ///
    /// The session takes them into its view and reports them: STORE writes an untagged
    /// FETCH of each message's flags (with `.SILENT`, only of those whose flags are not
    /// what the client asked for, such as a flag another connection set); a FETCH that set
    /// `\Seen` reports them with the message. A message left out is gone: FETCH leaves it
    /// out, and the session reports it expunged when RFC 3501 allows, as if told with
    /// [`notify`](Self::notify).
    pub fn flags_stored(&mut self, mut flags: Vec<(u32, Vec<Flag>)>) -> Result<(), Error> {
        if !matches!(
            self.pending,
            Pending::Store { .. } | Pending::FetchSeen { .. }
        ) {
            return Err(self.misuse(Answer::FlagsStored(flags)));
        }
        flags.sort_by_key(|&(u, _)| u);
        flags.dedup_by_key(|&mut (u, _)| u);
        match self.take_pending() {
            Pending::Store {
                tag,
                uids,
                change,
                silent,
                uid,
            } => {
                let mut lines = Vec::new();
                if let Some(v) = self.view_mut() {
                    for &u in &uids {
                        if flags.binary_search_by_key(&u, |&(u, _)| u).is_err() {
                            v.gone(u);
                        }
                    }
                    for (u, stored) in flags {
                        if uids.binary_search(&u).is_err() {
                            continue;
                        }
                        let Some(seq) = v.seq_of(u) else { continue };
                        let Some(m) = v.by_seq(seq) else { continue };
                        let asked = change.apply(&m.flags);
                        let differs = stored != asked;
                        v.set_flags(seq, stored);
                        if !silent {
                            lines.extend(flags_response(v, seq, uid.then_some(u)));
                            v.flags_reported(u);
                        } else if differs {
                            // The client believes the flags it asked for: what else is
                            // stored is a change made elsewhere, told as one.
                            v.flags_changed(u);
                        }
                    }
                }
                self.tell_flag_list();
                for l in &lines {
                    self.write(l);
                }
                let name = if uid { "UID STORE" } else { "STORE" };
                self.finish(tag, &format!("{name} completed"), uid);
            }
            Pending::FetchSeen { mut job, asked } => {
                let mut newly_seen = Vec::new();
                if let Some(v) = self.view_mut() {
                    for &u in &asked {
                        if flags.binary_search_by_key(&u, |&(u, _)| u).is_err() {
                            v.gone(u);
                        }
                    }
                    for (u, stored) in flags {
                        if asked.binary_search(&u).is_err() {
                            continue;
                        }
                        if let Some(seq) = v.seq_of(u) {
                            v.set_flags(seq, stored);
                            newly_seen.push(u);
                        }
                    }
                }
                // Asked about and not answered for: gone from the store. All are in the
                // current window, which shrinks by as many.
                let before = job.targets.len();
                job.targets.retain(|&(_, u)| {
                    asked.binary_search(&u).is_err() || newly_seen.binary_search(&u).is_ok()
                });
                job.window_end -= before - job.targets.len();
                job.newly_seen = newly_seen;
                self.fetch_run(job);
            }
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::FlagsStored(flags)));
            }
        }
        self.resume();
        Ok(())
    }

    /// Answers [`Event::Messages`] with the messages that still exist. A message left out
    /// is gone: the session reports it expunged when RFC 3501 allows, as if told with
    /// [`notify`](Self::notify).
    pub fn provide_messages(&mut self, mut messages: Vec<StoredMessage>) -> Result<(), Error> {
        if !matches!(self.pending, Pending::Fetch(_) | Pending::Search { .. }) {
            return Err(self.misuse(Answer::Messages(messages)));
        }
        // Looked up by UID below; stores usually hand them over in order already.
        if !messages.is_sorted_by_key(|m| m.uid) {
            messages.sort_unstable_by_key(|m| m.uid);
        }
        match self.take_pending() {
            Pending::Fetch(mut job) => {
                let window: Vec<u32> = job.window().iter().map(|&(_, u)| u).collect();
                if let Some(v) = self.view_mut() {
                    for u in window {
                        if find(&messages, u).is_none() {
                            v.gone(u);
                        }
                    }
                }
                job.messages = messages;
                self.fetch_start(job);
            }
            Pending::Search { tag, keys, uid } => {
                if let Some(v) = self.view_mut() {
                    let uids: Vec<u32> = v.messages.iter().map(|m| m.uid).collect();
                    for u in uids {
                        if find(&messages, u).is_none() {
                            v.gone(u);
                        }
                    }
                }
                self.search_reply(tag, &keys, uid, &messages);
            }
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Messages(messages)));
            }
        }
        self.resume();
        Ok(())
    }
}

fn uid_set(uids: &[u32]) -> Option<SequenceSet> {
    let ranges = uids
        .iter()
        .filter_map(|&u| NonZeroU32::new(u))
        .map(|u| crate::types::SeqRange::Single(crate::types::SeqNumber::Value(u)))
        .collect();
    SequenceSet::new(ranges).ok()
}

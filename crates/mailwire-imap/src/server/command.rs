//! Commands checked against the state, handled or turned into questions, and the
//! application's answers turned into responses.

use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::str::FromStr;

use mailwire_core::Misuse;
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Identity, Mechanism, Method,
    ServerExchange, ServerStep,
};

use super::answer::{Answer, Error, Question};
use super::event::{Event, ListEntry, MailboxChange, MailboxSnapshot, StoredMessage};
use super::item_cache::{CachedItem, ItemCache};
use super::view::View;
use super::{Mode, Pending, Session, State};
use crate::codec::decode::leading_tag;
use crate::codec::encode::Writer;
use crate::codec::encode_response;
use crate::message::ParsedMessage;
use crate::message::search::{Candidate, matches_all, needs_message, reads_body};
use crate::types::{
    Command, CommandBody, Completion, Condition, Data, FetchAttribute, FetchItems, Flag, FlagFetch,
    FlagPerm, MessageDataItem, NamespaceDescription, NonEmpty, Response, SearchKey, SequenceSet,
    StatusItem, StoreKind, Tag,
};

/// Where a command may be given (RFC 3501 §6).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowed {
    Any,
    NotAuthenticated,
    Authenticated,
    Selected,
}

fn allowed(body: &CommandBody) -> Allowed {
    allowed_by_name(body.name()).unwrap_or(Allowed::Authenticated)
}

/// The states a command may be given in, by its name as [`CommandBody::name`] spells it;
/// `None` for a name that is no command.
fn allowed_by_name(name: &str) -> Option<Allowed> {
    Some(match name {
        "CAPABILITY" | "NOOP" | "LOGOUT" | "ID" => Allowed::Any,
        "STARTTLS" | "AUTHENTICATE" | "LOGIN" => Allowed::NotAuthenticated,
        "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "UID EXPUNGE" | "SEARCH" | "UID SEARCH"
        | "FETCH" | "UID FETCH" | "STORE" | "UID STORE" | "COPY" | "UID COPY" | "MOVE"
        | "UID MOVE" => Allowed::Selected,
        "SELECT" | "EXAMINE" | "CREATE" | "DELETE" | "RENAME" | "SUBSCRIBE" | "UNSUBSCRIBE"
        | "LIST" | "LSUB" | "STATUS" | "APPEND" | "IDLE" | "NAMESPACE" | "ENABLE" => {
            Allowed::Authenticated
        }
        _ => return None,
    })
}

/// The command name at the start of a command line after its tag (`UID FETCH` for a UID
/// command), uppercased, when it is readable.
fn command_name(line: &[u8], tag_len: usize) -> Option<String> {
    let word = |from: usize| -> Option<(String, usize)> {
        let rest = line.get(from..)?;
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        (n > 0).then(|| {
            let w = String::from_utf8_lossy(&rest[..n]).to_ascii_uppercase();
            (w, from + n)
        })
    };
    let (first, end) = word(tag_len + 1)?;
    if first == "UID" && line.get(end) == Some(&b' ') {
        let (second, _) = word(end + 1)?;
        return Some(format!("UID {second}"));
    }
    Some(first)
}

impl Session {
    /// Whether a command whose line announced a synchronising literal may go on: the
    /// client is invited to send the literal only when the command is one the session
    /// knows and allows in the current state (RFC 3501 §7.5: otherwise a tagged response
    /// tells it not to). On refusal the command's bytes so far are dropped.
    pub(super) fn literal_allowed(&mut self, line: &[u8]) -> bool {
        let Some(tag) = leading_tag(line) else {
            // Without a tag there is nothing to refuse it with; the command's decoding
            // will answer once it is complete.
            return true;
        };
        let name = command_name(line, tag.as_str().len());
        let Some(allowed) = name.as_deref().and_then(allowed_by_name) else {
            self.bad(Some(tag), "Unknown command");
            return false;
        };
        if self.fits(allowed) {
            return true;
        }
        let text = format!("{} not allowed in this state", name.unwrap_or_default());
        self.bad(Some(tag), &text);
        false
    }

    fn fits(&self, allowed: Allowed) -> bool {
        matches!(
            (allowed, &self.state),
            (Allowed::Any, _)
                | (Allowed::NotAuthenticated, State::NotAuthenticated)
                | (
                    Allowed::Authenticated,
                    State::Authenticated | State::Selected(_)
                )
                | (Allowed::Selected, State::Selected(_))
        )
    }
}

/// An untagged `FETCH (FLAGS (…) [UID n])` for a message of the view.
pub(super) fn flags_response(view: &View, seq: u32, uid: Option<u32>) -> Option<Response> {
    let m = view.by_seq(seq)?;
    let mut items = NonEmpty::new(MessageDataItem::Flags(flag_fetch(&m.flags, m.recent)));
    if let Some(uid) = uid.and_then(NonZeroU32::new) {
        items.push(MessageDataItem::Uid(uid));
    }
    Some(Response::Data(Data::Fetch {
        seq: NonZeroU32::new(seq)?,
        items,
    }))
}

fn flag_fetch(flags: &[Flag], recent: bool) -> Vec<FlagFetch> {
    let mut out: Vec<FlagFetch> = flags.iter().cloned().map(FlagFetch::Flag).collect();
    if recent {
        out.push(FlagFetch::Recent);
    }
    out
}

fn expand(items: FetchItems) -> Vec<FetchAttribute> {
    use FetchAttribute as A;
    match items {
        FetchItems::All => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
        FetchItems::Fast => vec![A::Flags, A::InternalDate, A::Rfc822Size],
        FetchItems::Full => vec![
            A::Flags,
            A::InternalDate,
            A::Rfc822Size,
            A::Envelope,
            A::Body,
        ],
        FetchItems::Attributes(a) => a.into_vec(),
    }
}

/// Whether an attribute sets `\Seen` (RFC 3501 §6.4.5).
fn sets_seen(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Text
            | FetchAttribute::BodySection { peek: false, .. }
    )
}

/// Whether keys or attributes need the stored message (its content or internal date).
fn search_needs_store(keys: &[SearchKey]) -> bool {
    fn dated(k: &SearchKey) -> bool {
        match k {
            SearchKey::Before(_) | SearchKey::On(_) | SearchKey::Since(_) => true,
            SearchKey::Not(k) => dated(k),
            SearchKey::Or(a, b) => dated(a) || dated(b),
            SearchKey::And(ks) => ks.iter().any(dated),
            _ => false,
        }
    }
    needs_message(keys) || keys.iter().any(dated)
}

fn store(current: &[Flag], kind: StoreKind, flags: &[Flag]) -> Vec<Flag> {
    match kind {
        StoreKind::Replace => {
            let mut out: Vec<Flag> = Vec::new();
            for f in flags {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
            out
        }
        StoreKind::Add => {
            let mut out = current.to_vec();
            for f in flags {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
            out
        }
        StoreKind::Remove => current
            .iter()
            .filter(|f| !flags.contains(f))
            .cloned()
            .collect(),
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

impl Session {
    fn view(&self) -> Option<&View> {
        match &self.state {
            State::Selected(v) => Some(v),
            _ => None,
        }
    }

    fn view_mut(&mut self) -> Option<&mut View> {
        match &mut self.state {
            State::Selected(v) => Some(v),
            _ => None,
        }
    }

    fn ask(&mut self, pending: Pending, event: Event) {
        self.pending = pending;
        self.conduit.push_event(event);
    }

    /// Handles one decoded command.
    pub(super) fn command(&mut self, command: Command) {
        let Command { tag, body } = command;
        if !self.fits(allowed(&body)) {
            let text = format!("{} not allowed in this state", body.name());
            self.bad(Some(tag), &text);
            return;
        }
        let name = body.name();
        match body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.write(&Response::Data(Data::Capability(caps)));
                self.finish(tag, "CAPABILITY completed", true);
            }
            CommandBody::Noop | CommandBody::Check => {
                self.finish(tag, &format!("{name} completed"), true);
            }
            CommandBody::Logout => {
                self.untagged(Condition::Bye, None, "Logging out");
                self.tagged(tag, Completion::Ok, None, "LOGOUT completed");
                self.close();
            }
            CommandBody::Id { .. } => {
                let id = &self.config.id;
                let parameters = (!id.is_empty()).then(|| id.iter().take(30).cloned().collect());
                self.write(&Response::Data(Data::Id { parameters }));
                self.finish(tag, "ID completed", true);
            }
            CommandBody::StartTls => {
                if self.tls || !self.config.starttls {
                    self.bad(Some(tag), "STARTTLS not available");
                    return;
                }
                self.tagged(tag, Completion::Ok, None, "Begin TLS negotiation now");
                // RFC 3501 §6.2.1: anything the client sent after STARTTLS is discarded.
                self.conduit.start_tls();
                self.reset_framer();
            }
            CommandBody::Login { username, password } => {
                if !self.plaintext_allowed() {
                    self.tagged(
                        tag,
                        Completion::No,
                        None,
                        "Plaintext login disabled; use STARTTLS",
                    );
                    return;
                }
                let username = String::from_utf8_lossy(username.as_bytes()).into_owned();
                let password = String::from_utf8_lossy(password.expose().as_bytes()).into_owned();
                self.ask(
                    Pending::Credentials {
                        tag,
                        username: Some(username.clone()),
                        exchange: None,
                    },
                    Event::Auth {
                        question: AuthQuestion::Password {
                            method: Method::Login,
                            authcid: username,
                            authzid: None,
                            password: password.into(),
                        },
                    },
                );
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                let offered = Mechanism::from_str(mechanism.as_str())
                    .ok()
                    .filter(|&m| self.mechanism_offered(m));
                let exchange = offered.and_then(|m| {
                    let nonce = if m.sends_plaintext_secret() {
                        String::new()
                    } else {
                        self.auth_nonce.take()?
                    };
                    ServerExchange::new(m, &nonce).ok()
                });
                let Some(exchange) = exchange else {
                    self.tagged(tag, Completion::No, None, "Unsupported mechanism");
                    return;
                };
                let mut exchange = Box::new(exchange);
                let step = exchange.start(initial_response.as_ref().map(|r| r.expose().as_slice()));
                self.sasl_step(tag, exchange, None, step);
            }
            CommandBody::Select { mailbox, .. } | CommandBody::Examine { mailbox, .. } => {
                let read_only = name == "EXAMINE";
                // Selecting closes the selected mailbox first, without expunging.
                self.state = State::Authenticated;
                self.ask(
                    Pending::Select {
                        tag,
                        mailbox: mailbox.clone(),
                        read_only,
                    },
                    Event::Select { mailbox, read_only },
                );
            }
            CommandBody::Create { mailbox } => {
                self.manage(tag, name, MailboxChange::Create { mailbox });
            }
            CommandBody::Delete { mailbox } => {
                self.manage(tag, name, MailboxChange::Delete { mailbox });
            }
            CommandBody::Rename { from, to } => {
                self.manage(tag, name, MailboxChange::Rename { from, to });
            }
            CommandBody::Subscribe { mailbox } => {
                self.manage(tag, name, MailboxChange::Subscribe { mailbox });
            }
            CommandBody::Unsubscribe { mailbox } => {
                self.manage(tag, name, MailboxChange::Unsubscribe { mailbox });
            }
            CommandBody::List { reference, pattern } | CommandBody::Lsub { reference, pattern } => {
                let subscribed = name == "LSUB";
                self.ask(
                    Pending::List { tag, subscribed },
                    Event::List {
                        reference,
                        pattern,
                        subscribed,
                    },
                );
            }
            CommandBody::Status {
                mailbox,
                attributes,
            } => {
                self.ask(
                    Pending::Status {
                        tag,
                        mailbox: mailbox.clone(),
                    },
                    Event::Status {
                        mailbox,
                        attributes: attributes.into_vec(),
                    },
                );
            }
            CommandBody::Append { mailbox, messages } => {
                self.ask(
                    Pending::Append { tag },
                    Event::Append {
                        mailbox,
                        messages: messages.into_vec(),
                    },
                );
            }
            CommandBody::Namespace => {
                let data = match &self.config.namespaces {
                    Some(ns) => Data::Namespace {
                        personal: ns.personal.clone(),
                        other: ns.other.clone(),
                        shared: ns.shared.clone(),
                    },
                    None => Data::Namespace {
                        personal: vec![NamespaceDescription {
                            prefix: crate::types::IString::default(),
                            delimiter: crate::types::Delimiter::new(self.config.delimiter).ok(),
                            extensions: Vec::new(),
                        }],
                        other: Vec::new(),
                        shared: Vec::new(),
                    },
                };
                self.write(&Response::Data(data));
                self.finish(tag, "NAMESPACE completed", true);
            }
            CommandBody::Enable { .. } => {
                // None of the extensions ENABLE can turn on (CONDSTORE, QRESYNC,
                // UTF8=ACCEPT …) is implemented; RFC 5161 §3.1: what the server does not
                // support is left out of ENABLED, which may then be empty.
                self.write(&Response::Data(Data::Enabled {
                    capabilities: Vec::new(),
                }));
                self.finish(tag, "ENABLE completed", true);
            }
            CommandBody::Idle => {
                self.continuation("idling");
                self.mode = Mode::Idle(tag);
                self.announce(true);
            }
            CommandBody::Close | CommandBody::Unselect => {
                let deleted = match self.view() {
                    Some(v) if name == "CLOSE" && !v.read_only => deleted_uids(v, None),
                    _ => Vec::new(),
                };
                if deleted.is_empty() {
                    self.state = State::Authenticated;
                    self.tagged(tag, Completion::Ok, None, &format!("{name} completed"));
                } else {
                    self.ask(
                        Pending::Expunge {
                            tag,
                            uids: deleted.clone(),
                            close: true,
                        },
                        Event::Expunge { uids: deleted },
                    );
                }
            }
            CommandBody::Expunge | CommandBody::UidExpunge { .. } => {
                let Some(v) = self.view() else { return };
                if v.read_only {
                    self.tagged(tag, Completion::No, None, "Mailbox is read-only");
                    return;
                }
                let set = match &body {
                    CommandBody::UidExpunge { uids } => Some(uids),
                    _ => None,
                };
                let deleted = deleted_uids(v, set);
                if deleted.is_empty() {
                    self.finish(tag, &format!("{name} completed"), true);
                } else {
                    self.ask(
                        Pending::Expunge {
                            tag,
                            uids: deleted.clone(),
                            close: false,
                        },
                        Event::Expunge { uids: deleted },
                    );
                }
            }
            CommandBody::Search {
                charset,
                criteria,
                uid,
            } => {
                if let Some(c) = charset {
                    let known = ["US-ASCII", "UTF-8"];
                    if !known.iter().any(|k| c.as_str().eq_ignore_ascii_case(k)) {
                        let charsets = known
                            .iter()
                            .filter_map(|k| crate::types::Charset::new(*k).ok())
                            .collect();
                        self.tagged(
                            tag,
                            Completion::No,
                            Some(crate::types::Code::BadCharset(charsets)),
                            "Unsupported charset",
                        );
                        return;
                    }
                }
                let Some(v) = self.view() else { return };
                if search_needs_store(&criteria) && v.exists() > 0 {
                    let uids = v.messages.iter().map(|m| m.uid).collect();
                    self.ask(
                        Pending::Search {
                            tag,
                            keys: criteria.into_vec(),
                            uid,
                        },
                        Event::Messages { uids },
                    );
                } else {
                    self.search_reply(tag, &criteria, uid, &[]);
                }
            }
            CommandBody::Fetch {
                set, items, uid, ..
            } => {
                let Some(targets) = self.targets(&tag, &set, uid) else {
                    return;
                };
                let mut attributes = expand(items);
                if uid && !attributes.contains(&FetchAttribute::Uid) {
                    attributes.insert(0, FetchAttribute::Uid);
                }
                let needs_store = attributes
                    .iter()
                    .any(|a| !matches!(a, FetchAttribute::Flags | FetchAttribute::Uid));
                if needs_store && !targets.is_empty() {
                    let uids = targets.iter().map(|&(_, u)| u).collect();
                    self.ask(
                        Pending::Fetch {
                            tag,
                            attributes,
                            targets,
                            uid,
                        },
                        Event::Messages { uids },
                    );
                } else {
                    self.fetch_reply(tag, &attributes, &targets, uid, &[], &[]);
                }
            }
            CommandBody::Store {
                set,
                kind,
                silent,
                flags,
                uid,
                ..
            } => {
                if self.view().is_some_and(|v| v.read_only) {
                    self.tagged(tag, Completion::No, None, "Mailbox is read-only");
                    return;
                }
                let Some(targets) = self.targets(&tag, &set, uid) else {
                    return;
                };
                let Some(v) = self.view() else { return };
                let updates: Vec<(u32, Vec<Flag>)> = targets
                    .iter()
                    .filter_map(|&(seq, u)| {
                        v.by_seq(seq).map(|m| (u, store(&m.flags, kind, &flags)))
                    })
                    .collect();
                if updates.is_empty() {
                    self.finish(tag, &format!("{name} completed"), uid);
                } else {
                    self.ask(
                        Pending::Store {
                            tag,
                            updates: updates.clone(),
                            silent,
                            uid,
                        },
                        Event::SetFlags { updates },
                    );
                }
            }
            CommandBody::Copy { set, mailbox, uid } | CommandBody::Move { set, mailbox, uid } => {
                let remove = name.ends_with("MOVE");
                if remove && self.view().is_some_and(|v| v.read_only) {
                    self.tagged(tag, Completion::No, None, "Mailbox is read-only");
                    return;
                }
                let Some(targets) = self.targets(&tag, &set, uid) else {
                    return;
                };
                if targets.is_empty() {
                    self.finish(tag, &format!("{name} completed"), true);
                    return;
                }
                let uids: Vec<u32> = targets.iter().map(|&(_, u)| u).collect();
                self.ask(
                    Pending::Copy {
                        tag,
                        uids: uids.clone(),
                        remove,
                    },
                    Event::Copy {
                        uids,
                        destination: mailbox,
                        remove,
                    },
                );
            }
        }
    }

    fn manage(&mut self, tag: Tag, name: &'static str, change: MailboxChange) {
        self.ask(Pending::Manage { tag, name }, Event::Manage(change));
    }

    /// The `(seq, uid)` pairs a command's set names, or `None` after answering BAD to a
    /// sequence set that names messages that do not exist.
    fn targets(&mut self, tag: &Tag, set: &SequenceSet, uid: bool) -> Option<Vec<(u32, u32)>> {
        let v = self.view()?;
        if !uid && !v.seq_set_valid(set) {
            self.bad(Some(tag.clone()), "Invalid message sequence number");
            return None;
        }
        Some(v.resolve(set, uid))
    }

    /// Acts on the next step of an AUTHENTICATE exchange; `user` is the user the client
    /// named so far.
    pub(super) fn sasl_step(
        &mut self,
        tag: Tag,
        exchange: Box<ServerExchange>,
        user: Option<String>,
        step: ServerStep,
    ) {
        use base64::Engine as _;
        match step {
            ServerStep::Challenge(data) => {
                let text = base64::engine::general_purpose::STANDARD.encode(data);
                // An empty challenge is a bare `+ ` line (RFC 3501 §7.5).
                if text.is_empty() {
                    self.conduit.write(b"+ \r\n");
                } else {
                    self.continuation(&text);
                }
                self.mode = Mode::SaslLine(tag, exchange, user);
            }
            ServerStep::Question(question) => {
                let username = question.user().map(str::to_owned).or(user);
                self.ask(
                    Pending::Credentials {
                        tag,
                        username,
                        exchange: Some(exchange),
                    },
                    Event::Auth { question },
                );
            }
            ServerStep::Success { identity, .. } => {
                self.authenticated(tag, Method::Sasl(exchange.mechanism()), identity);
            }
            ServerStep::Failure(error) => {
                self.auth_failed(tag, Method::Sasl(exchange.mechanism()), user, error);
            }
        }
    }

    fn authenticated(&mut self, tag: Tag, method: Method, identity: Identity) {
        self.state = State::Authenticated;
        // Between messages: the framer starts afresh under the authenticated limits.
        self.reset_framer();
        self.user = Some(identity.acting_as().to_owned());
        self.conduit
            .push_event(Event::Authenticated { method, identity });
        let caps = self.capabilities();
        self.tagged(
            tag,
            Completion::Ok,
            Some(crate::types::Code::Capability(caps)),
            "Logged in",
        );
    }

    /// Counts and reports a failed attempt, and tells the client.
    fn auth_failed(&mut self, tag: Tag, method: Method, user: Option<String>, error: AuthError) {
        self.auth_failures = self.auth_failures.saturating_add(1);
        let reply = match error {
            AuthError::Credentials => None,
            AuthError::Cancelled => Some("AUTHENTICATE cancelled"),
            _ => Some("Invalid AUTHENTICATE exchange"),
        };
        self.conduit.push_event(Event::AuthFailed {
            method,
            user,
            error,
            failures: self.auth_failures,
        });
        match reply {
            None => self.tagged(tag, Completion::No, None, "Authentication failed"),
            Some(text) => self.bad(Some(tag), text),
        }
        self.enforce_auth_limit();
    }

    // ---- answers ----

    fn take_pending(&mut self) -> Pending {
        std::mem::take(&mut self.pending)
    }

    /// The question pending, if any.
    fn question(&self) -> Option<Question> {
        Some(match &self.pending {
            Pending::None => return None,
            Pending::Credentials { exchange: None, .. } => {
                Question::Auth(AuthQuestionKind::Password)
            }
            Pending::Credentials {
                exchange: Some(ex), ..
            } => Question::Auth(ex.pending()?),
            Pending::Select { .. } => Question::Select,
            Pending::Fetch { .. } | Pending::Search { .. } => Question::Messages,
            Pending::FetchSeen { .. } | Pending::Store { .. } => Question::SetFlags,
            Pending::Expunge { .. } => Question::Expunge,
            Pending::Copy { .. } => Question::Copy,
            Pending::Append { .. } => Question::Append,
            Pending::List { .. } => Question::List,
            Pending::Status { .. } => Question::Status,
            Pending::Manage { .. } => Question::Manage,
        })
    }

    /// The error for `answer`, which does not fit the pending question.
    fn misuse(&self, answer: Answer) -> Error {
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
        match self.take_pending() {
            other @ (Pending::None | Pending::Credentials { .. }) => {
                self.pending = other;
                Err(self.misuse(Answer::Reject(text.to_owned())))
            }
            Pending::FetchSeen {
                tag,
                attributes,
                targets,
                uid,
                messages,
                ..
            } => {
                // The flags could not be stored: answer without setting \Seen.
                self.fetch_reply(tag, &attributes, &targets, uid, &messages, &[]);
                self.resume();
                Ok(())
            }
            Pending::Select { tag, .. }
            | Pending::Fetch { tag, .. }
            | Pending::Search { tag, .. }
            | Pending::Store { tag, .. }
            | Pending::Expunge { tag, .. }
            | Pending::Copy { tag, .. }
            | Pending::Append { tag }
            | Pending::List { tag, .. }
            | Pending::Status { tag, .. }
            | Pending::Manage { tag, .. } => {
                self.tagged(tag, Completion::No, None, text);
                self.resume();
                Ok(())
            }
        }
    }

    /// Goes on with pipelined input after an answer.
    fn resume(&mut self) {
        mailwire_core::Session::receive(self, &[]);
    }

    /// Accepts [`Event::SetFlags`], [`Event::Expunge`], [`Event::Copy`],
    /// [`Event::Append`] or [`Event::Manage`] without response codes.
    pub fn accept(&mut self) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Store {
                tag,
                updates,
                silent,
                uid,
            } => {
                let mut lines = Vec::new();
                if let Some(v) = self.view_mut() {
                    for (u, flags) in updates {
                        if let Some(seq) = v.seq_of(u) {
                            if let Some(m) = v.by_seq_mut(seq) {
                                m.flags = flags;
                            }
                            if !silent {
                                lines.extend(flags_response(v, seq, uid.then_some(u)));
                            }
                        }
                    }
                }
                for l in &lines {
                    self.write(l);
                }
                let name = if uid { "UID STORE" } else { "STORE" };
                self.finish(tag, &format!("{name} completed"), uid);
            }
            Pending::FetchSeen {
                tag,
                attributes,
                targets,
                uid,
                messages,
                updates,
            } => {
                let newly_seen: Vec<u32> = updates.iter().map(|&(u, _)| u).collect();
                if let Some(v) = self.view_mut() {
                    for (u, flags) in updates {
                        if let Some(m) = v.seq_of(u).and_then(|s| v.by_seq_mut(s)) {
                            m.flags = flags;
                        }
                    }
                }
                self.fetch_reply(tag, &attributes, &targets, uid, &messages, &newly_seen);
            }
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
            Pending::Manage { tag, name } => self.finish(tag, &format!("{name} completed"), true),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Accept));
            }
        }
        self.resume();
        Ok(())
    }

    fn expunge_lines(&mut self, uids: &[u32]) {
        let seqs = self.view_mut().map(|v| v.expunge(uids)).unwrap_or_default();
        for seq in seqs.into_iter().filter_map(NonZeroU32::new) {
            self.write(&Response::Data(Data::Expunge(seq)));
        }
    }

    fn copied(&mut self, tag: Tag, uids: &[u32], remove: bool, code: Option<crate::types::Code>) {
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

    /// Accepts [`Event::Copy`] with UIDPLUS's COPYUID: the destination's UIDVALIDITY and
    /// the UIDs the copies got, in the order of the event's `uids`.
    pub fn accept_copy(
        &mut self,
        uid_validity: NonZeroU32,
        destination_uids: &[u32],
    ) -> Result<(), Error> {
        match self.take_pending() {
            Pending::Copy { tag, uids, remove } => {
                let code =
                    uid_set(&uids)
                        .zip(uid_set(destination_uids))
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
                    destination_uids: destination_uids.to_vec(),
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
        let flags = snapshot.flags.clone();
        let keywords = snapshot.keywords_allowed;
        let mut view = View::new(mailbox, read_only, snapshot);
        view.cache = ItemCache::new(self.config.fetch_cache_bytes);
        self.write(&Response::Data(Data::Flags(flags.clone())));
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
        let mut permanent: Vec<FlagPerm> = Vec::new();
        if !read_only {
            permanent.extend(flags.into_iter().map(FlagPerm::Flag));
            if keywords {
                permanent.push(FlagPerm::Wildcard);
            }
        }
        self.untagged(
            Condition::Ok,
            Some(crate::types::Code::PermanentFlags(permanent)),
            "Limited",
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

    /// Answers [`Event::Messages`] with the messages that still exist.
    pub fn provide_messages(&mut self, mut messages: Vec<StoredMessage>) -> Result<(), Error> {
        if !matches!(self.pending, Pending::Fetch { .. } | Pending::Search { .. }) {
            return Err(self.misuse(Answer::Messages(messages)));
        }
        // Looked up by UID below; stores usually hand them over in order already.
        if !messages.is_sorted_by_key(|m| m.uid) {
            messages.sort_unstable_by_key(|m| m.uid);
        }
        match self.take_pending() {
            Pending::Fetch {
                tag,
                attributes,
                targets,
                uid,
            } => {
                let updates: Vec<(u32, Vec<Flag>)> = match self.view() {
                    Some(v) if !v.read_only && attributes.iter().any(sets_seen) => targets
                        .iter()
                        .filter(|&&(seq, u)| {
                            !v.has_flag(seq, &Flag::Seen) && find(&messages, u).is_some()
                        })
                        .filter_map(|&(seq, u)| {
                            v.by_seq(seq)
                                .map(|m| (u, store(&m.flags, StoreKind::Add, &[Flag::Seen])))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                if updates.is_empty() {
                    self.fetch_reply(tag, &attributes, &targets, uid, &messages, &[]);
                } else {
                    self.ask(
                        Pending::FetchSeen {
                            tag,
                            attributes,
                            targets,
                            uid,
                            messages,
                            updates: updates.clone(),
                        },
                        Event::SetFlags { updates },
                    );
                    return Ok(());
                }
            }
            Pending::Search { tag, keys, uid } => self.search_reply(tag, &keys, uid, &messages),
            other => {
                self.pending = other;
                return Err(self.misuse(Answer::Messages(messages)));
            }
        }
        self.resume();
        Ok(())
    }

    fn fetch_reply(
        &mut self,
        tag: Tag,
        attributes: &[FetchAttribute],
        targets: &[(u32, u32)],
        uid: bool,
        messages: &[StoredMessage],
        newly_seen: &[u32],
    ) {
        let needs_store = attributes
            .iter()
            .any(|a| !matches!(a, FetchAttribute::Flags | FetchAttribute::Uid));
        // RFC 3501 §6.4.5: a \Seen set by this FETCH is reported with it.
        let report_flags = !newly_seen.is_empty() && !attributes.contains(&FetchAttribute::Flags);
        // The lines go straight into the output queue, borrowed beside the view.
        let out = self.conduit.output();
        let mut scratch = Vec::new();
        let mut line = Vec::new();
        if let State::Selected(v) = &mut self.state {
            for &(seq, u) in targets {
                let Some(seq) = NonZeroU32::new(seq) else {
                    continue;
                };
                let Some(info) = usize::try_from(seq.get() - 1)
                    .ok()
                    .and_then(|i| v.messages.get(i))
                else {
                    continue;
                };
                let stored = find(messages, u);
                if needs_store && stored.is_none() {
                    // Expunged elsewhere and not yet reported: nothing to say about it.
                    continue;
                }
                // Parsed on first need: not at all when every item is kept already.
                let mut parsed = None;
                line.clear();
                let mut count = 0;
                for a in attributes {
                    let kept = match a {
                        FetchAttribute::Envelope => Some(CachedItem::Envelope),
                        FetchAttribute::Body => Some(CachedItem::Body),
                        FetchAttribute::BodyStructure => Some(CachedItem::BodyStructure),
                        _ => None,
                    };
                    if let Some(bytes) = kept.and_then(|k| v.cache.get(u, k)) {
                        push_item(&mut line, &mut count, bytes);
                        continue;
                    }
                    // The structure items are written straight into the line.
                    if let (Some(k), Some(m)) = (kept, stored) {
                        let p = parsed.get_or_insert_with(|| ParsedMessage::parse(&m.raw));
                        if count > 0 {
                            line.push(b' ');
                        }
                        let start = line.len();
                        match k {
                            CachedItem::Envelope => {
                                line.extend_from_slice(b"ENVELOPE ");
                                p.write_envelope(&mut line);
                            }
                            CachedItem::Body => {
                                line.extend_from_slice(b"BODY ");
                                p.write_body_structure(false, &mut line);
                            }
                            CachedItem::BodyStructure => {
                                line.extend_from_slice(b"BODYSTRUCTURE ");
                                p.write_body_structure(true, &mut line);
                            }
                        }
                        count += 1;
                        v.cache.insert(u, k, &line[start..]);
                        continue;
                    }
                    if *a == FetchAttribute::Flags {
                        write_flags(&mut line, &mut count, &info.flags, info.recent);
                        continue;
                    }
                    let item = match a {
                        FetchAttribute::Uid => NonZeroU32::new(u).map(MessageDataItem::Uid),
                        FetchAttribute::InternalDate => {
                            stored.map(|m| MessageDataItem::InternalDate(m.internal_date))
                        }
                        other => stored.and_then(|m| {
                            parsed
                                .get_or_insert_with(|| ParsedMessage::parse(&m.raw))
                                .fetch(other)
                        }),
                    };
                    let Some(item) = item else { continue };
                    let bytes = encode_item(seq, item, &mut scratch);
                    push_item(&mut line, &mut count, bytes);
                    if let Some(k) = kept {
                        v.cache.insert(u, k, bytes);
                    }
                }
                if report_flags && newly_seen.contains(&u) {
                    write_flags(&mut line, &mut count, &info.flags, info.recent);
                }
                if count > 0 {
                    // Writing into a growable buffer cannot fail.
                    let _ = write!(out, "* {seq} FETCH (");
                    out.extend_from_slice(&line);
                    out.extend_from_slice(b")\r\n");
                }
            }
        }
        let name = if uid { "UID FETCH" } else { "FETCH" };
        self.finish(tag, &format!("{name} completed"), uid);
    }

    fn search_reply(
        &mut self,
        tag: Tag,
        keys: &[SearchKey],
        uid: bool,
        messages: &[StoredMessage],
    ) {
        let mut ids = Vec::new();
        let parse = if reads_body(keys) {
            ParsedMessage::parse_full
        } else {
            ParsedMessage::parse
        };
        if let Some(v) = self.view() {
            let largest_seq = v.exists();
            let largest_uid = v.largest_uid();
            for (i, info) in v.messages.iter().enumerate() {
                let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let stored = find(messages, info.uid);
                let parsed = stored.map(|m| parse(&m.raw));
                let c = Candidate {
                    seq,
                    uid: info.uid,
                    largest_seq,
                    largest_uid,
                    flags: &info.flags,
                    recent: info.recent,
                    internal_date: stored.map(|m| m.internal_date),
                    message: parsed.as_ref(),
                };
                if matches_all(keys, &c) {
                    ids.extend(NonZeroU32::new(if uid { info.uid } else { seq }));
                }
            }
        }
        self.write(&Response::Data(Data::Search { ids, modseq: None }));
        let name = if uid { "UID SEARCH" } else { "SEARCH" };
        self.finish(tag, &format!("{name} completed"), uid);
    }
}

/// One FETCH item as the codec encodes it inside a FETCH response, written into `scratch`.
fn encode_item(seq: NonZeroU32, item: MessageDataItem, scratch: &mut Vec<u8>) -> &[u8] {
    scratch.clear();
    encode_response(
        &Response::Data(Data::Fetch {
            seq,
            items: NonEmpty::new(item),
        }),
        scratch,
    );
    // `* <seq> FETCH (` <item> `)` CRLF; the item itself may hold parentheses and
    // literals, but the list opens at the first `(`.
    let start = scratch
        .iter()
        .position(|&b| b == b'(')
        .map_or(scratch.len(), |i| i + 1);
    let end = scratch.len().saturating_sub(3).max(start);
    &scratch[start..end]
}

/// Appends `FLAGS (…)` to a FETCH line's list, as the codec writes the item.
fn write_flags(line: &mut Vec<u8>, count: &mut usize, flags: &[Flag], recent: bool) {
    if *count > 0 {
        line.push(b' ');
    }
    let mut w = Writer::with_buffer(std::mem::take(line));
    w.raw(b"FLAGS (");
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            w.sp();
        }
        w.flag(f);
    }
    if recent {
        if !flags.is_empty() {
            w.sp();
        }
        w.raw(b"\\Recent");
    }
    w.raw(b")");
    *line = w.out;
    *count += 1;
}

/// Appends an encoded item to a FETCH line's list, space-separated.
fn push_item(line: &mut Vec<u8>, count: &mut usize, item: &[u8]) {
    if *count > 0 {
        line.push(b' ');
    }
    line.extend_from_slice(item);
    *count += 1;
}

/// The message with `uid` among messages sorted by UID.
fn find(messages: &[StoredMessage], uid: u32) -> Option<&StoredMessage> {
    messages
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        .and_then(|i| messages.get(i))
}

/// UIDs of messages marked `\Deleted`, limited to `set` (UID EXPUNGE).
fn deleted_uids(v: &View, set: Option<&SequenceSet>) -> Vec<u32> {
    let largest = v.largest_uid();
    v.messages
        .iter()
        .filter(|m| m.flags.contains(&Flag::Deleted))
        .filter(|m| set.is_none_or(|s| s.contains(m.uid, largest)))
        .map(|m| m.uid)
        .collect()
}

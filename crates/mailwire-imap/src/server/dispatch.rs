//! Commands turned into work: answered at once, or turned into a question for the
//! application.

use std::str::FromStr;

use mailwire_sasl::{
    AuthError, AuthQuestion, Identity, Mechanism, Method, ServerExchange, ServerStep,
};

use super::event::{Event, FlagChange, MailboxChange};
use super::fetch::{FetchJob, expand};
use super::flags::deleted_uids;
use super::gate::allowed;
use super::search::search_needs_store;
use super::view::View;
use super::{Mode, Pending, Session, State};
use crate::types::{
    Atom, Code, Command, CommandBody, Completion, Condition, Data, FetchAttribute,
    NamespaceDescription, Response, SequenceSet, Tag,
};

impl Session {
    pub(super) fn view(&self) -> Option<&View> {
        match &self.state {
            State::Selected(v) => Some(v),
            _ => None,
        }
    }

    pub(super) fn view_mut(&mut self) -> Option<&mut View> {
        match &mut self.state {
            State::Selected(v) => Some(v),
            _ => None,
        }
    }

    pub(super) fn ask(&mut self, pending: Pending, event: Event) {
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
                if self.config.poll && matches!(self.state, State::Selected(_)) {
                    self.ask(Pending::Poll { tag, name }, Event::Poll);
                } else {
                    self.finish(tag, &format!("{name} completed"), true);
                }
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
                        privacy_required(),
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
                let named = Mechanism::from_str(mechanism.as_str()).ok();
                if let Some(m) = named.filter(|&m| {
                    m.sends_plaintext_secret()
                        && self.config.mechanisms.contains(&m)
                        && !self.plaintext_allowed()
                }) {
                    let text = format!("{} sends the password; use STARTTLS", m.as_str());
                    self.tagged(tag, Completion::No, privacy_required(), &text);
                    return;
                }
                let offered = named.filter(|&m| self.mechanism_offered(m));
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
                            Some(Code::BadCharset(charsets)),
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
                let job = Box::new(FetchJob::new(tag, attributes, targets, uid));
                if job.targets.is_empty() {
                    self.fetch_start(job);
                } else {
                    self.fetch_window(job);
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
                if targets.is_empty() {
                    self.finish(tag, &format!("{name} completed"), uid);
                } else {
                    let uids: Vec<u32> = targets.iter().map(|&(_, u)| u).collect();
                    let change = FlagChange::new(kind, flags);
                    self.ask(
                        Pending::Store {
                            tag,
                            uids: uids.clone(),
                            change: change.clone(),
                            silent,
                            uid,
                        },
                        Event::StoreFlags { uids, change },
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

    pub(super) fn manage(&mut self, tag: Tag, name: &'static str, change: MailboxChange) {
        self.ask(Pending::Manage { tag, name }, Event::Manage(change));
    }

    /// The `(seq, uid)` pairs a command's set names, or `None` after answering BAD to a
    /// sequence set that names messages that do not exist.
    pub(super) fn targets(
        &mut self,
        tag: &Tag,
        set: &SequenceSet,
        uid: bool,
    ) -> Option<Vec<(u32, u32)>> {
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

    pub(super) fn authenticated(&mut self, tag: Tag, method: Method, identity: Identity) {
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
            Some(Code::Capability(caps)),
            "Logged in",
        );
    }

    /// Counts and reports a failed attempt, and tells the client.
    pub(super) fn auth_failed(
        &mut self,
        tag: Tag,
        method: Method,
        user: Option<String>,
        error: AuthError,
    ) {
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
}

/// RFC 5530's `PRIVACYREQUIRED`: what refuses a password sent before TLS.
fn privacy_required() -> Option<Code> {
    Atom::new("PRIVACYREQUIRED")
        .ok()
        .map(|name| Code::Other { name, text: None })
}

//! The reference store: users, mailboxes and delivery kept in memory.
//!
//! [`Memory`] implements every trait of this crate — [`Authenticator`],
//! [`Delivery`](crate::Delivery) and [`MailStore`] — in a few small files that can be read
//! in one sitting. It is what the tests and the `memory-server` example run on, and it is
//! the reference for what the traits mean: where another store (Maildir, a database) is
//! unsure how to behave, it behaves as this one does.
//!
//! Everything lives in the process's memory and is lost when it exits: nothing is
//! written anywhere, so a message counts as durable as soon as it is stored here.
//!
//! ```
//! use mailwire_server::memory::Memory;
//! use mailwire_server::store::{Change, NewMessage};
//! use mailwire_server::{MailStore, Mailbox, Mailboxes};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let memory = Memory::new();
//! memory.add_user("fred", "secret");
//!
//! let mailboxes = memory.open("fred").await?;
//! let names: Vec<String> = mailboxes.list().await?.into_iter().map(|m| m.name).collect();
//! assert_eq!(names, ["Drafts", "INBOX", "Junk", "Sent", "Trash"]);
//!
//! // One connection selects INBOX; another appends to it.
//! let (mut inbox, snapshot) = mailboxes.select("INBOX", false).await?;
//! assert!(snapshot.messages.is_empty());
//! let content = b"Subject: hi\n\nhello\n";
//! let message = NewMessage { flags: vec![], internal_date: None, size: 19 };
//! let placed = mailboxes.append("INBOX", message, &mut &content[..]).await?;
//! assert_eq!(placed.uids, [1]);
//!
//! // The first learns of it at once, stored with CRLF line ends.
//! let changes = inbox.wait_changes().await?;
//! let [Change::Appended(meta)] = changes.as_slice() else { panic!("{changes:?}") };
//! assert_eq!((meta.uid, meta.size, meta.recent), (1, 22, true));
//! # Ok::<(), mailwire_server::StoreError>(())
//! # }).unwrap();
//! ```
//!
//! # What it does
//!
//! - Users have a password, answered as a password check (compared in constant time), as
//!   the plaintext secret (CRAM-MD5, APOP) and as SCRAM-SHA-256 keys (a salt drawn when the
//!   user is added, 4096 iterations). Bearer tokens are refused.
//! - Every user has `INBOX`, and is given `Sent`, `Drafts`, `Trash` and `Junk` with their
//!   SPECIAL-USE attributes (RFC 6154), all subscribed. Names are hierarchical with `/`.
//! - UIDs grow strictly in each mailbox and are never reused; each mailbox created gets a
//!   UIDVALIDITY no other mailbox of the user had, so a mailbox deleted and created again
//!   under its name is a new one to clients.
//! - Message content is kept as [`Bytes`](bytes::Bytes) with CRLF line ends (bare CR and
//!   LF are turned into CRLF when the message is stored).
//! - `\Recent` goes to exactly one view of a message: the first read-write view that sees
//!   it, when it selects the mailbox or when the message arrives through its change feed.
//!   STATUS counts as recent the messages no view has taken yet.
//! - Each mailbox has a broadcast change feed; a view that falls behind it by more than
//!   the feed holds compares what it knows with the mailbox as it is, so no change is
//!   lost.
//! - Mail is delivered to `user` at any domain, and to a user named by its whole address.

mod delivery;
mod folder;
mod mailboxes;
mod message;
mod view;

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use mailwire_core::{Secret, constant_time_eq};
use mailwire_sasl::{AuthAnswer, AuthQuestion, ScramKeys};

use crate::{Authenticator, MailStore, StoreError, StoreResult};

pub use delivery::Incoming;
pub use mailboxes::UserMailboxes;
pub use view::MailboxView;

use mailboxes::Account;

/// The largest message [`Memory`] takes by default: 50 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 50 * 1024 * 1024;

/// The PBKDF2 iteration count of the SCRAM keys (RFC 7677 §4's minimum).
const SCRAM_ITERATIONS: u32 = 4096;

/// Users, their mailboxes and their mail, in memory.
///
/// Clones share the same users and mail: clone it into each server that needs it.
#[derive(Clone)]
pub struct Memory {
    /// The largest message accepted by delivery or APPEND, in octets; larger ones are
    /// refused (`552 5.3.4` for SMTP, [`StoreError::Limit`] for APPEND). Each clone has
    /// its own copy of this limit.
    pub max_message_size: usize,
    users: Arc<RwLock<HashMap<String, UserEntry>>>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("max_message_size", &self.max_message_size)
            .field("users", &read(&self.users).len())
            .finish_non_exhaustive()
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

/// One user: what proves who they are, and their mailboxes.
#[derive(Clone)]
struct UserEntry {
    credentials: Arc<Credentials>,
    account: Arc<Mutex<Account>>,
}

struct Credentials {
    password: Secret<String>,
    salt: [u8; 16],
    /// Derived at the first SCRAM login, as most users never use it and the derivation
    /// costs 4096 HMACs.
    scram: OnceLock<ScramKeys>,
}

impl Memory {
    /// A store with no users.
    pub fn new() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            users: Arc::default(),
        }
    }

    /// Adds a user with a password, and gives them `INBOX`, `Sent`, `Drafts`, `Trash` and
    /// `Junk`. For a user that exists already, only the password changes.
    pub fn add_user(&self, name: &str, password: &str) {
        let credentials = Arc::new(Credentials {
            password: Secret::new(password.to_owned()),
            salt: random_salt(name),
            scram: OnceLock::new(),
        });
        let mut users = write(&self.users);
        match users.get_mut(name) {
            Some(user) => user.credentials = credentials,
            None => {
                let account = Arc::new(Mutex::new(Account::new()));
                users.insert(
                    name.to_owned(),
                    UserEntry {
                        credentials,
                        account,
                    },
                );
            }
        }
    }

    fn user(&self, name: &str) -> Option<UserEntry> {
        read(&self.users).get(name).cloned()
    }

    fn credentials(&self, name: &str) -> Option<Arc<Credentials>> {
        read(&self.users).get(name).map(|u| u.credentials.clone())
    }
}

/// A salt unique to this user and this call: std's `RandomState` is seeded from the
/// operating system's random source, which spares a dependency for 16 bytes that need
/// only be unique, not secret.
fn random_salt(name: &str) -> [u8; 16] {
    let mut salt = [0; 16];
    for (i, half) in salt.chunks_mut(8).enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        hasher.write_usize(i);
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    salt
}

/// Whether the client may act as `authzid`: only as itself.
fn acts_as_self(authcid: &str, authzid: Option<&str>) -> bool {
    authzid.is_none_or(|authzid| authzid == authcid)
}

impl Authenticator for Memory {
    async fn authenticate(&self, question: AuthQuestion, _peer: IpAddr) -> AuthAnswer {
        match question {
            AuthQuestion::Password {
                authcid,
                authzid,
                password,
                ..
            } => {
                let Some(credentials) = self.credentials(&authcid) else {
                    return AuthAnswer::Reject;
                };
                let right = constant_time_eq(
                    password.expose().as_bytes(),
                    credentials.password.expose().as_bytes(),
                );
                if right && acts_as_self(&authcid, authzid.as_deref()) {
                    AuthAnswer::Accept
                } else {
                    AuthAnswer::Reject
                }
            }
            AuthQuestion::Secret { authcid, .. } => match self.credentials(&authcid) {
                Some(credentials) => AuthAnswer::Secret(credentials.password.clone()),
                None => AuthAnswer::Reject,
            },
            AuthQuestion::ScramKeys {
                authcid, authzid, ..
            } => match self.credentials(&authcid) {
                Some(credentials) if acts_as_self(&authcid, authzid.as_deref()) => {
                    let keys = credentials.scram.get_or_init(|| {
                        ScramKeys::derive(
                            credentials.password.expose(),
                            &credentials.salt,
                            SCRAM_ITERATIONS,
                        )
                    });
                    AuthAnswer::ScramKeys(keys.clone())
                }
                _ => AuthAnswer::Reject,
            },
            // Tokens, and questions added later, are for stores that know about them.
            _ => AuthAnswer::Reject,
        }
    }
}

impl MailStore for Memory {
    type Mailboxes = UserMailboxes;

    async fn open(&self, user: &str) -> StoreResult<UserMailboxes> {
        let entry = self.user(user).ok_or(StoreError::NoPermission)?;
        Ok(UserMailboxes::new(entry.account, self.max_message_size))
    }
}

// A panic while a lock was held leaves data that every step here keeps consistent
// (each change is made in full or not at all before anything can panic), so the
// other connections carry on rather than failing one after another.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use mailwire_sasl::{ClientExchange, Method, ServerExchange, ServerStep};

    use crate::Mailboxes;

    use super::*;

    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn password(authcid: &str, authzid: Option<&str>, password: &str) -> AuthQuestion {
        AuthQuestion::Password {
            method: Method::Login,
            authcid: authcid.into(),
            authzid: authzid.map(Into::into),
            password: Secret::new(password.into()),
        }
    }

    #[tokio::test]
    async fn passwords_are_checked() {
        let memory = Memory::new();
        memory.add_user("fred", "secret");
        let answer = |q| memory.authenticate(q, PEER);
        assert_eq!(
            answer(password("fred", None, "secret")).await,
            AuthAnswer::Accept
        );
        assert_eq!(
            answer(password("fred", Some("fred"), "secret")).await,
            AuthAnswer::Accept
        );
        assert_eq!(
            answer(password("fred", None, "secreT")).await,
            AuthAnswer::Reject
        );
        assert_eq!(
            answer(password("fred", None, "secret2")).await,
            AuthAnswer::Reject
        );
        assert_eq!(
            answer(password("fred", Some("bob"), "secret")).await,
            AuthAnswer::Reject
        );
        assert_eq!(
            answer(password("bob", None, "secret")).await,
            AuthAnswer::Reject
        );
    }

    #[tokio::test]
    async fn add_user_again_changes_only_the_password() {
        let memory = Memory::new();
        memory.add_user("fred", "old");
        memory
            .open("fred")
            .await
            .unwrap()
            .create("Kept")
            .await
            .unwrap();
        memory.add_user("fred", "new");
        let answer = |q| memory.authenticate(q, PEER);
        assert_eq!(
            answer(password("fred", None, "old")).await,
            AuthAnswer::Reject
        );
        assert_eq!(
            answer(password("fred", None, "new")).await,
            AuthAnswer::Accept
        );
        let mailboxes = memory.open("fred").await.unwrap();
        assert!(mailboxes.status("Kept").await.is_ok());
    }

    #[tokio::test]
    async fn secrets_tokens_and_unknown_users() {
        let memory = Memory::new();
        memory.add_user("fred", "secret");
        let secret = |authcid: &str| AuthQuestion::Secret {
            method: Method::Apop,
            authcid: authcid.into(),
        };
        assert_eq!(
            memory.authenticate(secret("fred"), PEER).await,
            AuthAnswer::Secret(Secret::new("secret".into()))
        );
        assert_eq!(
            memory.authenticate(secret("bob"), PEER).await,
            AuthAnswer::Reject
        );
        let token = AuthQuestion::Token {
            method: Method::Sasl("XOAUTH2".parse().unwrap()),
            user: Some("fred".into()),
            token: Secret::new("secret".into()),
            host: None,
            port: None,
        };
        assert_eq!(memory.authenticate(token, PEER).await, AuthAnswer::Reject);
        assert!(matches!(
            memory.open("bob").await,
            Err(StoreError::NoPermission)
        ));
    }

    /// Runs a SCRAM-SHA-256 exchange with mailwire-sasl's client and server against the
    /// store's keys; `Ok` if the server accepted the client's proof and the client the
    /// server's signature.
    async fn scram_login(memory: &Memory, user: &str, password: &str) -> Result<(), String> {
        let secret = Secret::new(password.to_owned());
        let mut client =
            ClientExchange::scram_sha256(None, user, &secret, "fyko+d2lbbFgONRv9qkxdawL")
                .map_err(|e| e.to_string())?;
        let mut server = ServerExchange::scram_sha256("3rfcNHYJY1ZVvWVs7j").unwrap();
        let first = client.initial_response().unwrap();
        let ServerStep::Question(question) = server.start(Some(&first)) else {
            return Err("no question".into());
        };
        let answer = memory.authenticate(question, PEER).await;
        if answer == AuthAnswer::Reject {
            return Err("rejected".into());
        }
        let ServerStep::Challenge(server_first) = server.answer(answer).unwrap() else {
            return Err("no server-first".into());
        };
        let client_final = client.respond(&server_first).map_err(|e| e.to_string())?;
        let ServerStep::Challenge(server_final) = server.receive(&client_final) else {
            return Err("proof refused".into());
        };
        let ack = client.respond(&server_final).map_err(|e| e.to_string())?;
        let ServerStep::Success { identity, .. } = server.receive(&ack) else {
            return Err("no success".into());
        };
        assert_eq!(identity.authcid, user);
        client.finish(None).map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn scram_keys_verify_with_the_sasl_exchange() {
        let memory = Memory::new();
        memory.add_user("fred", "pencil");
        memory.add_user("bob", "pencil");
        assert_eq!(scram_login(&memory, "fred", "pencil").await, Ok(()));
        assert_eq!(scram_login(&memory, "fred", "pencil").await, Ok(()));
        assert_eq!(
            scram_login(&memory, "fred", "pen").await,
            Err("proof refused".into())
        );
        assert_eq!(
            scram_login(&memory, "nobody", "pencil").await,
            Err("rejected".into())
        );

        let (fred, bob) = (
            scram_keys(&memory, "fred").await,
            scram_keys(&memory, "bob").await,
        );
        assert_eq!(fred.iterations(), 4096);
        assert_eq!(fred.salt().len(), 16);
        assert_ne!(fred.salt(), bob.salt(), "each user has a salt of their own");
        assert_ne!(fred.stored_key(), bob.stored_key());
        assert_eq!(
            fred,
            scram_keys(&memory, "fred").await,
            "the salt is fixed when the user is added"
        );
    }

    async fn scram_keys(memory: &Memory, user: &str) -> ScramKeys {
        let question = AuthQuestion::ScramKeys {
            method: Method::Sasl("SCRAM-SHA-256".parse().unwrap()),
            authcid: user.into(),
            authzid: None,
        };
        match memory.authenticate(question, PEER).await {
            AuthAnswer::ScramKeys(keys) => keys,
            other => panic!("{other:?}"),
        }
    }
}

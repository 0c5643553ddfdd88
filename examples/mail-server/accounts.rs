//! The mail server's accounts: the users file, logins, and which recipients are local.
//!
//! # The users file
//!
//! `DIR/users` (or the file `--users` names) holds one account per line, its fields
//! separated by `:` in the manner of Dovecot's passwd-file, each password field tagged with
//! its scheme as Dovecot tags them:
//!
//! ```text
//! # Comments and blank lines are kept as they are, and skipped.
//! alice@example.org:{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH:{SCRAM-SHA-256}4096,SALT,STOREDKEY,SERVERKEY
//! bob@example.org:{ARGON2ID}$argon2id$…:{SCRAM-SHA-256}4096,…:{PLAIN}bob's password
//! ```
//!
//! 1. The address, `local-part@domain`, in ASCII and lower case (addresses are matched
//!    without regard to case). The local part is a dot-atom without `/` or `#`; the
//!    domain is a host name other than `tls` and `users`, which name `DIR`'s own entries.
//!    The domains of the file are the server's local domains.
//! 2. `{ARGON2ID}` and the argon2id hash of the password as a PHC string: what password
//!    logins (IMAP `LOGIN`, POP3 `USER` / `PASS`, SASL `PLAIN` and `LOGIN`) are checked
//!    against.
//! 3. `{SCRAM-SHA-256}` and the iteration count, salt, StoredKey and ServerKey of RFC 5802,
//!    the last three in base64, separated by commas: what SCRAM-SHA-256 logins are checked
//!    against, without the server ever seeing the password.
//! 4. Only for accounts that opted in (`add-user --apop`): `{PLAIN}` and the password
//!    itself, to the end of the line. APOP and CRAM-MD5 need the plaintext on the server
//!    and rest on MD5; accounts without it cannot use them.
//!
//! `mail-server add-user` writes the file, creating it if needed, with mode 0600, through
//! a temporary file renamed over the old one, so a reader sees the old file or the new
//! one, never half of one. The server reads it when it starts.
//!
//! # Logins
//!
//! A client logs in with the account's full address, or with its local part alone when
//! that names one account: the only account with that local part, or else the one in the
//! first domain (the domain of the file's first account).
//!
//! # Recipients
//!
//! Mail for an account goes to its Maildir's INBOX (or, through the relay queue, to the
//! LMTP server `--lmtp-deliver` names: see [`crate::lmtp`]), once however many of its
//! addresses a message names. Mail for a local domain's unknown user is refused with `550 5.1.1`;
//! mail for another domain (or an address literal) with `550 5.7.1`, as this server does
//! not relay. `postmaster@DOMAIN` (RFC 5321 §4.5.1), and `<Postmaster>` for the first
//! domain, reach the account `postmaster@DOMAIN` if there is one, else the domain's first
//! account in the file.
//!
//! Each account's Maildir is `DIR/<domain>/<local-part>/`, as Dovecot's
//! `maildir:/var/mail/%d/%n` lays them out, created with its special-use folders at the
//! account's first delivery or login.

use std::fmt;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use mailwire::core::Secret;
use mailwire::maildir::{DotLock, Maildir, MaildirStore};
use mailwire::relay::Intake;
use mailwire::sasl::{AuthAnswer, AuthQuestion, Mechanism, ScramKeys};
use mailwire::server::{
    Authenticator, Client, Delivery, LmtpDelivery, MailStore, StoreError, StoreResult, Transaction,
};
use mailwire::smtp::{ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath};
use sha2::{Digest, Sha256};

use crate::lmtp::{Local, LocalMessage};

/// PBKDF2 rounds of new SCRAM keys: RFC 7677 §4's minimum, what Dovecot uses too.
const SCRAM_ITERATIONS: u32 = 4096;

/// The domains that would collide with `DIR/users` and `DIR/tls`.
const RESERVED_DOMAINS: [&str; 2] = ["tls", "users"];

/// What can go wrong with accounts and the users file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    /// Not an address an account can have.
    #[error("{0:?} is not an address this server can serve (local-part@domain, in ASCII)")]
    BadAddress(String),
    /// A password the file cannot hold.
    #[error("{0}")]
    BadPassword(&'static str),
    /// The address has an account already.
    #[error("{0} has an account already")]
    Exists(String),
    /// A line of the users file is not an account.
    #[error("{path}, line {line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: &'static str,
    },
    /// A users file without an account.
    #[error("{0}: no account (add one with `mail-server add-user ADDRESS`)")]
    Empty(PathBuf),
    /// Reading or writing the users file.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// Hashing or the random numbers it needs.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// An account's address: `local-part@domain`, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    local: String,
    domain: String,
}

impl Address {
    /// Parses and checks an address, in any case.
    pub(crate) fn parse(s: &str) -> Result<Self, AccountError> {
        let bad = || AccountError::BadAddress(s.to_owned());
        let lower = s.to_ascii_lowercase();
        let (local, domain) = lower.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!$%&'*+-=?^_`{|}~.".contains(&b));
        let domain_ok = domain.len() <= 253
            && !RESERVED_DOMAINS.contains(&domain)
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !(local_ok && domain_ok) {
            return Err(bad());
        }
        Ok(Address {
            local: local.to_owned(),
            domain: domain.to_owned(),
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// One account: its address and what logins are checked against.
#[derive(Clone)]
pub(crate) struct Account {
    address: Address,
    /// The argon2id PHC string.
    password: String,
    scram: ScramKeys,
    /// The plaintext password, for APOP and CRAM-MD5, when the account opted in.
    secret: Option<Secret<String>>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("address", &self.address.to_string())
            .field("apop", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

impl Account {
    /// An account with `password`, hashed with fresh random salts; `apop` keeps the
    /// plaintext too.
    pub(crate) fn new(address: Address, password: &str, apop: bool) -> Result<Self, AccountError> {
        let (argon_salt, scram_salt) = (random::<16>()?, random::<16>()?);
        Self::hashed(
            address,
            password,
            apop,
            Params::DEFAULT,
            &argon_salt,
            &scram_salt,
        )
    }

    /// An account hashed with these argon2 parameters and salts.
    fn hashed(
        address: Address,
        password: &str,
        apop: bool,
        params: Params,
        argon_salt: &[u8],
        scram_salt: &[u8],
    ) -> Result<Self, AccountError> {
        if password.is_empty() {
            return Err(AccountError::BadPassword("the password is empty"));
        }
        if password.chars().any(char::is_control) {
            return Err(AccountError::BadPassword(
                "the password holds a control character",
            ));
        }
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(password.as_bytes(), argon_salt)
            .map_err(|e| AccountError::Hash(e.to_string()))?;
        Ok(Account {
            address,
            password: hash.to_string(),
            scram: ScramKeys::derive(password, scram_salt, SCRAM_ITERATIONS),
            secret: apop.then(|| Secret::new(password.to_owned())),
        })
    }

    /// The account's address.
    pub(crate) fn address(&self) -> &Address {
        &self.address
    }

    /// The account's line in the users file, without its line ending.
    fn line(&self) -> String {
        let keys = &self.scram;
        let mut line = format!(
            "{}:{{ARGON2ID}}{}:{{SCRAM-SHA-256}}{},{},{},{}",
            self.address,
            self.password,
            keys.iterations(),
            BASE64.encode(keys.salt()),
            BASE64.encode(keys.stored_key().expose()),
            BASE64.encode(keys.server_key().expose()),
        );
        if let Some(secret) = &self.secret {
            line.push_str(":{PLAIN}");
            line.push_str(secret.expose());
        }
        line
    }

    /// Reads an account's line back.
    fn parse_line(line: &str) -> Result<Self, &'static str> {
        let mut fields = line.splitn(4, ':');
        let address = fields.next().unwrap_or_default();
        let address = Address::parse(address).map_err(|_| "not an address")?;
        if address.to_string() != line.split(':').next().unwrap_or_default() {
            return Err("the address is not in lower case");
        }
        let password = fields
            .next()
            .and_then(|f| f.strip_prefix("{ARGON2ID}"))
            .ok_or("no {ARGON2ID} password hash after the address")?;
        let parsed = PasswordHash::new(password).map_err(|_| "not a PHC string")?;
        if parsed.algorithm.as_str() != "argon2id" || parsed.hash.is_none() {
            return Err("not an argon2id hash");
        }
        let scram = fields
            .next()
            .and_then(|f| f.strip_prefix("{SCRAM-SHA-256}"))
            .ok_or("no {SCRAM-SHA-256} keys after the password hash")?;
        let scram = parse_scram(scram).ok_or("bad SCRAM-SHA-256 keys")?;
        let secret = match fields.next() {
            None => None,
            Some(f) => Some(
                f.strip_prefix("{PLAIN}")
                    .filter(|s| !s.is_empty())
                    .ok_or("a fourth field that is not {PLAIN}")?,
            ),
        };
        Ok(Account {
            address,
            password: password.to_owned(),
            scram,
            secret: secret.map(|s| Secret::new(s.to_owned())),
        })
    }

    /// The account's Maildir under the data directory.
    fn maildir(&self, data: &Path) -> PathBuf {
        data.join(&self.address.domain).join(&self.address.local)
    }
}

/// `ITERATIONS,SALT,STOREDKEY,SERVERKEY`, base64 but for the count.
fn parse_scram(field: &str) -> Option<ScramKeys> {
    let mut parts = field.split(',');
    let iterations = parts.next()?.parse().ok().filter(|&n| n > 0)?;
    let salt = BASE64
        .decode(parts.next()?)
        .ok()
        .filter(|s| !s.is_empty())?;
    let stored_key = BASE64.decode(parts.next()?).ok()?.try_into().ok()?;
    let server_key = BASE64.decode(parts.next()?).ok()?.try_into().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(ScramKeys::new(salt, iterations, stored_key, server_key))
}

/// Whether `password` is the one `phc` is the hash of. Slow on purpose.
fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// `N` random bytes from the operating system.
fn random<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(bytes)
}

/// A random password of 16 letters and digits (about 95 bits).
pub(crate) fn random_password() -> Result<String, AccountError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let bytes = random::<64>()?;
    // Rejection sampling keeps every letter equally likely: 256 is not a multiple of 57.
    let limit = 256 - 256 % ALPHABET.len();
    let password: String = bytes
        .iter()
        .map(|&b| usize::from(b))
        .filter(|&b| b < limit)
        .take(16)
        .map(|b| char::from(ALPHABET[b % ALPHABET.len()]))
        .collect();
    if password.len() < 16 {
        return Err(AccountError::Hash("too few random bytes".into()));
    }
    Ok(password)
}

/// The accounts of a users file, in its order.
#[derive(Debug, Clone)]
pub(crate) struct Users {
    accounts: Vec<Account>,
}

impl Users {
    /// Parses a users file's text; `path` is for messages.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, AccountError> {
        let mut accounts: Vec<Account> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |reason| AccountError::Parse {
                path: path.to_owned(),
                line: n + 1,
                reason,
            };
            let account = Account::parse_line(line).map_err(error)?;
            if accounts.iter().any(|a| a.address == account.address) {
                return Err(error("a second line for this address"));
            }
            accounts.push(account);
        }
        Ok(Users { accounts })
    }

    /// Reads the users file at `path`: `None` if there is none.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, AccountError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(AccountError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let users = Self::parse(&text, path)?;
        if users.accounts.is_empty() {
            return Err(AccountError::Empty(path.to_owned()));
        }
        Ok(Some(users))
    }

    /// The demo account `user@localhost`, with a random password, returned too.
    pub(crate) fn demo() -> Result<(Self, String), AccountError> {
        let password = random_password()?;
        let address = Address::parse("user@localhost")?;
        let account = Account::new(address, &password, false)?;
        Ok((
            Users {
                accounts: vec![account],
            },
            password,
        ))
    }

    /// The accounts, in the file's order.
    pub(crate) fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The account with exactly this (lower-case) address.
    fn exact(&self, address: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.address.to_string() == address)
    }

    /// The domain of the first account.
    fn first_domain(&self) -> Option<&str> {
        self.accounts.first().map(|a| a.address.domain.as_str())
    }

    fn is_local(&self, domain: &str) -> bool {
        self.accounts.iter().any(|a| a.address.domain == domain)
    }

    /// The local domains, each once, in the file's order.
    pub(crate) fn domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = Vec::new();
        for account in &self.accounts {
            if !domains.contains(&account.address.domain) {
                domains.push(account.address.domain.clone());
            }
        }
        domains
    }

    /// Whether `to` is at another domain than the local ones (an address literal
    /// included); `<Postmaster>` is local.
    fn is_elsewhere(&self, to: &ForwardPath) -> bool {
        to.mailbox().is_some_and(|mailbox| match mailbox.host() {
            Host::Domain(domain) => !self.is_local(&domain.to_string().to_ascii_lowercase()),
            _ => true,
        })
    }

    /// The account a login name names: a full address, or a local part alone when it is
    /// the only account's with it, or else the first domain's.
    pub(crate) fn login(&self, name: &str) -> Option<&Account> {
        let name = name.to_ascii_lowercase();
        if name.contains('@') {
            return self.exact(&name);
        }
        let mut named = self.accounts.iter().filter(|a| a.address.local == name);
        match (named.next(), named.next()) {
            (Some(only), None) => Some(only),
            (Some(_), Some(_)) => {
                let first = self.first_domain()?;
                self.accounts
                    .iter()
                    .find(|a| a.address.local == name && a.address.domain == first)
            }
            _ => None,
        }
    }

    /// The account `authcid` names, if it may act as `authzid`: only as itself.
    fn acting(&self, authcid: &str, authzid: Option<&str>) -> Option<&Account> {
        let account = self.login(authcid)?;
        match authzid {
            Some(z) if self.login(z).is_none_or(|a| a.address != account.address) => None,
            _ => Some(account),
        }
    }

    /// Who reads `postmaster@domain`: that account, else the domain's first.
    fn postmaster(&self, domain: &str) -> Option<&Account> {
        self.exact(&format!("postmaster@{domain}"))
            .or_else(|| self.accounts.iter().find(|a| a.address.domain == domain))
    }

    /// The account mail for `to` goes to, or the reply refusing it; `authenticated` tells
    /// whether the client logged in (it changes only the refusal's words).
    pub(crate) fn recipient(
        &self,
        to: &ForwardPath,
        authenticated: bool,
    ) -> Result<&Account, Reply> {
        let Some(mailbox) = to.mailbox() else {
            // <Postmaster>, which needs no domain: the first one's.
            return self
                .first_domain()
                .and_then(|d| self.postmaster(d))
                .ok_or_else(no_such_user);
        };
        let domain = match mailbox.host() {
            Host::Domain(domain) => domain.to_string().to_ascii_lowercase(),
            _ => String::new(),
        };
        if !self.is_local(&domain) {
            return Err(if authenticated {
                reply(
                    550,
                    "5.7.1 relaying is not offered: only local accounts get mail here",
                )
            } else {
                reply(550, "5.7.1 relaying denied")
            });
        }
        let local = mailbox.local_part().to_ascii_lowercase();
        if let Some(account) = self.exact(&format!("{local}@{domain}")) {
            return Ok(account);
        }
        if local == "postmaster" {
            return self.postmaster(&domain).ok_or_else(no_such_user);
        }
        Err(no_such_user())
    }
}

/// A reply from text known to be valid.
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

fn no_such_user() -> Reply {
    reply(550, "5.1.1 no such user here")
}

/// Adds `account` to the users file at `path`, refusing an address it has already. The
/// file (and its folder) is created if missing; the rest of its text is kept as it is.
pub(crate) fn add_user(path: &Path, account: &Account) -> Result<(), AccountError> {
    let io_error = |source| AccountError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error)?;
    // Held from the read to the rename, so that two add-user runs at once both count.
    let lock = DotLock::acquire(path).map_err(io_error)?;
    let mut text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(e)),
    };
    let users = Users::parse(&text, path)?;
    if users.exact(&account.address.to_string()).is_some() {
        return Err(AccountError::Exists(account.address.to_string()));
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&account.line());
    text.push('\n');
    lock.commit(text.as_bytes()).map_err(io_error)?;
    fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error)
}

/// The accounts of the users file as it is now: each login and delivery looks at the
/// file's size and modification time (one `stat`) and reads it again when they changed (as
/// `add-user` changes it), so a running server takes new accounts and passwords at once,
/// without a restart. A file that does not read keeps the accounts read before, with a
/// warning.
#[derive(Debug)]
pub(crate) struct LiveUsers {
    /// The file watched; `None` for accounts that never change.
    path: Option<PathBuf>,
    state: Mutex<Live>,
}

#[derive(Debug)]
struct Live {
    users: Arc<Users>,
    /// The file's size and modification time when last read (or found unreadable).
    stamp: Option<(u64, SystemTime)>,
}

/// The size and modification time of the file at `path`, if there is one.
fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

impl LiveUsers {
    /// `users`, read from `path` (or the demo account, while `path` does not exist), and
    /// read again from `path` when it changes.
    pub(crate) fn watching(users: Users, path: PathBuf) -> Self {
        let stamp = stamp(&path);
        LiveUsers {
            path: Some(path),
            state: Mutex::new(Live {
                users: Arc::new(users),
                stamp,
            }),
        }
    }

    /// `users`, for good.
    #[cfg(test)]
    pub(crate) fn fixed(users: Users) -> Self {
        LiveUsers {
            path: None,
            state: Mutex::new(Live {
                users: Arc::new(users),
                stamp: None,
            }),
        }
    }

    /// The accounts now.
    pub(crate) fn get(&self) -> Arc<Users> {
        let mut live = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &self.path {
            let now = stamp(path);
            if now.is_some() && now != live.stamp {
                live.stamp = now;
                match Users::load(path) {
                    Ok(Some(users)) => {
                        eprintln!(
                            "mail-server: {} changed: {} account(s)",
                            path.display(),
                            users.accounts().len()
                        );
                        live.users = Arc::new(users);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        eprintln!(
                            "mail-server: warning: {e}; the accounts read before stay in use"
                        );
                    }
                }
            }
        }
        Arc::clone(&live.users)
    }
}

/// The accounts at work: they answer logins, open Maildirs and take mail.
#[derive(Debug)]
pub(crate) struct Accounts {
    users: Arc<LiveUsers>,
    store: MaildirStore,
    /// The hash checked when the user is unknown, so that an unknown user costs the same
    /// time as a wrong password.
    decoy: Arc<OnceLock<String>>,
    /// The key SCRAM keys for unknown users are made from (RFC 5802 §9), so that they
    /// fail where a wrong password fails, and the same way each time.
    decoy_key: Secret<[u8; 32]>,
    /// Password checks running at once: each takes argon2's 19 MiB for a while, so many
    /// logins at once (or a client trying passwords on many connections) queue here
    /// instead of taking memory without bound.
    hashing: Arc<tokio::sync::Semaphore>,
    /// Where mail from authenticated clients for other domains goes, when relaying is on.
    relay: Option<Intake>,
    /// Where mail for the accounts goes: their Maildirs, or an LMTP server.
    local: Local,
}

/// Room in the store's size limit for the trace fields added to a message on its way in.
const TRACE_ROOM: u64 = 1024;

impl Accounts {
    /// Serves `users`, whose Maildirs are under `data`.
    pub(crate) fn new(
        users: LiveUsers,
        data: PathBuf,
        max_message_size: u64,
    ) -> Result<Self, AccountError> {
        let users = Arc::new(users);
        let located = Arc::clone(&users);
        // The store is asked only for accounts' addresses (see `MailStore for Accounts`).
        let mut store = MaildirStore::with_locator(move |address| {
            Some(located.get().exact(address)?.maildir(&data))
        });
        // The SMTP limit is on what the client sends; the store also takes the
        // `Received:` field the server puts on top (a few hundred octets at most).
        store.max_message_size = max_message_size.saturating_add(TRACE_ROOM);
        Ok(Accounts {
            users,
            local: Local::Maildir(store.clone()),
            store,
            decoy: Arc::default(),
            decoy_key: Secret::new(random()?),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, usize::from),
            )),
            relay: None,
        })
    }

    /// Relays mail from authenticated clients for other domains through `intake`'s
    /// queue; without it, such mail is refused (`550 5.7.1`).
    pub(crate) fn relay_through(&mut self, intake: Intake) {
        self.relay = Some(intake);
    }

    /// Hands mail for the accounts to `lmtp` instead of their Maildirs; the accounts are
    /// still checked here.
    pub(crate) fn deliver_through(&mut self, lmtp: LmtpDelivery) {
        self.local = Local::Lmtp(Box::new(lmtp));
    }

    /// The local domains.
    pub(crate) fn domains(&self) -> Vec<String> {
        self.users.get().domains()
    }

    /// Keys for a user with no account: made from the decoy key and the name, so that a
    /// client cannot tell them from a real user's.
    fn decoy_keys(&self, name: &str) -> ScramKeys {
        let name = name.to_ascii_lowercase();
        let derive = |purpose: &[u8]| -> [u8; 32] {
            let digest = Sha256::new()
                .chain_update(self.decoy_key.expose())
                .chain_update(purpose)
                .chain_update(name.as_bytes())
                .finalize();
            let mut out = [0; 32];
            out.copy_from_slice(&digest);
            out
        };
        let salt = derive(b"salt")[..16].to_vec();
        ScramKeys::new(salt, SCRAM_ITERATIONS, derive(b"stored"), derive(b"server"))
    }

    /// The SASL mechanisms the accounts can answer: SCRAM-SHA-256, PLAIN and LOGIN, and
    /// CRAM-MD5 when an account opted in to keeping its plaintext.
    pub(crate) fn mechanisms(&self) -> Vec<Mechanism> {
        let mut mechanisms = vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login];
        if self.apop() {
            mechanisms.push(Mechanism::CramMd5);
        }
        mechanisms
    }

    /// Whether an account opted in to APOP and CRAM-MD5.
    pub(crate) fn apop(&self) -> bool {
        self.users.get().accounts.iter().any(|a| a.secret.is_some())
    }
}

impl Authenticator for Accounts {
    async fn authenticate(&self, question: AuthQuestion, _peer: IpAddr) -> AuthAnswer {
        match question {
            AuthQuestion::Password {
                authcid,
                authzid,
                password,
                ..
            } => {
                let users = self.users.get();
                let account = users.acting(&authcid, authzid.as_deref());
                let name = account.map(|a| a.address.to_string());
                let hash = account.map(|a| a.password.clone());
                let decoy = Arc::clone(&self.decoy);
                let Ok(_turn) = self.hashing.acquire().await else {
                    return AuthAnswer::Reject;
                };
                let right = tokio::task::spawn_blocking(move || match hash {
                    Some(hash) => verify(&hash, password.expose()),
                    None => {
                        let decoy = decoy.get_or_init(|| {
                            let password = random_password().unwrap_or_default();
                            Argon2::default()
                                .hash_password(password.as_bytes())
                                .map(|h| h.to_string())
                                .unwrap_or_default()
                        });
                        let _ = verify(decoy, password.expose());
                        false
                    }
                })
                .await
                .unwrap_or(false);
                match name {
                    Some(name) if right => AuthAnswer::AcceptAs(name),
                    _ => AuthAnswer::Reject,
                }
            }
            AuthQuestion::ScramKeys {
                authcid, authzid, ..
            } => match self.users.get().acting(&authcid, authzid.as_deref()) {
                Some(account) => AuthAnswer::ScramKeys(account.scram.clone()),
                None => AuthAnswer::ScramKeys(self.decoy_keys(&authcid)),
            },
            AuthQuestion::Secret { authcid, .. } => {
                match self
                    .users
                    .get()
                    .login(&authcid)
                    .and_then(|a| a.secret.clone())
                {
                    Some(secret) => AuthAnswer::Secret(secret),
                    None => AuthAnswer::Reject,
                }
            }
            // Bearer tokens need an issuer this server does not have.
            _ => AuthAnswer::Reject,
        }
    }

    /// The address a login name stands for, so `alice` and `Alice@localhost` share one
    /// count of failures; a name no account has is counted lower-cased.
    fn account_key(&self, user: &str) -> String {
        self.users
            .get()
            .login(user)
            .map_or_else(|| user.to_ascii_lowercase(), |a| a.address.to_string())
    }
}

/// After a login, the servers open the identity the client acts as: any login name of an
/// account opens that account's one Maildir, so that every connection of the account
/// shares it (and hears of the others' changes at once).
impl MailStore for Accounts {
    type Mailboxes = Maildir;

    async fn open(&self, user: &str) -> StoreResult<Maildir> {
        let address = self.users.get().login(user).map(|a| a.address.to_string());
        self.store
            .open(&address.ok_or(StoreError::NoPermission)?)
            .await
    }
}

impl Accounts {
    /// Opens a message straight for the accounts' mailboxes (their Maildirs or the LMTP
    /// server).
    async fn to_mailboxes(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<ToMailboxes, Reply> {
        Ok(ToMailboxes {
            inner: self.local.mail(client, from, params).await?,
            users: self.users.get(),
            authenticated: client.user.is_some(),
        })
    }

    /// Whether mail for the accounts arriving over SMTP goes into the relay queue first:
    /// when an LMTP server takes it, whose answers come per recipient after the data,
    /// which one SMTP reply cannot carry.
    fn queues_local_mail(&self) -> bool {
        matches!(self.local, Local::Lmtp(_)) && self.relay.is_some()
    }
}

impl Delivery for Accounts {
    type Transaction = ToAccounts;

    async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<ToAccounts, Reply> {
        let queued = self.queues_local_mail();
        // Only a client that logged in may send mail on to other domains (checked at
        // RCPT); any client's mail for the accounts may go through the queue.
        let relay = match &self.relay {
            Some(intake) => Some(intake.mail(client, from, params).await?),
            None => None,
        };
        let local = if queued {
            None
        } else {
            Some(self.to_mailboxes(client, from, params).await?)
        };
        Ok(ToAccounts {
            local,
            users: self.users.get(),
            authenticated: client.user.is_some(),
            relay,
            relayed: Vec::new(),
        })
    }
}

/// A message on its way to local accounts, and to the relay queue for other domains (and
/// for the local accounts too when an LMTP server takes their mail).
#[derive(Debug)]
pub(crate) struct ToAccounts {
    /// Straight to the accounts' mailboxes; `None` when their mail is queued.
    local: Option<ToMailboxes>,
    users: Arc<Users>,
    authenticated: bool,
    relay: Option<<Intake as Delivery>::Transaction>,
    /// For each recipient accepted, in order, whether it went to the relay queue.
    relayed: Vec<bool>,
}

impl Transaction for ToAccounts {
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        if self.users.is_elsewhere(to)
            && let Some(relay) = self.relay.as_mut().filter(|_| self.authenticated)
        {
            relay.rcpt(to, params).await?;
            self.relayed.push(true);
            return Ok(());
        }
        // NOTIFY=SUCCESS is answered at final delivery (RFC 3461 §6.2.1), which the relay
        // task makes for the mail it queued and then reports on.
        let queue_it = params.notify.is_some_and(|n| n.success) && self.relay.is_some();
        match (&mut self.local, &mut self.relay) {
            (Some(local), _) if !queue_it => {
                local.rcpt(to, params).await?;
                self.relayed.push(false);
            }
            (_, Some(relay)) => {
                // Checked here (`550 5.1.1` for an unknown user), delivered by the relay
                // task, which retries or reports each recipient the local delivery
                // refuses, and reports a delivery asked about.
                self.users.recipient(to, self.authenticated)?;
                relay.rcpt(to, params).await?;
                self.relayed.push(true);
            }
            (_, None) => return Err(reply(451, "4.3.0 mailbox unavailable")),
        }
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        // Each side takes the body only if it has recipients.
        if let Some(local) = self
            .local
            .as_mut()
            .filter(|_| self.relayed.contains(&false))
        {
            local.data(chunk.clone()).await?;
        }
        if let Some(relay) = self.relay.as_mut().filter(|_| self.relayed.contains(&true)) {
            relay.data(chunk).await?;
        }
        Ok(())
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        let mut local = match self.local {
            Some(local) if self.relayed.contains(&false) => local.commit().await,
            _ => Vec::new(),
        }
        .into_iter();
        let mut queued = match self.relay {
            Some(relay) if self.relayed.contains(&true) => relay.commit().await,
            _ => Vec::new(),
        }
        .into_iter();
        // The results, in the order the recipients were accepted.
        let lost = || Err(reply(451, "4.3.0 no result for this recipient"));
        self.relayed
            .iter()
            .map(|&relayed| {
                let side = if relayed { &mut queued } else { &mut local };
                side.next().unwrap_or_else(lost)
            })
            .collect()
    }
}

/// The accounts' mailboxes and nothing else: mail for other domains is refused and
/// nothing is queued. The delivery of the LMTP listener (one answer per recipient, so
/// nothing to queue) and of the relay task, for the mail it queued for the accounts and
/// for its reports to local senders.
#[derive(Debug, Clone)]
pub(crate) struct Mailboxes(pub(crate) Arc<Accounts>);

impl Delivery for Mailboxes {
    type Transaction = ToMailboxes;

    async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<ToMailboxes, Reply> {
        self.0.to_mailboxes(client, from, params).await
    }
}

/// A message on its way to the accounts' mailboxes.
#[derive(Debug)]
pub(crate) struct ToMailboxes {
    inner: LocalMessage,
    users: Arc<Users>,
    authenticated: bool,
}

impl Transaction for ToMailboxes {
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        let address = self
            .users
            .recipient(to, self.authenticated)?
            .address
            .to_string();
        // Each account's message is delivered once, however many recipients name it, and
        // each recipient gets that delivery's result.
        self.inner.rcpt(&address, params).await
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.inner.data(chunk).await
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        self.inner.commit().await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::os::unix::fs::PermissionsExt;

    use mailwire::sasl::{ClientExchange, Method, ServerExchange, ServerStep};
    use mailwire::server::{Limits, Listeners, Security, Shutdown, SmtpServer, Throttle};
    use mailwire::smtp::Domain;
    use mailwire::smtp::server::Config as SmtpConfig;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// Cheap argon2 parameters (8 KiB, one pass), so that tests run fast; the hashes say
    /// which parameters they were made with, and verifying follows them.
    fn cheap() -> Params {
        Params::new(8, 1, 1, None).unwrap()
    }

    fn account(address: &str, password: &str, apop: bool) -> Account {
        let address = Address::parse(address).unwrap();
        Account::hashed(
            address,
            password,
            apop,
            cheap(),
            b"argon salt",
            b"scram salt",
        )
        .unwrap()
    }

    /// alice@example.org is the first account, so example.org the first domain.
    fn users() -> Users {
        Users {
            accounts: vec![
                account("alice@example.org", "open sesame", false),
                account("bob@example.org", "bob's secret", true),
                account("alice@example.net", "other alice", false),
                account("carol@example.net", "carol's", false),
                account("postmaster@example.net", "pm", false),
            ],
        }
    }

    const ALICE: &str = "alice@example.org:\
        {ARGON2ID}$argon2id$v=19$m=8,t=1,p=1$YXJnb24gc2FsdA$\
        UAVFbTgIg5GaBvPgh2z8D0yptLgj4ntgEkmS57Vc0gM:\
        {SCRAM-SHA-256}4096,c2NyYW0gc2FsdA==,\
        z01B3FxnwPKZO9rVhxFaax+t9WnlBwd06dE5PY6wGD0=,\
        TRsF5gDCZHRlQuhpXPiKMfb9CSX9p9xNMMzePf8sOEc=";

    #[test]
    fn a_users_file_line_holds_the_hash_and_the_scram_keys() {
        let alice = account("Alice@Example.ORG", "open sesame", false);
        assert_eq!(alice.line(), ALICE);
        // The fields are what they claim to be (the keys as Python's hashlib and hmac
        // compute them from RFC 5802's formulas, too).
        let keys = ScramKeys::derive("open sesame", b"scram salt", 4096);
        assert_eq!(alice.scram, keys);
        assert!(verify(&alice.password, "open sesame"));
        // Opted in, the plaintext comes last, colons and all.
        let bob = account("bob@example.org", "pass:word", true);
        assert!(bob.line().ends_with(":{PLAIN}pass:word"), "{}", bob.line());
    }

    #[test]
    fn a_users_file_reads_back_to_the_same_text() {
        let bob = account("bob@example.org", "pass:word", true);
        let text = format!("# accounts\n\n{ALICE}\n{}\n", bob.line());
        let users = Users::parse(&text, Path::new("users")).unwrap();
        let lines: Vec<String> = users.accounts().iter().map(Account::line).collect();
        assert_eq!(lines, [ALICE.to_owned(), bob.line()]);
        assert_eq!(
            users.accounts[1]
                .secret
                .as_ref()
                .map(|s| s.expose().as_str()),
            Some("pass:word")
        );
        assert!(users.accounts[0].secret.is_none());
    }

    #[test]
    fn a_bad_users_file_says_which_line() {
        let cases = [
            (
                "alice@example.org\n",
                "no {ARGON2ID} password hash after the address",
            ),
            ("Alice@example.org:x\n", "the address is not in lower case"),
            ("alice:{ARGON2ID}x\n", "not an address"),
            ("alice@example.org:{ARGON2ID}nothing\n", "not a PHC string"),
            (
                "alice@example.org:{ARGON2ID}$argon2i$v=19$m=8,t=1,p=1$YXJnb24gc2FsdA$\
                 N6eqvKiD4/nArKIBQRGB5ig7SyIHdCvt5ggQIRITcdc\n",
                "not an argon2id hash",
            ),
        ];
        for (text, reason) in cases {
            let error = Users::parse(&format!("# first\n{text}"), Path::new("u")).unwrap_err();
            assert_eq!(error.to_string(), format!("u, line 2: {reason}"), "{text}");
        }
        let twice = format!("{ALICE}\n{ALICE}\n");
        assert_eq!(
            Users::parse(&twice, Path::new("u"))
                .unwrap_err()
                .to_string(),
            "u, line 2: a second line for this address"
        );
        let bad_keys = ALICE.replace("4096,", "0,");
        assert_eq!(
            Users::parse(&bad_keys, Path::new("u"))
                .unwrap_err()
                .to_string(),
            "u, line 1: bad SCRAM-SHA-256 keys"
        );
    }

    #[test]
    fn addresses_are_checked_and_lower_cased() {
        assert_eq!(
            Address::parse("Ann.Lee+x@Mail.Example.ORG")
                .unwrap()
                .to_string(),
            "ann.lee+x@mail.example.org"
        );
        for bad in [
            "ann",
            "@example.org",
            "ann@",
            "../x@example.org",
            "a/b@example.org",
            ".ann@example.org",
            "an..n@example.org",
            "#ann@example.org",
            "ann@tls",
            "ann@users",
            "ann@-x.org",
            "ann@exa mple.org",
            "ann@ex_ample.org",
            "añn@example.org",
            "a:b@example.org",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_the_file_cannot_hold_are_refused() {
        let address = || Address::parse("a@b.example").unwrap();
        let error = |password| {
            Account::hashed(
                address(),
                password,
                false,
                cheap(),
                b"argon salt",
                b"scram salt",
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(error(""), "the password is empty");
        assert_eq!(error("a\nb"), "the password holds a control character");
    }

    #[test]
    fn logins_name_an_account_by_address_or_local_part() {
        let users = users();
        let login = |name| users.login(name).map(|a| a.address.to_string());
        assert_eq!(
            login("alice@example.net").as_deref(),
            Some("alice@example.net")
        );
        assert_eq!(
            login("ALICE@Example.Net").as_deref(),
            Some("alice@example.net")
        );
        // Two alices: the first domain's.
        assert_eq!(login("alice").as_deref(), Some("alice@example.org"));
        // One carol, in another domain.
        assert_eq!(login("Carol").as_deref(), Some("carol@example.net"));
        assert_eq!(login("dave"), None);
        assert_eq!(login("carol@example.org"), None);
        // Acting as another account is refused; as oneself, by any name, allowed.
        assert!(users.acting("carol", Some("alice")).is_none());
        assert!(users.acting("carol", Some("nobody")).is_none());
        assert_eq!(
            users
                .acting("carol", Some("carol@example.net"))
                .map(|a| a.address.to_string()),
            Some("carol@example.net".into())
        );
    }

    fn password(authcid: &str, authzid: Option<&str>, password: &str) -> AuthQuestion {
        AuthQuestion::Password {
            method: Method::Login,
            authcid: authcid.into(),
            authzid: authzid.map(Into::into),
            password: Secret::new(password.into()),
        }
    }

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let data = tempfile::tempdir().unwrap();
        let accounts =
            Accounts::new(LiveUsers::fixed(users()), data.path().to_owned(), 1 << 20).unwrap();
        (data, accounts)
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn every_name_of_an_account_is_one_throttle_key() {
        let (_data, accounts) = accounts();
        assert_eq!(accounts.account_key("alice"), "alice@example.org");
        assert_eq!(
            accounts.account_key("ALICE@Example.org"),
            "alice@example.org"
        );
        assert_eq!(accounts.account_key("Carol"), "carol@example.net");
        assert_eq!(accounts.account_key("Dave@Example.org"), "dave@example.org");
    }

    #[tokio::test]
    async fn passwords_are_checked_against_the_argon2_hash() {
        let (_data, accounts) = accounts();
        let cases = [
            (
                password("alice", None, "open sesame"),
                AuthAnswer::AcceptAs("alice@example.org".into()),
            ),
            (
                password("alice@example.net", None, "other alice"),
                AuthAnswer::AcceptAs("alice@example.net".into()),
            ),
            (
                password("carol", Some("carol@example.net"), "carol's"),
                AuthAnswer::AcceptAs("carol@example.net".into()),
            ),
            (password("alice", None, "other alice"), AuthAnswer::Reject),
            (password("alice", None, "open sesame "), AuthAnswer::Reject),
            (
                password("alice", Some("bob"), "open sesame"),
                AuthAnswer::Reject,
            ),
            (password("nobody", None, "open sesame"), AuthAnswer::Reject),
        ];
        for (question, answer) in cases {
            let asked = format!("{question:?}");
            assert_eq!(
                accounts.authenticate(question, PEER).await,
                answer,
                "{asked}"
            );
        }
        // Tokens have no issuer here.
        let token = AuthQuestion::Token {
            method: Method::Sasl(Mechanism::XOAuth2),
            user: Some("alice".into()),
            token: Secret::new("t".into()),
            host: None,
            port: None,
        };
        assert_eq!(accounts.authenticate(token, PEER).await, AuthAnswer::Reject);
    }

    /// A whole SCRAM-SHA-256 exchange between mailwire-sasl's client and server, the
    /// server's keys coming from the accounts.
    async fn scram(accounts: &Accounts, user: &str, password: &str) -> Result<String, String> {
        let secret = Secret::new(password.to_owned());
        let mut client =
            ClientExchange::scram_sha256(None, user, &secret, "rOprNGfwEbeRWgbNEkqO").unwrap();
        let mut server = ServerExchange::scram_sha256("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").unwrap();
        let step = server.start(client.initial_response().as_deref());
        let ServerStep::Question(question) = step else {
            panic!("{step:?}")
        };
        let step = server
            .answer(accounts.authenticate(question, PEER).await)
            .unwrap();
        let ServerStep::Challenge(server_first) = step else {
            return Err(format!("{step:?}"));
        };
        let client_final = client.respond(&server_first).unwrap();
        let step = server.receive(&client_final);
        let ServerStep::Challenge(server_final) = step else {
            return Err(format!("{step:?}"));
        };
        let ack = client.respond(&server_final).map_err(|e| e.to_string())?;
        match server.receive(&ack) {
            ServerStep::Success { identity, .. } => Ok(identity.authcid),
            step => Err(format!("{step:?}")),
        }
    }

    #[tokio::test]
    async fn scram_keys_match_what_the_client_derives_from_the_password() {
        let (_data, accounts) = accounts();
        assert_eq!(
            scram(&accounts, "alice", "open sesame").await,
            Ok("alice".into())
        );
        assert_eq!(
            scram(&accounts, "alice@example.net", "other alice").await,
            Ok("alice@example.net".into())
        );
        let wrong = scram(&accounts, "alice", "other alice").await.unwrap_err();
        assert!(wrong.starts_with("Failure("), "{wrong}");
        // An unknown user fails as a wrong password does, at the proof.
        let unknown = scram(&accounts, "nobody", "open sesame").await.unwrap_err();
        assert_eq!(unknown, wrong);
        // Acting as another account fails too.
        let secret = Secret::new("carol's".to_owned());
        let mut client =
            ClientExchange::scram_sha256(Some("alice"), "carol", &secret, "rOprNGfwEbeRWgbNEkqO")
                .unwrap();
        let mut server = ServerExchange::scram_sha256("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").unwrap();
        let ServerStep::Question(question) = server.start(client.initial_response().as_deref())
        else {
            panic!()
        };
        let AuthAnswer::ScramKeys(keys) = accounts.authenticate(question, PEER).await else {
            panic!()
        };
        assert_ne!(keys, accounts.users.get().login("carol").unwrap().scram);
        // The decoy keys are the same each time, whatever the name's case.
        assert_eq!(accounts.decoy_keys("Nobody"), accounts.decoy_keys("nobody"));
        assert_ne!(
            accounts.decoy_keys("nobody"),
            accounts.decoy_keys("somebody")
        );
    }

    #[tokio::test]
    async fn the_plaintext_secret_is_given_only_for_accounts_that_opted_in() {
        let (_data, accounts) = accounts();
        assert!(accounts.apop());
        assert_eq!(
            accounts.mechanisms(),
            [
                Mechanism::ScramSha256,
                Mechanism::Plain,
                Mechanism::Login,
                Mechanism::CramMd5
            ]
        );
        let secret = |user: &str| AuthQuestion::Secret {
            method: Method::Apop,
            authcid: user.into(),
        };
        assert_eq!(
            accounts.authenticate(secret("bob"), PEER).await,
            AuthAnswer::Secret(Secret::new("bob's secret".into()))
        );
        assert_eq!(
            accounts.authenticate(secret("alice"), PEER).await,
            AuthAnswer::Reject
        );
        assert_eq!(
            accounts.authenticate(secret("nobody"), PEER).await,
            AuthAnswer::Reject
        );

        let plain_only = Accounts::new(
            LiveUsers::fixed(Users {
                accounts: vec![account("alice@example.org", "open sesame", false)],
            }),
            PathBuf::from("unused"),
            1,
        )
        .unwrap();
        assert!(!plain_only.apop());
        assert_eq!(
            plain_only.mechanisms(),
            [Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login]
        );
    }

    #[test]
    fn a_running_server_takes_accounts_added_to_the_users_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let (demo, _) = Users::demo().unwrap();
        let live = LiveUsers::watching(demo, path.clone());
        let names = |live: &LiveUsers| -> Vec<String> {
            let users = live.get();
            users
                .accounts()
                .iter()
                .map(|a| a.address.to_string())
                .collect()
        };
        assert_eq!(names(&live), ["user@localhost"]);
        // The first account added replaces the demo account.
        add_user(&path, &account("alice@example.org", "open sesame", false)).unwrap();
        assert_eq!(names(&live), ["alice@example.org"]);
        add_user(&path, &account("bob@example.org", "bob's secret", false)).unwrap();
        assert_eq!(names(&live), ["alice@example.org", "bob@example.org"]);
        // A file that does not read leaves the accounts as they were.
        fs::write(&path, "not a users line\n").unwrap();
        assert_eq!(names(&live), ["alice@example.org", "bob@example.org"]);
        // Unchanged since: not read again (the stamp is the broken file's).
        assert_eq!(names(&live), ["alice@example.org", "bob@example.org"]);
        fs::write(&path, format!("{ALICE}\n")).unwrap();
        assert_eq!(names(&live), ["alice@example.org"]);
    }

    #[test]
    fn add_user_runs_at_once_each_add_their_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let accounts: Vec<Account> = (0..8)
            .map(|n| account(&format!("user{n}@example.org"), "pw", false))
            .collect();
        std::thread::scope(|scope| {
            for account in &accounts {
                let path = &path;
                scope.spawn(move || add_user(path, account).unwrap());
            }
        });
        let users = Users::load(&path).unwrap().unwrap();
        let mut names: Vec<String> = users
            .accounts()
            .iter()
            .map(|a| a.address.to_string())
            .collect();
        names.sort();
        let expected: Vec<String> = (0..8).map(|n| format!("user{n}@example.org")).collect();
        assert_eq!(names, expected);
        assert!(!dir.path().join("users.lock").exists());
    }

    #[test]
    fn add_user_appends_atomically_and_refuses_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/users");
        add_user(&path, &account("alice@example.org", "open sesame", false)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{ALICE}\n"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );

        // Comments stay; a file without a last line ending gets one.
        fs::write(&path, format!("# mine\n{ALICE}")).unwrap();
        let bob = account("bob@example.org", "bob's secret", true);
        add_user(&path, &bob).unwrap();
        let text = format!("# mine\n{ALICE}\n{}\n", bob.line());
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let again = account("Alice@example.org", "another", false);
        assert_eq!(
            add_user(&path, &again).unwrap_err().to_string(),
            "alice@example.org has an account already"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        // Nothing is left beside it.
        let names: Vec<_> = fs::read_dir(dir.path().join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["users"]);
    }

    #[test]
    fn a_missing_users_file_is_none_and_an_empty_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        assert!(Users::load(&path).unwrap().is_none());
        fs::write(&path, "# nobody yet\n").unwrap();
        assert_eq!(
            Users::load(&path).unwrap_err().to_string(),
            format!(
                "{}: no account (add one with `mail-server add-user ADDRESS`)",
                path.display()
            )
        );
    }

    #[tokio::test]
    async fn the_demo_account_has_a_random_password() {
        let (users, password) = Users::demo().unwrap();
        assert_eq!(password.len(), 16);
        assert!(
            password.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{password}"
        );
        let (_, other) = Users::demo().unwrap();
        assert_ne!(password, other);
        let [demo] = users.accounts() else {
            panic!("{users:?}")
        };
        assert_eq!(demo.address.to_string(), "user@localhost");
        assert!(demo.secret.is_none());
        let accounts =
            Accounts::new(LiveUsers::fixed(users.clone()), PathBuf::from("unused"), 1).unwrap();
        assert_eq!(
            accounts
                .authenticate(password_question("user", &password), PEER)
                .await,
            AuthAnswer::AcceptAs("user@localhost".into())
        );
    }

    fn password_question(user: &str, secret: &str) -> AuthQuestion {
        password(user, None, secret)
    }

    fn route(users: &Users, to: &str, authenticated: bool) -> Result<String, String> {
        users
            .recipient(&ForwardPath::parse(to).unwrap(), authenticated)
            .map(|a| a.address.to_string())
            .map_err(|r| r.to_string())
    }

    #[test]
    fn recipients_are_local_accounts_only() {
        let users = users();
        let cases = [
            ("<alice@example.org>", Ok("alice@example.org")),
            ("<ALICE@EXAMPLE.NET>", Ok("alice@example.net")),
            ("<carol@example.net>", Ok("carol@example.net")),
            // No postmaster account in example.org: its first account reads its mail.
            ("<postmaster@example.org>", Ok("alice@example.org")),
            ("<PostMaster@example.net>", Ok("postmaster@example.net")),
            ("<Postmaster>", Ok("alice@example.org")),
            (
                "<carol@example.org>",
                Err("550 5.1.1 no such user here\r\n"),
            ),
            (
                r#"<"alice"@example.org>"#,
                Err("550 5.1.1 no such user here\r\n"),
            ),
            ("<alice@example.com>", Err("550 5.7.1 relaying denied\r\n")),
            ("<alice@[127.0.0.1]>", Err("550 5.7.1 relaying denied\r\n")),
        ];
        for (to, expected) in cases {
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            assert_eq!(route(&users, to, false), expected, "{to}");
        }
        assert_eq!(
            route(&users, "<alice@example.com>", true),
            Err("550 5.7.1 relaying is not offered: only local accounts get mail here\r\n".into())
        );
        assert_eq!(
            route(&users, "<alice@example.org>", true),
            Ok("alice@example.org".into())
        );
    }

    /// One SMTP command and its reply, all lines of it.
    async fn command(stream: &mut BufReader<TcpStream>, line: &str) -> String {
        if !line.is_empty() {
            stream.get_mut().write_all(line.as_bytes()).await.unwrap();
            stream.get_mut().write_all(b"\r\n").await.unwrap();
        }
        let mut reply = String::new();
        loop {
            let mut l = String::new();
            stream.read_line(&mut l).await.unwrap();
            assert!(!l.is_empty(), "the server closed after {line:?}");
            reply.push_str(&l);
            if l.as_bytes().get(3) != Some(&b'-') {
                return reply;
            }
        }
    }

    /// What comes below the trace fields on top of `bytes`: one for each of `fields`, in
    /// order, each checked to start as given there (a `Received:` field's id and date
    /// are the server's own).
    pub(crate) fn below_trace(mut bytes: &[u8], fields: &[&str]) -> Vec<u8> {
        for field in fields {
            assert!(
                bytes.starts_with(field.as_bytes()),
                "{field:?}: {:?}",
                String::from_utf8_lossy(bytes)
            );
            // A field ends at the first line end not followed by a folded line.
            let end = (0..bytes.len())
                .find(|&i| bytes[i..].starts_with(b"\r\n") && bytes.get(i + 2) != Some(&b'\t'))
                .unwrap();
            bytes = &bytes[end + 2..];
        }
        bytes.to_vec()
    }

    fn inbox(root: &Path, account: &str) -> Vec<Vec<u8>> {
        let (local, domain) = account.split_once('@').unwrap();
        let new = root.join(domain).join(local).join("new");
        let mut files: Vec<_> = fs::read_dir(new)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|f| fs::read(f).unwrap()).collect()
    }

    /// An SMTP server for `accounts` as mx.example.org on loopback, without TLS, as the
    /// example's port 25 with DSN, changed by `configure`; it runs until `shutdown`, and
    /// its task ends then.
    async fn smtp_server(
        accounts: &Arc<Accounts>,
        shutdown: &Shutdown,
        configure: impl FnOnce(&mut SmtpConfig),
    ) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let mut config = SmtpConfig::new(Domain::new("mx.example.org").unwrap());
        config.starttls = false;
        config.dsn = true;
        configure(&mut config);
        let smtp = SmtpServer::new(
            config,
            Arc::clone(accounts),
            Arc::clone(accounts),
            Arc::new(Throttle::new()),
        );
        let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
        let at = listeners
            .add(
                Arc::new(smtp),
                TcpListener::bind("127.0.0.1:0").await.unwrap(),
                Security::Plain,
                mailwire::tokio::Tls::None,
            )
            .unwrap();
        (at, tokio::spawn(listeners.run()))
    }

    #[tokio::test]
    async fn notify_success_for_an_account_is_answered_at_delivery() {
        use mailwire::relay::{Clock, Config as RelayConfig, Queue, Relay};

        let (data, mut accounts) = accounts();
        let queue =
            Queue::open_with(data.path().join("queue"), Clock::manual(1_700_000_000)).unwrap();
        accounts.relay_through(Intake::new(queue.clone()));
        let accounts = Arc::new(accounts);
        let shutdown = Shutdown::new();
        let (at, running) = smtp_server(&accounts, &shutdown, |_| ()).await;
        let mut s = BufReader::new(TcpStream::connect(at).await.unwrap());
        assert!(command(&mut s, "").await.starts_with("220 "));
        command(&mut s, "EHLO client.example").await;
        for (line, reply) in [
            ("MAIL FROM:<bob@example.org> ENVID=q1", "250 2.1.0 Ok\r\n"),
            (
                "RCPT TO:<alice@example.org> NOTIFY=SUCCESS",
                "250 2.1.5 Ok\r\n",
            ),
            ("RCPT TO:<carol@example.net>", "250 2.1.5 Ok\r\n"),
            (
                "RCPT TO:<nobody@example.org> NOTIFY=SUCCESS",
                "550 5.1.1 no such user here\r\n",
            ),
        ] {
            assert_eq!(command(&mut s, line).await, reply, "{line}");
        }
        assert!(command(&mut s, "DATA").await.starts_with("354 "));
        let sent = command(&mut s, "Subject: hi\r\n\r\nhello\r\n.").await;
        assert_eq!(sent, "250 2.0.0 Ok: queued\r\n");
        // carol's copy is delivered at once; alice's waits, synced, in the queue.
        assert_eq!(inbox(data.path(), "carol@example.net").len(), 1);
        assert!(inbox(data.path(), "alice@example.org").is_empty());
        let queued = queue.list();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].recipients.len(), 1);
        assert_eq!(
            queued[0].recipients[0].path.to_string(),
            "<alice@example.org>"
        );

        let mut config = RelayConfig::new(Domain::new("mx.example.org").unwrap());
        config.local_domains = accounts.domains();
        config.dns = false;
        let relay = Relay::new(
            queue.clone(),
            config,
            Arc::new(Mailboxes(Arc::clone(&accounts))),
        );
        assert_eq!(relay.deliver_due().await, 1);
        assert_eq!(queue.list(), []);
        let trace = [
            "Return-Path: <bob@example.org>\r\n",
            "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.org with ESMTP id ",
        ];
        let alice = inbox(data.path(), "alice@example.org");
        assert_eq!(alice.len(), 1);
        assert_eq!(
            below_trace(&alice[0], &trace),
            b"Subject: hi\r\n\r\nhello\r\n"
        );
        // The report, in the sender's own INBOX: alice's delivery, and nothing on carol.
        let reports = inbox(data.path(), "bob@example.org");
        assert_eq!(reports.len(), 1);
        let report = String::from_utf8(reports[0].clone()).unwrap();
        assert!(report.starts_with("Return-Path: <>\r\n"), "{report}");
        assert!(
            report.contains("\r\nSubject: Successful Mail Delivery Report\r\n"),
            "{report}"
        );
        assert!(
            report.contains(
                "Original-Envelope-Id: q1\r\n\
                 Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
                 \r\n\
                 Final-Recipient: rfc822; alice@example.org\r\n\
                 Action: delivered\r\n\
                 Status: 2.0.0\r\n"
            ),
            "{report}"
        );
        assert!(!report.contains("carol"), "{report}");
        shutdown.request();
        drop(s);
        running.await.unwrap();
    }

    #[tokio::test]
    async fn smtp_delivers_to_each_account_once_and_refuses_the_rest() {
        let (data, accounts) = accounts();
        let accounts = Arc::new(accounts);
        let shutdown = Shutdown::new();
        let (at, running) = smtp_server(&accounts, &shutdown, |config| {
            config.plaintext_auth = true;
            config.auth_mechanisms = vec![Mechanism::Plain];
        })
        .await;

        let mut s = BufReader::new(TcpStream::connect(at).await.unwrap());
        assert!(command(&mut s, "").await.starts_with("220 "));
        assert!(
            command(&mut s, "EHLO client.example")
                .await
                .starts_with("250-")
        );
        assert!(
            command(&mut s, "MAIL FROM:<x@example.com>")
                .await
                .starts_with("250 ")
        );
        for (to, reply) in [
            ("<alice@example.org>", "250 2.1.5 Ok\r\n"),
            ("<Alice@Example.Org>", "250 2.1.5 Ok\r\n"),
            ("<carol@example.net>", "250 2.1.5 Ok\r\n"),
            ("<Postmaster>", "250 2.1.5 Ok\r\n"),
            ("<dave@example.org>", "550 5.1.1 no such user here\r\n"),
            ("<alice@example.com>", "550 5.7.1 relaying denied\r\n"),
        ] {
            assert_eq!(
                command(&mut s, &format!("RCPT TO:{to}")).await,
                reply,
                "{to}"
            );
        }
        assert!(command(&mut s, "DATA").await.starts_with("354 "));
        assert!(
            command(&mut s, "Subject: hi\r\n\r\nhello\r\n.")
                .await
                .starts_with("250 ")
        );
        let message = b"Subject: hi\r\n\r\nhello\r\n".to_vec();
        // Below the sender's Return-Path and this server's Received field.
        let trace = [
            "Return-Path: <x@example.com>\r\n",
            "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.org with ESMTP id ",
        ];
        let alice = inbox(data.path(), "alice@example.org");
        let carol = inbox(data.path(), "carol@example.net");
        assert_eq!((alice.len(), carol.len()), (1, 1));
        assert_eq!(alice, carol, "one message, linked into both");
        assert_eq!(below_trace(&alice[0], &trace), message);
        assert!(inbox(data.path(), "alice@example.net").is_empty());
        // The new account's Maildir has its special-use folders (Dovecot's `.Sent` …).
        assert!(data.path().join("example.net/carol/.Sent/cur").is_dir());

        // Logged in, mail for other domains is still refused, in other words.
        let plain = BASE64.encode(b"\0carol\0carol's");
        let auth = command(&mut s, &format!("AUTH PLAIN {plain}")).await;
        assert!(auth.starts_with("235 "), "{auth}");
        assert!(
            command(&mut s, "MAIL FROM:<carol@example.net>")
                .await
                .starts_with("250 ")
        );
        assert_eq!(
            command(&mut s, "RCPT TO:<alice@example.com>").await,
            "550 5.7.1 relaying is not offered: only local accounts get mail here\r\n"
        );
        shutdown.request();
        drop(s);
        running.await.unwrap();
    }

    #[tokio::test]
    async fn every_login_name_of_an_account_opens_its_one_maildir() {
        let (data, accounts) = accounts();
        let by_local = accounts.open("carol").await.unwrap();
        let by_address = accounts.open("CAROL@example.net").await.unwrap();
        assert_eq!(format!("{by_local:?}"), format!("{by_address:?}"));
        assert!(data.path().join("example.net/carol/cur").is_dir());
        assert!(matches!(
            accounts.open("nobody").await,
            Err(StoreError::NoPermission)
        ));
    }
}

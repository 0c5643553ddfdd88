//! Mailboxes as SELECT, LIST and STATUS describe them, and the updates a server sends
//! unasked.

use std::num::NonZeroU32;

use mailwire_imap::types::{
    Code, Data, Delimiter, Flag, FlagPerm, Mailbox, MailboxAttribute, Status, StatusItem,
};

use super::fetch::Message;

/// The state of a mailbox once SELECT or EXAMINE opened it (RFC 3501 §6.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Selected {
    /// How many messages it holds (`EXISTS`).
    pub exists: u32,
    /// How many are new this session (`RECENT`).
    pub recent: u32,
    /// `UIDVALIDITY`: UIDs stay valid while this does not change.
    pub uid_validity: Option<u32>,
    /// `UIDNEXT`: the UID the next message will get, at least.
    pub uid_next: Option<u32>,
    /// The flags defined in the mailbox (`FLAGS`).
    pub flags: Vec<Flag>,
    /// The flags that can be changed for good (`PERMANENTFLAGS`); `None` if not said,
    /// which means all of [`flags`](Self::flags).
    pub permanent_flags: Option<Vec<Flag>>,
    /// Whether new keywords can be made (`\*` in `PERMANENTFLAGS`).
    pub new_keywords: bool,
    /// The sequence number of the first unseen message (`UNSEEN`).
    pub first_unseen: Option<u32>,
    /// Opened read-only (EXAMINE, or `[READ-ONLY]`).
    pub read_only: bool,
}

impl Selected {
    pub(crate) fn read(code: Option<&Code>, data: &[Data], statuses: &[Status]) -> Self {
        let mut s = Self::default();
        for d in data {
            match d {
                Data::Exists(n) => s.exists = *n,
                Data::Recent(n) => s.recent = *n,
                Data::Flags(flags) => s.flags.clone_from(flags),
                _ => {}
            }
        }
        for c in statuses
            .iter()
            .filter_map(|st| st.code.as_ref())
            .chain(code)
        {
            match c {
                Code::UidValidity(n) => s.uid_validity = Some(n.get()),
                Code::UidNext(n) => s.uid_next = Some(n.get()),
                Code::Unseen(n) => s.first_unseen = Some(n.get()),
                Code::ReadOnly => s.read_only = true,
                Code::ReadWrite => s.read_only = false,
                Code::PermanentFlags(perm) => {
                    let mut flags = Vec::new();
                    for p in perm {
                        match p {
                            FlagPerm::Flag(f) => flags.push(f.clone()),
                            FlagPerm::Wildcard => s.new_keywords = true,
                        }
                    }
                    s.permanent_flags = Some(flags);
                }
                _ => {}
            }
        }
        s
    }
}

/// A mailbox as LIST or LSUB names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listed {
    /// The mailbox.
    pub mailbox: Mailbox,
    /// Its name in UTF-8 (the wire form is modified UTF-7); the wire form, read
    /// loosely, if it does not decode.
    pub name: String,
    /// The hierarchy delimiter, `None` for a flat name space.
    pub delimiter: Option<Delimiter>,
    /// Its attributes (`\Noselect`, `\HasChildren`, `\Sent` …).
    pub attributes: Vec<MailboxAttribute>,
}

impl Listed {
    pub(crate) fn from_data(data: Data) -> Option<Self> {
        let (Data::List {
            attributes,
            delimiter,
            mailbox,
        }
        | Data::Lsub {
            attributes,
            delimiter,
            mailbox,
        }) = data
        else {
            return None;
        };
        let name = mailbox
            .to_utf8()
            .unwrap_or_else(|_| String::from_utf8_lossy(mailbox.as_bytes()).into_owned());
        Some(Self {
            mailbox,
            name,
            delimiter,
            attributes,
        })
    }

    /// Whether the mailbox can be selected (no `\Noselect` or `\NonExistent`).
    pub fn is_selectable(&self) -> bool {
        !self.attributes.iter().any(|a| {
            matches!(
                a,
                MailboxAttribute::NoSelect | MailboxAttribute::NonExistent
            )
        })
    }
}

/// A mailbox's counters as STATUS gives them (`None` where the server said nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MailboxStatus {
    /// `MESSAGES`
    pub messages: Option<u32>,
    /// `RECENT`
    pub recent: Option<u32>,
    /// `UNSEEN`: how many messages are not `\Seen`.
    pub unseen: Option<u32>,
    /// `UIDNEXT`
    pub uid_next: Option<u32>,
    /// `UIDVALIDITY`
    pub uid_validity: Option<u32>,
}

impl MailboxStatus {
    pub(crate) fn read(items: &[StatusItem]) -> Self {
        let mut s = Self::default();
        for item in items {
            match *item {
                StatusItem::Messages(n) => s.messages = Some(n),
                StatusItem::Recent(n) => s.recent = Some(n),
                StatusItem::Unseen(n) => s.unseen = Some(n),
                StatusItem::UidNext(n) => s.uid_next = Some(n),
                StatusItem::UidValidity(n) => s.uid_validity = Some(n),
                _ => {}
            }
        }
        s
    }
}

/// What the server tells about the selected mailbox without being asked: new messages,
/// removed ones, flags changed by another client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// The mailbox now holds this many messages (`EXISTS`).
    Exists(u32),
    /// This many are recent (`RECENT`).
    Recent(u32),
    /// The message with this sequence number is gone; those after it move down by one
    /// (`EXPUNGE`).
    Expunge(NonZeroU32),
    /// A message's flags (or other items) changed (`FETCH`).
    Fetch(Box<Message>),
    /// Other untagged data.
    Other(Data),
}

impl From<Data> for Update {
    fn from(data: Data) -> Self {
        match data {
            Data::Exists(n) => Self::Exists(n),
            Data::Recent(n) => Self::Recent(n),
            Data::Expunge(n) => Self::Expunge(n),
            Data::Fetch { seq, items } => Self::Fetch(Box::new(Message::from_items(seq, items))),
            other => Self::Other(other),
        }
    }
}

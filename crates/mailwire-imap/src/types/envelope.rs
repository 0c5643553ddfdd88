//! ENVELOPE (RFC 3501 §7.4.2): the parsed header of a message, as the server sends it.

use super::string::NString;

/// `envelope`: date, subject, the six address lists, In-Reply-To and Message-ID.
///
/// An address list the server sent as NIL is empty here, and an empty list is sent as NIL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// `env-date`
    pub date: NString,
    /// `env-subject`
    pub subject: NString,
    /// `env-from`
    pub from: Vec<Address>,
    /// `env-sender`
    pub sender: Vec<Address>,
    /// `env-reply-to`
    pub reply_to: Vec<Address>,
    /// `env-to`
    pub to: Vec<Address>,
    /// `env-cc`
    pub cc: Vec<Address>,
    /// `env-bcc`
    pub bcc: Vec<Address>,
    /// `env-in-reply-to`
    pub in_reply_to: NString,
    /// `env-message-id`
    pub message_id: NString,
}

/// `address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"`.
///
/// A group starts with an address whose host is NIL and whose mailbox is the group name,
/// and ends with one whose mailbox and host are both NIL (RFC 3501 §7.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `addr-name`: the display name.
    pub name: NString,
    /// `addr-adl`: the source route.
    pub adl: NString,
    /// `addr-mailbox`: the local part, or a group name.
    pub mailbox: NString,
    /// `addr-host`: the domain.
    pub host: NString,
}

//! Delivery: what the SMTP and LMTP servers do with the mail they accept.

use std::future::Future;
use std::net::IpAddr;

use bytes::Bytes;
use mailwire_smtp::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};

/// Who is sending, as the SMTP server knows it when MAIL arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Client {
    /// The peer's address.
    pub peer: IpAddr,
    /// The name it gave in EHLO, HELO or LHLO.
    pub hello: String,
    /// The identity it authenticated as (the one it acts as), if it did.
    pub user: Option<String>,
    /// Whether the connection is under TLS.
    pub tls: bool,
}

impl Client {
    /// A client at `peer` that said `hello`, not authenticated, without TLS: for an
    /// application that hands mail to a [`Delivery`] itself (a bounce, a forwarded
    /// message).
    pub fn new(peer: IpAddr, hello: impl Into<String>) -> Self {
        Self {
            peer,
            hello: hello.into(),
            user: None,
            tls: false,
        }
    }
}

/// Takes mail in: one [`Transaction`] per MAIL FROM.
pub trait Delivery: Send + Sync + 'static {
    /// A transaction under way.
    type Transaction: Transaction;

    /// MAIL FROM: starts a transaction, or refuses the sender with a reply.
    fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> impl Future<Output = Result<Self::Transaction, Reply>> + Send;
}

/// One message's way in: its recipients, then its body in pieces, then the decision.
///
/// Dropping a transaction without [`commit`](Self::commit) abandons it (RSET, a lost
/// connection, a body over the size limit): nothing of it may be delivered.
pub trait Transaction: Send + 'static {
    /// RCPT TO: accepts the recipient, or refuses it with a reply (`550 5.1.1` for an
    /// unknown user, say).
    fn rcpt(
        &mut self,
        to: &ForwardPath,
        params: &RcptParameters,
    ) -> impl Future<Output = Result<(), Reply>> + Send;

    /// The next piece of the body, dot-unstuffed, in order.
    fn data(&mut self, chunk: Bytes) -> impl Future<Output = Result<(), Reply>> + Send;

    /// The body is complete: deliver it. One result per accepted recipient, in the order
    /// they were accepted. The LMTP server answers each (RFC 2033 §4.2); the SMTP server
    /// has one answer for all, so it accepts a message delivered to any recipient (the
    /// delivery reports failures for the others by a bounce) and refuses one delivered to
    /// none with the first refusal. Each `Ok` means the message is durable (on disk and
    /// synced, or in a store that promises as much).
    fn commit(self) -> impl Future<Output = Vec<Result<(), Reply>>> + Send;
}

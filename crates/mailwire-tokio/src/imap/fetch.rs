//! What FETCH asks for, and the messages it returns.

use std::future::Future;
use std::io;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::Stream;
use mailwire_imap::client::Event;
use mailwire_imap::types::{
    Completion, Data, DateTime, Envelope, FetchAttribute, FetchItems, Flag, FlagFetch,
    MessageDataItem, NonEmpty, Section, SectionText, SeqNumber, SeqRange, SequenceSet, Tag,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use super::{ImapClient, ImapError};

/// What to fetch of each message. The UID is always asked for.
///
/// ```
/// use mailwire_tokio::imap::Items;
///
/// let items = Items::envelope().and_flags().and_size();
/// assert_eq!(items.to_string(), "(UID ENVELOPE FLAGS RFC822.SIZE)");
/// assert_eq!(Items::body().to_string(), "(UID BODY.PEEK[])");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items(Vec<FetchAttribute>);

impl Items {
    fn with(mut self, attribute: FetchAttribute) -> Self {
        if !self.0.contains(&attribute) {
            self.0.push(attribute);
        }
        self
    }

    fn section(text: Option<SectionText>) -> FetchAttribute {
        FetchAttribute::BodySection {
            peek: true,
            section: Section::new(Vec::new(), text).expect("a section of the whole message"),
            partial: None,
        }
    }

    /// The UID alone.
    pub fn uid() -> Self {
        Self(vec![FetchAttribute::Uid])
    }
    /// The flags.
    pub fn flags() -> Self {
        Self::uid().and_flags()
    }
    /// The envelope (date, subject, addresses).
    pub fn envelope() -> Self {
        Self::uid().and_envelope()
    }
    /// The whole message (`BODY.PEEK[]`: it is not marked `\Seen`).
    pub fn body() -> Self {
        Self::uid().and_body()
    }
    /// The flags.
    pub fn and_flags(self) -> Self {
        self.with(FetchAttribute::Flags)
    }
    /// The envelope.
    pub fn and_envelope(self) -> Self {
        self.with(FetchAttribute::Envelope)
    }
    /// The size in octets (`RFC822.SIZE`).
    pub fn and_size(self) -> Self {
        self.with(FetchAttribute::Rfc822Size)
    }
    /// The internal date.
    pub fn and_internal_date(self) -> Self {
        self.with(FetchAttribute::InternalDate)
    }
    /// The whole message, without marking it `\Seen`.
    pub fn and_body(self) -> Self {
        self.with(Self::section(None))
    }
    /// The header (`BODY.PEEK[HEADER]`).
    pub fn and_header(self) -> Self {
        self.with(Self::section(Some(SectionText::Header)))
    }
    /// The body without the header (`BODY.PEEK[TEXT]`).
    pub fn and_text(self) -> Self {
        self.with(Self::section(Some(SectionText::Text)))
    }
    /// Any attribute the codec knows.
    pub fn and(self, attribute: FetchAttribute) -> Self {
        self.with(attribute)
    }

    pub(crate) fn into_items(self) -> FetchItems {
        let attributes =
            NonEmpty::from_vec(self.0).unwrap_or_else(|| NonEmpty::new(FetchAttribute::Uid));
        FetchItems::Attributes(attributes)
    }
}

impl std::fmt::Display for Items {
    /// The items as they go on the wire.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use mailwire_imap::codec::{LiteralMode, encode_command};
        use mailwire_imap::types::{Command, CommandBody, Tag};

        let command = Command::new(
            Tag::new("x").expect("a valid tag"),
            CommandBody::Fetch {
                set: SequenceSet::all(),
                items: self.clone().into_items(),
                changed_since: None,
                uid: false,
            },
        );
        let bytes = encode_command(&command, LiteralMode::Sync).into_bytes();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.strip_prefix("x FETCH 1:* ").unwrap_or(&text);
        let text = text.strip_suffix("\r\n").unwrap_or(text);
        // A single item goes without parentheses; show the list form always.
        if text.starts_with('(') {
            f.write_str(text)
        } else {
            write!(f, "({text})")
        }
    }
}

/// One message as FETCH returned it: what was asked for, and what the server added.
///
/// Body sections up to [`Config::stream_literals_over`](super::Config::stream_literals_over)
/// (64 KiB) are held whole in [`sections`](Self::sections). A longer one is not: it is
/// named in [`streaming`](Self::streaming), and its bytes are read from
/// [`Messages::body`] (or kept with [`Messages::buffer_body`]) before the next message.
/// Items the server sends after a streamed body come as one more `Message` with the same
/// `seq` and `uid`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The message sequence number.
    pub seq: u32,
    /// The UID, when fetched (always, through [`ImapClient`](super::ImapClient)).
    pub uid: Option<u32>,
    /// The flags, when fetched; `\Recent` is [`Message::recent`].
    pub flags: Option<Vec<Flag>>,
    /// Whether the server flagged the message `\Recent`.
    pub recent: bool,
    /// The size in octets (`RFC822.SIZE`).
    pub size: Option<u32>,
    /// The internal date (when the server received it).
    pub internal_date: Option<DateTime>,
    /// The envelope.
    pub envelope: Option<Envelope>,
    /// The body sections fetched, with their data (`None` for NIL).
    pub sections: Vec<(Section, Option<Vec<u8>>)>,
    /// Items this type has no field for.
    pub other: Vec<MessageDataItem>,
    /// The body section whose data streams, and its length in bytes: read it from
    /// [`Messages::body`] before asking for the next message.
    pub streaming: Option<(Section, u32)>,
}

impl Message {
    /// Reads the items of one FETCH response.
    pub fn from_items(seq: NonZeroU32, items: NonEmpty<MessageDataItem>) -> Self {
        Self::from_vec(seq, items.into_vec())
    }

    fn from_vec(seq: NonZeroU32, items: Vec<MessageDataItem>) -> Self {
        let mut m = Self {
            seq: seq.get(),
            uid: None,
            flags: None,
            recent: false,
            size: None,
            internal_date: None,
            envelope: None,
            sections: Vec::new(),
            other: Vec::new(),
            streaming: None,
        };
        for item in items {
            match item {
                MessageDataItem::Uid(uid) => m.uid = Some(uid.get()),
                MessageDataItem::Flags(flags) => {
                    let mut plain = Vec::new();
                    for flag in flags {
                        match flag {
                            FlagFetch::Flag(flag) => plain.push(flag),
                            FlagFetch::Recent => m.recent = true,
                        }
                    }
                    m.flags = Some(plain);
                }
                MessageDataItem::Rfc822Size(size) => m.size = Some(size),
                MessageDataItem::InternalDate(date) => m.internal_date = Some(date),
                MessageDataItem::Envelope(envelope) => m.envelope = Some(*envelope),
                MessageDataItem::BodySection {
                    section,
                    origin: None,
                    data,
                } => m.sections.push((section, data.map(|d| d.into_bytes()))),
                MessageDataItem::Rfc822(data) => m
                    .sections
                    .push((Section::full(), data.map(|d| d.into_bytes()))),
                other => m.other.push(other),
            }
        }
        m
    }

    /// The data of `section`, if fetched and not NIL.
    pub fn section(&self, section: &Section) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(s, _)| s == section)
            .and_then(|(_, data)| data.as_deref())
    }

    /// The whole message (`BODY[]`), if fetched.
    pub fn body(&self) -> Option<&[u8]> {
        self.section(&Section::full())
    }

    /// The header (`BODY[HEADER]`), if fetched.
    pub fn header(&self) -> Option<&[u8]> {
        let header = Section::new(Vec::new(), Some(SectionText::Header)).ok()?;
        self.section(&header)
    }

    /// The body without the header (`BODY[TEXT]`), if fetched.
    pub fn text(&self) -> Option<&[u8]> {
        let text = Section::new(Vec::new(), Some(SectionText::Text)).ok()?;
        self.section(&text)
    }

    /// The whole message as an [`AsyncRead`](tokio::io::AsyncRead), if fetched and held
    /// (not [`streaming`](Self::streaming)).
    pub fn body_reader(&self) -> Option<impl AsyncRead + Unpin + '_> {
        self.body()
    }

    /// Whether the message has `flag` (when flags were fetched).
    pub fn has_flag(&self, flag: &Flag) -> bool {
        self.flags.as_ref().is_some_and(|f| f.contains(flag))
    }
}

/// Messages to name in a command: one number, a list (as SEARCH returns), or a
/// [`SequenceSet`] (`"1:*"` parses into one).
///
/// ```
/// use mailwire_tokio::imap::Ids;
///
/// let set = [9, 1, 2, 3, 7, 10].into_set().unwrap().unwrap();
/// assert_eq!(set.to_string(), "1:3,7,9:10");
/// assert!(Vec::new().as_slice().into_set().unwrap().is_none());
/// assert!(0.into_set().is_err());
/// ```
pub trait Ids {
    /// The set; `None` for an empty list, which names no message.
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError>;
}

impl Ids for u32 {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        let n = NonZeroU32::new(self).ok_or(ImapError::Invalid("message number 0"))?;
        Ok(Some(SequenceSet::single(n)))
    }
}

/// Runs of consecutive numbers go as ranges: `[1, 2, 3, 7, 9, 10]` is `1:3,7,9:10`.
impl Ids for &[u32] {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        let mut sorted = self.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut runs: Vec<(NonZeroU32, NonZeroU32)> = Vec::new();
        for n in sorted {
            let n = NonZeroU32::new(n).ok_or(ImapError::Invalid("message number 0"))?;
            match runs.last_mut() {
                Some((_, last)) if last.checked_add(1) == Some(n) => *last = n,
                _ => runs.push((n, n)),
            }
        }
        let ranges = runs
            .into_iter()
            .map(|(a, b)| match a == b {
                true => SeqRange::Single(SeqNumber::Value(a)),
                false => SeqRange::Range(SeqNumber::Value(a), SeqNumber::Value(b)),
            })
            .collect();
        Ok(SequenceSet::new(ranges).ok())
    }
}

impl Ids for &Vec<u32> {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        self.as_slice().into_set()
    }
}

impl<const N: usize> Ids for [u32; N] {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        self.as_slice().into_set()
    }
}

impl Ids for SequenceSet {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        Ok(Some(self))
    }
}

impl Ids for &SequenceSet {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        Ok(Some(self.clone()))
    }
}

impl Ids for &str {
    fn into_set(self) -> Result<Option<SequenceSet>, ImapError> {
        self.parse()
            .map(Some)
            .map_err(|_| ImapError::Invalid("sequence set"))
    }
}

/// The section a streamed body item stands for.
fn streamed_section(item: &MessageDataItem) -> Option<Section> {
    let text = |t| Section::new(Vec::new(), Some(t)).ok();
    match item {
        MessageDataItem::BodySection { section, .. } => Some(section.clone()),
        MessageDataItem::Rfc822(_) => Some(Section::full()),
        MessageDataItem::Rfc822Header(_) => text(SectionText::Header),
        MessageDataItem::Rfc822Text(_) => text(SectionText::Text),
        MessageDataItem::Binary { part, .. } => Section::new(part.clone(), None).ok(),
        _ => None,
    }
}

/// The messages a FETCH returns, one by one: a [`Stream`], with [`next`](Messages::next)
/// for use without `StreamExt`.
///
/// A message whose body [streams](Message::streaming) is followed by its bytes, read with
/// [`body`](Self::body) (an [`AsyncRead`]) or kept whole with
/// [`buffer_body`](Self::buffer_body). A body not read to its end when the next message
/// is asked for is read and dropped then, so the stream stays in step with the server.
///
/// Dropping the stream before its end leaves the rest of the answer to be read and
/// dropped by the client's next command.
#[must_use = "the messages are read as the stream is polled"]
pub struct Messages<'a> {
    inner: Box<dyn Fetching + Send + 'a>,
}

impl std::fmt::Debug for Messages<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages").finish_non_exhaustive()
    }
}

impl<'a> Messages<'a> {
    pub(super) fn new<IO>(client: &'a mut ImapClient<IO>, tag: Option<Tag>) -> Self
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send,
    {
        Self {
            inner: Box::new(Fetch {
                state: State::Ready(client),
                tag,
                unreceived: 0,
                chunk: Bytes::new(),
                current: None,
                handed: 0,
            }),
        }
    }

    /// The next message, `None` once the FETCH completed; after an error, `None`.
    pub async fn next(&mut self) -> Option<Result<Message, ImapError>> {
        std::future::poll_fn(|cx| self.inner.poll_message(cx)).await
    }

    /// The streaming body of the message last handed out, as an [`AsyncRead`] that ends
    /// with the body; empty when no body streams.
    pub fn body(&mut self) -> Body<'_, 'a> {
        Body { messages: self }
    }

    /// Reads the streaming body of `message` (the message last handed out) into its
    /// [`sections`](Message::sections), so that [`Message::body`] and the like see it:
    /// for a caller that wants the message whole, whatever its size.
    pub async fn buffer_body(&mut self, message: &mut Message) -> Result<(), ImapError> {
        let Some((section, length)) = message.streaming.take() else {
            return Ok(());
        };
        let mut data = Vec::with_capacity(length as usize);
        self.body()
            .read_to_end(&mut data)
            .await
            .map_err(|e| match e.downcast::<ImapError>() {
                Ok(e) => e,
                Err(e) => ImapError::Connection(crate::Error::Io(e)),
            })?;
        message.sections.push((section, Some(data)));
        Ok(())
    }

    /// All the remaining messages, their bodies held whole.
    pub async fn collect(mut self) -> Result<Vec<Message>, ImapError> {
        let mut all = Vec::new();
        while let Some(message) = self.next().await {
            let mut message = message?;
            self.buffer_body(&mut message).await?;
            all.push(message);
        }
        Ok(all)
    }
}

impl Stream for Messages<'_> {
    type Item = Result<Message, ImapError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_message(cx)
    }
}

/// The streaming body of the message [`Messages`] last handed out: an [`AsyncRead`]
/// that ends where the body does. A failure of the connection is an [`io::Error`]
/// wrapping the [`ImapError`].
#[derive(Debug)]
pub struct Body<'m, 'a> {
    messages: &'m mut Messages<'a>,
}

impl Body<'_, '_> {
    /// How many bytes of the body are still to be read.
    pub fn remaining(&self) -> u64 {
        self.messages.inner.remaining()
    }
}

impl AsyncRead for Body<'_, '_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.messages.inner.poll_body(cx, buf)
    }
}

/// A FETCH in progress, whatever the connection's stream.
trait Fetching {
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ImapError>>>;
    fn poll_body(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>>;
    fn remaining(&self) -> u64;
}

type Waiting<'a, IO> =
    Pin<Box<dyn Future<Output = (&'a mut ImapClient<IO>, Result<Event, ImapError>)> + Send + 'a>>;

/// The client, or the wait for its next event, which holds it.
enum State<'a, IO> {
    Ready(&'a mut ImapClient<IO>),
    Waiting(Waiting<'a, IO>),
    Gone,
}

struct Fetch<'a, IO> {
    state: State<'a, IO>,
    /// The FETCH's tag; `None` once it completed or failed.
    tag: Option<Tag>,
    /// Bytes of the streaming body the session has yet to hand out.
    unreceived: u64,
    /// Bytes of the streaming body received and not yet read.
    chunk: Bytes,
    /// The message whose body streamed, with its UID, while the rest of its FETCH data
    /// is due.
    current: Option<(NonZeroU32, Option<u32>)>,
    /// How many of that FETCH data's items were handed out.
    handed: usize,
}

impl<'a, IO> Fetch<'a, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'a,
{
    /// The connection's next event.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, ImapError>> {
        loop {
            match std::mem::replace(&mut self.state, State::Gone) {
                State::Ready(client) => {
                    self.state = State::Waiting(Box::pin(async move {
                        let event = client.next().await;
                        (client, event)
                    }));
                }
                State::Waiting(mut waiting) => match waiting.as_mut().poll(cx) {
                    Poll::Ready((client, event)) => {
                        self.state = State::Ready(client);
                        return Poll::Ready(event);
                    }
                    Poll::Pending => {
                        self.state = State::Waiting(waiting);
                        return Poll::Pending;
                    }
                },
                State::Gone => return Poll::Ready(Err(ImapError::Closed)),
            }
        }
    }

    /// Keeps or drops an event this FETCH does not take.
    fn aside(&mut self, event: Event) -> Result<(), ImapError> {
        match &mut self.state {
            State::Ready(client) => client.aside(event),
            _ => Ok(()),
        }
    }

    /// A message from the items of one FETCH data not handed out before.
    fn message(&mut self, seq: NonZeroU32, mut items: Vec<MessageDataItem>) -> Message {
        let earlier = match self.current {
            Some((s, uid)) if s == seq => {
                items.drain(..self.handed.min(items.len()));
                uid
            }
            _ => None,
        };
        let mut m = Message::from_vec(seq, items);
        m.uid = m.uid.or(earlier);
        m
    }

    /// Reads and drops what is left of a streaming body.
    fn poll_skip_body(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ImapError>> {
        self.chunk.clear();
        while self.unreceived > 0 {
            match ready!(self.poll_chunk(cx)) {
                Ok(()) => self.chunk.clear(),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The next chunk of the streaming body into `chunk`.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ImapError>> {
        loop {
            let event = match ready!(self.poll_event(cx)) {
                Ok(event) => event,
                Err(e) => {
                    self.tag = None;
                    self.unreceived = 0;
                    return Poll::Ready(Err(e));
                }
            };
            match event {
                Event::BodyChunk { tag, data } if Some(&tag) == self.tag.as_ref() => {
                    self.unreceived = self.unreceived.saturating_sub(data.len() as u64);
                    self.chunk = data;
                    return Poll::Ready(Ok(()));
                }
                other => {
                    if let Err(e) = self.aside(other) {
                        self.tag = None;
                        self.unreceived = 0;
                        return Poll::Ready(Err(e));
                    }
                }
            }
        }
    }
}

impl<'a, IO> Fetching for Fetch<'a, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'a,
{
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, ImapError>>> {
        if self.tag.is_none() {
            return Poll::Ready(None);
        }
        if let Err(e) = ready!(self.poll_skip_body(cx)) {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            let Some(wanted) = self.tag.clone() else {
                return Poll::Ready(None);
            };
            let event = match ready!(self.poll_event(cx)) {
                Ok(event) => event,
                Err(e) => {
                    self.tag = None;
                    return Poll::Ready(Some(Err(e)));
                }
            };
            match event {
                Event::Answer {
                    tag,
                    data: Data::Fetch { seq, items },
                } if tag == wanted => {
                    let items = items.into_vec();
                    let tail = matches!(self.current, Some((s, _)) if s == seq);
                    // The rest of a message whose body streamed, if anything came after it.
                    let nothing_new = tail && items.len() <= self.handed;
                    let m = self.message(seq, items);
                    self.current = None;
                    self.handed = 0;
                    if nothing_new {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(m)));
                }
                Event::BodyStart {
                    tag,
                    seq,
                    mut items,
                    length,
                } if tag == wanted => {
                    let streamed = items.pop();
                    let count = items.len() + 1;
                    let mut m = self.message(seq, items);
                    m.streaming = streamed
                        .as_ref()
                        .and_then(streamed_section)
                        .map(|s| (s, length));
                    self.current = Some((seq, m.uid));
                    self.handed = count;
                    self.unreceived = u64::from(length);
                    return Poll::Ready(Some(Ok(m)));
                }
                Event::Completed {
                    tag,
                    completion,
                    text,
                    ..
                } if tag == wanted => {
                    self.tag = None;
                    return Poll::Ready(match completion {
                        Completion::Ok => None,
                        _ => Some(Err(ImapError::Refused { completion, text })),
                    });
                }
                other => {
                    if let Err(e) = self.aside(other) {
                        self.tag = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
        }
    }

    fn poll_body(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.chunk.is_empty() {
                let n = buf.remaining().min(self.chunk.len());
                buf.put_slice(&self.chunk.split_to(n));
                return Poll::Ready(Ok(()));
            }
            if self.unreceived == 0 || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if let Err(e) = ready!(self.poll_chunk(cx)) {
                return Poll::Ready(Err(io::Error::other(e)));
            }
        }
    }

    fn remaining(&self) -> u64 {
        self.unreceived + self.chunk.len() as u64
    }
}

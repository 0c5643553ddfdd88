//! What FETCH asks for, and the messages it returns.

use std::num::NonZeroU32;

use mailwire_imap::types::{
    DateTime, Envelope, FetchAttribute, FetchItems, Flag, FlagFetch, MessageDataItem, NonEmpty,
    Section, SectionText, SeqNumber, SeqRange, SequenceSet,
};

use super::ImapError;

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
/// Bodies are held whole: the client session decodes each FETCH response entire before
/// handing it on, so a message's body sections are in memory once the message is yielded
/// (one message at a time, not the whole set). [`body_reader`](Self::body_reader) gives
/// them as an [`AsyncRead`](tokio::io::AsyncRead), the form a streamed body will keep.
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
}

impl Message {
    /// Reads the items of one FETCH response.
    pub fn from_items(seq: NonZeroU32, items: NonEmpty<MessageDataItem>) -> Self {
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
        };
        for item in items.into_vec() {
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

    /// The whole message as an [`AsyncRead`](tokio::io::AsyncRead), if fetched.
    pub fn body_reader(&self) -> Option<impl tokio::io::AsyncRead + Unpin + '_> {
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

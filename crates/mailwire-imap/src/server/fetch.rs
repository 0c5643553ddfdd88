//! FETCH assembly: the items asked for, expanded, written line by line into the output,
//! from the item cache where it can.

use std::num::NonZeroU32;

use super::event::{Event, FlagChange, StoredMessage};
use super::flags::write_grown_flags;
use super::item_cache::CachedItem;
use super::view::View;
use super::{Pending, Session, State};
use crate::codec::encode::Writer;
use crate::codec::encode_response;
use crate::message::ParsedMessage;
use crate::types::{
    Data, FetchAttribute, FetchItems, Flag, MessageDataItem, NonEmpty, Partial, Response, Section,
    Tag,
};

pub(super) fn expand(items: FetchItems) -> Vec<FetchAttribute> {
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

/// Whether an attribute is answered from the message's content, which
/// [`Event::Messages`](super::Event::Messages) asks for; the others come from the view,
/// and a whole message is streamed ([`whole_message`]).
pub(super) fn needs_content(a: &FetchAttribute) -> bool {
    match a {
        FetchAttribute::Envelope
        | FetchAttribute::Body
        | FetchAttribute::BodyStructure
        | FetchAttribute::Rfc822Header
        | FetchAttribute::Rfc822Text => true,
        FetchAttribute::BodySection { section, .. } => !is_whole(section),
        _ => false,
    }
}

fn is_whole(section: &Section) -> bool {
    section.part().is_empty() && section.text().is_none()
}

/// For an item that is the whole message (`BODY[]`, `BODY.PEEK[]`, `RFC822`, `BINARY[]`,
/// `BINARY.PEEK[]`), its octet range: the session writes it as a literal whose bytes the
/// application streams ([`Event::Content`](super::Event::Content)).
pub(super) fn whole_message(a: &FetchAttribute) -> Option<Option<Partial>> {
    match a {
        FetchAttribute::Rfc822 => Some(None),
        FetchAttribute::BodySection {
            section, partial, ..
        } if is_whole(section) => Some(*partial),
        FetchAttribute::Binary { part, partial, .. } if part.is_empty() => Some(*partial),
        _ => None,
    }
}

/// The first octet and the length of `partial` in a message of `size` octets (RFC 3501
/// §6.4.5): cut short at the end, empty past it.
pub(super) fn clip(size: u32, partial: Option<Partial>) -> (u64, u64) {
    match partial {
        None => (0, u64::from(size)),
        Some(p) => (
            u64::from(p.offset),
            u64::from(p.length.get().min(size.saturating_sub(p.offset))),
        ),
    }
}

/// Whether an attribute sets `\Seen` (RFC 3501 §6.4.5, RFC 3516 §4.2).
pub(super) fn sets_seen(a: &FetchAttribute) -> bool {
    match a {
        FetchAttribute::Rfc822
        | FetchAttribute::Rfc822Text
        | FetchAttribute::BodySection { peek: false, .. } => true,
        FetchAttribute::Binary { peek: false, .. } => whole_message(a).is_some(),
        _ => false,
    }
}

/// One FETCH command being answered, message by message and item by item. Its answer
/// stops where a streamed literal begins and goes on from there once the application has
/// sent the literal's bytes.
#[derive(Debug)]
pub(super) struct FetchJob {
    pub(super) tag: Tag,
    pub(super) attributes: Vec<FetchAttribute>,
    /// `(seq, uid)`, ascending.
    pub(super) targets: Vec<(u32, u32)>,
    pub(super) uid: bool,
    /// The content of the messages, by UID, when an item reads it.
    pub(super) messages: Vec<StoredMessage>,
    /// UIDs whose `\Seen` this FETCH set, ascending: their flags go with them.
    pub(super) newly_seen: Vec<u32>,
    /// The target being answered.
    target: usize,
    /// The end of the window of targets whose content is at hand (see
    /// [`FETCH_WINDOW_BYTES`]).
    pub(super) window_end: usize,
    /// Its next attribute; 0 while its line has not begun.
    item: usize,
    /// Items written on its line so far.
    count: usize,
}

impl FetchJob {
    pub(super) fn new(
        tag: Tag,
        attributes: Vec<FetchAttribute>,
        targets: Vec<(u32, u32)>,
        uid: bool,
    ) -> Self {
        Self {
            tag,
            attributes,
            targets,
            uid,
            messages: Vec::new(),
            newly_seen: Vec::new(),
            target: 0,
            window_end: 0,
            item: 0,
            count: 0,
        }
    }

    /// The targets of the current window.
    pub(super) fn window(&self) -> &[(u32, u32)] {
        self.targets
            .get(self.target..self.window_end)
            .unwrap_or_default()
    }

    /// Whether an item reads the messages' content.
    pub(super) fn needs_content(&self) -> bool {
        self.attributes.iter().any(needs_content)
    }

    /// Whether the answer leaves `uid` out: a message whose content is needed and was not
    /// provided, or one known to be expunged elsewhere whose content would be streamed,
    /// has nothing to say. (One not yet known to be gone is streamed, and if the store
    /// cannot, the connection closes.)
    fn skips(&self, view: &View, uid: u32) -> bool {
        (self.needs_content() && find(&self.messages, uid).is_none())
            || (self.attributes.iter().any(|a| whole_message(a).is_some())
                && view.expunged_elsewhere(uid))
    }
}

/// Octets of message content a FETCH that reads content asks for at once: its targets are
/// answered in windows of messages whose sizes add up to this (at least one message each),
/// so that `FETCH 1:* ENVELOPE` on a large mailbox holds a few messages at a time, not all.
pub(super) const FETCH_WINDOW_BYTES: u64 = 4 << 20;

impl Session {
    /// Answers the next window of `job`'s targets: asks for their content with
    /// [`Event::Messages`](super::Event::Messages) when an item reads it, then goes on with
    /// [`fetch_start`](Self::fetch_start). Without such items the window is every target.
    pub(super) fn fetch_window(&mut self, mut job: Box<FetchJob>) {
        job.messages.clear();
        if !job.needs_content() {
            job.window_end = job.targets.len();
            self.fetch_start(job);
            return;
        }
        let mut end = job.target;
        let mut bytes = 0u64;
        if let Some(v) = self.view() {
            while let Some(&(seq, _)) = job.targets.get(end) {
                let size = usize::try_from(seq)
                    .ok()
                    .and_then(|s| s.checked_sub(1))
                    .and_then(|i| v.messages.get(i))
                    .map_or(0, |m| u64::from(m.size));
                if end > job.target && bytes + size > FETCH_WINDOW_BYTES {
                    break;
                }
                bytes += size;
                end += 1;
            }
        }
        job.window_end = end.max((job.target + 1).min(job.targets.len()));
        let uids = job.window().iter().map(|&(_, u)| u).collect();
        self.ask(Pending::Fetch(job), Event::Messages { uids });
    }

    /// Starts answering FETCH once the messages it reads are at hand: first, when it sets
    /// `\Seen` on messages without it, asks [`Event::StoreFlags`](super::Event::StoreFlags)
    /// (the answer comes with [`flags_stored`](Session::flags_stored)); otherwise answers.
    pub(super) fn fetch_start(&mut self, job: Box<FetchJob>) {
        let asked: Vec<u32> = match self.view() {
            Some(v) if !v.read_only && job.attributes.iter().any(sets_seen) => job
                .window()
                .iter()
                .filter(|&&(seq, u)| !v.has_flag(seq, &Flag::Seen) && !job.skips(v, u))
                .map(|&(_, u)| u)
                .collect(),
            _ => Vec::new(),
        };
        if asked.is_empty() {
            self.fetch_run(job);
            return;
        }
        self.ask(
            Pending::FetchSeen {
                job,
                asked: asked.clone(),
            },
            Event::StoreFlags {
                uids: asked,
                change: FlagChange::Add(vec![Flag::Seen]),
            },
        );
    }

    /// Writes the FETCH answer from where `job` stands: to its end and the tagged OK, or
    /// up to a streamed literal, whose bytes [`Event::Content`](super::Event::Content)
    /// asks for.
    pub(super) fn fetch_run(&mut self, mut job: Box<FetchJob>) {
        // RFC 3501 §6.4.5: a \Seen set by this FETCH is reported with it.
        let report_flags =
            !job.newly_seen.is_empty() && !job.attributes.contains(&FetchAttribute::Flags);
        // The lines go straight into the output queue, borrowed beside the view.
        let out = self.conduit.output();
        let mut scratch = Vec::new();
        let mut line = Vec::new();
        let mut literal = None;
        if let State::Selected(v) = &mut self.state {
            'targets: while let Some(&(seq, u)) = job.window().first() {
                line.clear();
                if job.item == 0 {
                    // Between lines: what was reported while a literal streamed is taken
                    // in, and a keyword set elsewhere since the last FLAGS told first.
                    v.release();
                    write_grown_flags(v, out);
                }
                let info = NonZeroU32::new(seq).and_then(|seq| {
                    usize::try_from(seq.get() - 1)
                        .ok()
                        .and_then(|i| v.messages.get(i))
                        .map(|info| (seq, info))
                });
                let stored = find(&job.messages, u);
                let Some((seq, info)) = info.filter(|_| job.item > 0 || !job.skips(v, u)) else {
                    job.target += 1;
                    continue;
                };
                if job.item == 0 {
                    line.extend_from_slice(b"* ");
                    Writer::with_buffer(&mut line).num(seq.get());
                    line.extend_from_slice(b" FETCH (");
                    job.count = 0;
                }
                // Parsed on first need: not at all when every item is kept already.
                let mut parsed = None;
                while let Some(a) = job.attributes.get(job.item) {
                    job.item += 1;
                    if let Some(partial) = whole_message(a) {
                        let (offset, len) = clip(info.size, partial);
                        write_literal_start(&mut line, &mut job.count, a, partial, len);
                        if len > 0 {
                            literal = Some((u, offset, len));
                            break 'targets;
                        }
                        continue;
                    }
                    let kept = match a {
                        FetchAttribute::Envelope => Some(CachedItem::Envelope),
                        FetchAttribute::Body => Some(CachedItem::Body),
                        FetchAttribute::BodyStructure => Some(CachedItem::BodyStructure),
                        _ => None,
                    };
                    if let Some(bytes) = kept.and_then(|k| v.cache.get(u, k)) {
                        push_item(&mut line, &mut job.count, bytes);
                        continue;
                    }
                    // The structure items are written straight into the line.
                    if let (Some(k), Some(m)) = (kept, stored) {
                        let p = parsed.get_or_insert_with(|| ParsedMessage::parse(&m.raw));
                        if job.count > 0 {
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
                        job.count += 1;
                        v.cache.insert(u, k, &line[start..]);
                        continue;
                    }
                    if *a == FetchAttribute::Flags {
                        write_flags(&mut line, &mut job.count, &info.flags, info.recent);
                        continue;
                    }
                    let item = match a {
                        FetchAttribute::Uid => NonZeroU32::new(u).map(MessageDataItem::Uid),
                        FetchAttribute::InternalDate => {
                            Some(MessageDataItem::InternalDate(info.internal_date))
                        }
                        FetchAttribute::Rfc822Size => Some(MessageDataItem::Rfc822Size(info.size)),
                        other if needs_content(other) => stored.and_then(|m| {
                            parsed
                                .get_or_insert_with(|| ParsedMessage::parse(&m.raw))
                                .fetch(other)
                        }),
                        _ => None,
                    };
                    let Some(item) = item else { continue };
                    let bytes = encode_item(seq, item, &mut scratch);
                    push_item(&mut line, &mut job.count, bytes);
                    if let Some(k) = kept {
                        v.cache.insert(u, k, bytes);
                    }
                }
                if report_flags && job.newly_seen.binary_search(&u).is_ok() {
                    write_flags(&mut line, &mut job.count, &info.flags, info.recent);
                }
                // A line that began before a literal is closed even if nothing follows it.
                if job.count > 0 {
                    line.extend_from_slice(b")\r\n");
                    out.extend_from_slice(&line);
                }
                job.target += 1;
                job.item = 0;
            }
        }
        if let Some((uid, offset, len)) = literal {
            out.extend_from_slice(&line);
            self.ask(
                Pending::Content { job, left: len },
                Event::Content { uid, offset, len },
            );
            return;
        }
        if job.target < job.targets.len() {
            self.fetch_window(job);
            return;
        }
        let name = if job.uid { "UID FETCH" } else { "FETCH" };
        let uid = job.uid;
        self.finish(job.tag, &format!("{name} completed"), uid);
    }
}

/// Writes a streamed item's name, its origin and its literal's announcement, `{len}` CRLF
/// (`~{len}` for `BINARY`, whose data may hold NUL), after the items already on the line.
fn write_literal_start(
    line: &mut Vec<u8>,
    count: &mut usize,
    a: &FetchAttribute,
    partial: Option<Partial>,
    len: u64,
) {
    if *count > 0 {
        line.push(b' ');
    }
    let binary = matches!(a, FetchAttribute::Binary { .. });
    let mut w = Writer::with_buffer(std::mem::take(line));
    w.raw(match a {
        FetchAttribute::Rfc822 => b"RFC822".as_slice(),
        FetchAttribute::Binary { .. } => b"BINARY[]",
        _ => b"BODY[]",
    });
    if let Some(p) = partial {
        w.raw(b"<");
        w.num(p.offset);
        w.raw(b">");
    }
    w.raw(if binary { b" ~{" } else { b" {" });
    w.num(len);
    w.raw(b"}\r\n");
    *line = w.out;
    *count += 1;
}

/// One FETCH item as the codec encodes it inside a FETCH response, written into `scratch`.
pub(super) fn encode_item(seq: NonZeroU32, item: MessageDataItem, scratch: &mut Vec<u8>) -> &[u8] {
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
pub(super) fn write_flags(line: &mut Vec<u8>, count: &mut usize, flags: &[Flag], recent: bool) {
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
pub(super) fn push_item(line: &mut Vec<u8>, count: &mut usize, item: &[u8]) {
    if *count > 0 {
        line.push(b' ');
    }
    line.extend_from_slice(item);
    *count += 1;
}

/// The message with `uid` among messages sorted by UID.
pub(super) fn find(messages: &[StoredMessage], uid: u32) -> Option<&StoredMessage> {
    messages
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        .and_then(|i| messages.get(i))
}

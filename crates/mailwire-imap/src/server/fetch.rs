//! FETCH assembly: the items asked for, expanded, written line by line into the output,
//! from the item cache where it can.

use std::num::NonZeroU32;

use super::event::{Event, FlagChange, StoredMessage};
use super::item_cache::CachedItem;
use super::{Pending, Session, State};
use crate::codec::encode::Writer;
use crate::codec::encode_response;
use crate::message::ParsedMessage;
use crate::types::{
    Data, FetchAttribute, FetchItems, Flag, MessageDataItem, NonEmpty, Response, Tag,
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
/// [`Event::Messages`](super::Event::Messages) asks for; the others come from the view.
pub(super) fn needs_content(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::Envelope
            | FetchAttribute::Body
            | FetchAttribute::BodyStructure
            | FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Header
            | FetchAttribute::Rfc822Text
            | FetchAttribute::BodySection { .. }
    )
}

/// Whether an attribute sets `\Seen` (RFC 3501 §6.4.5).
pub(super) fn sets_seen(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Text
            | FetchAttribute::BodySection { peek: false, .. }
    )
}

impl Session {
    /// Starts answering FETCH once the messages it reads are at hand: first, when it sets
    /// `\Seen` on messages without it, asks [`Event::StoreFlags`](super::Event::StoreFlags)
    /// and returns `true` (the answer comes with
    /// [`flags_stored`](Session::flags_stored)); otherwise writes the answer.
    pub(super) fn fetch_start(
        &mut self,
        tag: Tag,
        attributes: Vec<FetchAttribute>,
        targets: Vec<(u32, u32)>,
        uid: bool,
        messages: Vec<StoredMessage>,
    ) -> bool {
        let needs_store = attributes.iter().any(needs_content);
        let asked: Vec<u32> = match self.view() {
            Some(v) if !v.read_only && attributes.iter().any(sets_seen) => targets
                .iter()
                .filter(|&&(seq, u)| {
                    !v.has_flag(seq, &Flag::Seen) && (!needs_store || find(&messages, u).is_some())
                })
                .map(|&(_, u)| u)
                .collect(),
            _ => Vec::new(),
        };
        if asked.is_empty() {
            self.fetch_reply(tag, &attributes, &targets, uid, &messages, &[]);
            return false;
        }
        self.ask(
            Pending::FetchSeen {
                tag,
                attributes,
                targets,
                uid,
                messages,
                asked: asked.clone(),
            },
            Event::StoreFlags {
                uids: asked,
                change: FlagChange::Add(vec![Flag::Seen]),
            },
        );
        true
    }

    pub(super) fn fetch_reply(
        &mut self,
        tag: Tag,
        attributes: &[FetchAttribute],
        targets: &[(u32, u32)],
        uid: bool,
        messages: &[StoredMessage],
        newly_seen: &[u32],
    ) {
        let needs_store = attributes.iter().any(needs_content);
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
                // The whole line is assembled here and goes into the output in one piece.
                line.clear();
                line.extend_from_slice(b"* ");
                Writer::with_buffer(&mut line).num(seq.get());
                line.extend_from_slice(b" FETCH (");
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
                            Some(MessageDataItem::InternalDate(info.internal_date))
                        }
                        FetchAttribute::Rfc822Size => Some(MessageDataItem::Rfc822Size(info.size)),
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
                    line.extend_from_slice(b")\r\n");
                    out.extend_from_slice(&line);
                }
            }
        }
        let name = if uid { "UID FETCH" } else { "FETCH" };
        self.finish(tag, &format!("{name} completed"), uid);
    }
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

//! Flag arithmetic: STORE's changes, the flags a FETCH reports, and the messages
//! marked `\\Deleted`.

use std::num::NonZeroU32;

use bytes::BytesMut;

use super::view::View;
use crate::codec::encode_response;
use crate::types::{
    Code, Condition, Data, Flag, FlagFetch, MessageDataItem, NonEmpty, Response, SequenceSet,
    Status, StoreKind, Text,
};

/// The text of the `OK [PERMANENTFLAGS (…)]` response.
pub(super) const PERMANENT_FLAGS_TEXT: &str = "Limited";

/// When the view's FLAGS list grew, writes it again (RFC 3501 §7.2.6) and, in a read-write
/// mailbox, PERMANENTFLAGS (§7.1): to be called before any line that could report the new
/// keywords, so that the client knows them first.
pub(super) fn write_grown_flags(view: &mut View, out: &mut BytesMut) {
    if !view.take_flags_grew() {
        return;
    }
    encode_response(&Response::Data(Data::Flags(view.flags().to_vec())), out);
    if view.read_only {
        return;
    }
    if let Ok(text) = Text::new(PERMANENT_FLAGS_TEXT.to_owned()) {
        let status = Status {
            condition: Condition::Ok,
            code: Some(Code::PermanentFlags(view.permanent_flags())),
            text,
        };
        encode_response(&Response::Status(status), out);
    }
}

/// An untagged `FETCH (FLAGS (…) [UID n])` for a message of the view.
pub(super) fn flags_response(view: &View, seq: u32, uid: Option<u32>) -> Option<Response> {
    let m = view.by_seq(seq)?;
    let mut items = NonEmpty::new(MessageDataItem::Flags(flag_fetch(&m.flags, m.recent)));
    if let Some(uid) = uid.and_then(NonZeroU32::new) {
        items.push(MessageDataItem::Uid(uid));
    }
    Some(Response::Data(Data::Fetch {
        seq: NonZeroU32::new(seq)?,
        items,
    }))
}

pub(super) fn flag_fetch(flags: &[Flag], recent: bool) -> Vec<FlagFetch> {
    let mut out: Vec<FlagFetch> = flags.iter().cloned().map(FlagFetch::Flag).collect();
    if recent {
        out.push(FlagFetch::Recent);
    }
    out
}

pub(super) fn store(current: &[Flag], kind: StoreKind, flags: &[Flag]) -> Vec<Flag> {
    match kind {
        StoreKind::Replace => {
            let mut out: Vec<Flag> = Vec::new();
            for f in flags {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
            out
        }
        StoreKind::Add => {
            let mut out = current.to_vec();
            for f in flags {
                if !out.contains(f) {
                    out.push(f.clone());
                }
            }
            out
        }
        StoreKind::Remove => current
            .iter()
            .filter(|f| !flags.contains(f))
            .cloned()
            .collect(),
    }
}

/// UIDs of messages marked `\Deleted`, limited to `set` (UID EXPUNGE).
pub(super) fn deleted_uids(v: &View, set: Option<&SequenceSet>) -> Vec<u32> {
    let largest = v.largest_uid();
    v.messages
        .iter()
        .filter(|m| m.flags.contains(&Flag::Deleted))
        .filter(|m| set.is_none_or(|s| s.contains(m.uid, largest)))
        .map(|m| m.uid)
        .collect()
}

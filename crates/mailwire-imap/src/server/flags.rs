//! Flag arithmetic: STORE's changes, the flags a FETCH reports, and the messages
//! marked `\\Deleted`.

use std::num::NonZeroU32;

use super::view::View;
use crate::types::{
    Data, Flag, FlagFetch, MessageDataItem, NonEmpty, Response, SequenceSet, StoreKind,
};

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

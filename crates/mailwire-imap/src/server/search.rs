//! SEARCH: which keys need the stored messages, and the answer once they are given.

use std::num::NonZeroU32;

use super::Session;
use super::event::StoredMessage;
use super::fetch::find;
use crate::message::ParsedMessage;
use crate::message::search::{Candidate, matches_all, needs_message, reads_body};
use crate::types::{Data, Response, SearchKey, Tag};

/// Whether keys read the stored messages' content: flags, numbers, INTERNALDATE and
/// sizes come from the view.
pub(super) fn search_needs_store(keys: &[SearchKey]) -> bool {
    keys.iter().any(|k| match k {
        SearchKey::Larger(_) | SearchKey::Smaller(_) => false,
        SearchKey::Not(k) => search_needs_store(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => {
            search_needs_store(std::slice::from_ref(a))
                || search_needs_store(std::slice::from_ref(b))
        }
        SearchKey::And(ks) => search_needs_store(ks),
        k => needs_message(std::slice::from_ref(k)),
    })
}

impl Session {
    pub(super) fn search_reply(
        &mut self,
        tag: Tag,
        keys: &[SearchKey],
        uid: bool,
        messages: &[StoredMessage],
    ) {
        let mut ids = Vec::new();
        let parse = if reads_body(keys) {
            ParsedMessage::parse_full
        } else {
            ParsedMessage::parse
        };
        if let Some(v) = self.view() {
            let largest_seq = v.exists();
            let largest_uid = v.largest_uid();
            for (i, info) in v.messages.iter().enumerate() {
                let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let stored = find(messages, info.uid);
                let parsed = stored.map(|m| parse(&m.raw));
                let c = Candidate {
                    seq,
                    uid: info.uid,
                    largest_seq,
                    largest_uid,
                    flags: &info.flags,
                    recent: info.recent,
                    internal_date: Some(info.internal_date),
                    size: Some(info.size),
                    message: parsed.as_ref(),
                };
                if matches_all(keys, &c) {
                    ids.extend(NonZeroU32::new(if uid { info.uid } else { seq }));
                }
            }
        }
        self.write(&Response::Data(Data::Search { ids, modseq: None }));
        let name = if uid { "UID SEARCH" } else { "SEARCH" };
        self.finish(tag, &format!("{name} completed"), uid);
    }
}

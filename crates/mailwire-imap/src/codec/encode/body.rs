//! ENVELOPE and BODYSTRUCTURE encoding.

use bytes::BufMut;

use super::Writer;
use crate::types::{
    Address, Body, BodyExtension, BodyKind, BodyStructure, DispositionExtension, Envelope, IString,
};

pub(super) fn envelope(w: &mut Writer<impl BufMut>, e: &Envelope) {
    w.raw(b"(");
    w.nstring(&e.date);
    w.sp();
    w.nstring(&e.subject);
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        w.sp();
        addresses(w, list);
    }
    w.sp();
    w.nstring(&e.in_reply_to);
    w.sp();
    w.nstring(&e.message_id);
    w.raw(b")");
}

fn addresses(w: &mut Writer<impl BufMut>, list: &[Address]) {
    if list.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.raw(b"(");
    for a in list {
        w.raw(b"(");
        w.nstring(&a.name);
        w.sp();
        w.nstring(&a.adl);
        w.sp();
        w.nstring(&a.mailbox);
        w.sp();
        w.nstring(&a.host);
        w.raw(b")");
    }
    w.raw(b")");
}

fn params(w: &mut Writer<impl BufMut>, params: &[(IString, IString)]) {
    if params.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.raw(b"(");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            w.sp();
        }
        w.istring(k);
        w.sp();
        w.istring(v);
    }
    w.raw(b")");
}

pub(super) fn body_structure(w: &mut Writer<impl BufMut>, b: &BodyStructure, extensions: bool) {
    w.raw(b"(");
    match b {
        BodyStructure::Single { body, extension } => {
            single(w, body, extensions);
            if let (true, Some(ext)) = (extensions, extension) {
                w.sp();
                w.nstring(&ext.md5);
                disposition_tail(w, ext.tail.as_ref());
            }
        }
        BodyStructure::Multi {
            bodies,
            subtype,
            extension,
        } => {
            for part in bodies {
                body_structure(w, part, extensions);
            }
            w.sp();
            w.istring(subtype);
            if let (true, Some(ext)) = (extensions, extension) {
                w.sp();
                params(w, &ext.params);
                disposition_tail(w, ext.tail.as_ref());
            }
        }
    }
    w.raw(b")");
}

fn single(w: &mut Writer<impl BufMut>, body: &Body, extensions: bool) {
    match &body.kind {
        BodyKind::Basic {
            media_type,
            subtype,
        } => {
            w.istring(media_type);
            w.sp();
            w.istring(subtype);
        }
        BodyKind::Text { subtype, .. } => {
            w.raw(b"\"TEXT\" ");
            w.istring(subtype);
        }
        BodyKind::Message { .. } => w.raw(b"\"MESSAGE\" \"RFC822\""),
    }
    w.sp();
    params(w, &body.params);
    w.sp();
    w.nstring(&body.id);
    w.sp();
    w.nstring(&body.description);
    w.sp();
    w.istring(&body.encoding);
    w.sp();
    w.num(body.octets);
    match &body.kind {
        BodyKind::Basic { .. } => {}
        BodyKind::Text { lines, .. } => {
            w.sp();
            w.num(*lines);
        }
        BodyKind::Message {
            envelope: e,
            body: inner,
            lines,
        } => {
            w.sp();
            envelope(w, e);
            w.sp();
            body_structure(w, inner, extensions);
            w.sp();
            w.num(*lines);
        }
    }
}

fn disposition_tail(w: &mut Writer<impl BufMut>, tail: Option<&DispositionExtension>) {
    let Some(d) = tail else { return };
    w.sp();
    match &d.disposition {
        None => w.raw(b"NIL"),
        Some(dsp) => {
            w.raw(b"(");
            w.istring(&dsp.kind);
            w.sp();
            params(w, &dsp.params);
            w.raw(b")");
        }
    }
    let Some(lang) = &d.tail else { return };
    w.sp();
    match lang.languages.as_slice() {
        [] => w.raw(b"NIL"),
        [one] => w.istring(one),
        many => w.list(many, Writer::istring),
    }
    let Some(loc) = &lang.tail else { return };
    w.sp();
    w.nstring(&loc.location);
    for ext in &loc.extensions {
        w.sp();
        body_extension(w, ext);
    }
}

fn body_extension(w: &mut Writer<impl BufMut>, ext: &BodyExtension) {
    match ext {
        BodyExtension::String(s) => w.nstring(s),
        BodyExtension::Number(n) => w.num(*n),
        BodyExtension::List(items) => w.list(items, body_extension),
    }
}

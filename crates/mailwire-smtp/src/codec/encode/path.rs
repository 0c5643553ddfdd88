//! Encoding paths: `<>`, `<Postmaster>` and `<local-part@host>`.

use bytes::BufMut;

use crate::types::path::{ForwardPath, Host, Mailbox, ReversePath};

impl ReversePath {
    pub(crate) fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Null => out.put_slice(b"<>"),
            Self::Mailbox(m) => encode_mailbox(m, out),
        }
    }
}

impl ForwardPath {
    pub(crate) fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Postmaster => out.put_slice(b"<Postmaster>"),
            Self::Mailbox(m) => encode_mailbox(m, out),
        }
    }
}

fn encode_mailbox(m: &Mailbox, out: &mut impl BufMut) {
    out.put_u8(b'<');
    out.put_slice(m.local_part().as_bytes());
    out.put_u8(b'@');
    match &m.host {
        Host::Domain(d) => out.put_slice(d.as_str().as_bytes()),
        Host::Literal(l) => out.put_slice(l.to_string().as_bytes()),
    }
    out.put_u8(b'>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn encoding_writes_the_path() {
        let mut out = Vec::new();
        ForwardPath::Postmaster.encode(&mut out);
        ReversePath::Null.encode(&mut out);
        ReversePath::Mailbox(mailbox("u@[IPv6:::1]")).encode(&mut out);
        assert_eq!(out, b"<Postmaster><><u@[IPv6:::1]>");
    }
}

//! Encoding the ESMTP parameters of MAIL and RCPT.

use bytes::BufMut;

use crate::types::grammar::put_u64;
use crate::types::param::{MailParameters, Notify, Parameter, RcptParameters, Ret};
use crate::types::xtext::XText;

impl Notify {
    fn encode(self, out: &mut impl BufMut) {
        if self == Self::NEVER {
            return out.put_slice(b"NEVER");
        }
        let words = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ];
        let mut first = true;
        for (_, word) in words.into_iter().filter(|(on, _)| *on) {
            if !first {
                out.put_u8(b',');
            }
            first = false;
            out.put_slice(word.as_bytes());
        }
    }
}

impl Parameter {
    fn encode(&self, out: &mut impl BufMut) {
        out.put_slice(self.keyword.as_bytes());
        if let Some(v) = &self.value {
            out.put_u8(b'=');
            out.put_slice(v.as_bytes());
        }
    }
}

impl MailParameters {
    /// Writes the parameters, each preceded by a space.
    pub(crate) fn encode(&self, out: &mut impl BufMut) {
        if let Some(size) = self.size {
            out.put_slice(b" SIZE=");
            put_u64(out, size);
        }
        if let Some(body) = self.body {
            out.put_slice(b" BODY=");
            out.put_slice(body.as_str().as_bytes());
        }
        if self.smtputf8 {
            out.put_slice(b" SMTPUTF8");
        }
        match self.ret {
            Some(Ret::Full) => out.put_slice(b" RET=FULL"),
            Some(Ret::Headers) => out.put_slice(b" RET=HDRS"),
            None => {}
        }
        for (keyword, value) in [(&b" ENVID="[..], &self.envid), (b" AUTH=", &self.auth)] {
            if let Some(x) = value {
                out.put_slice(keyword);
                encode_nonempty_xtext(x, out);
            }
        }
        if self.requiretls {
            out.put_slice(b" REQUIRETLS");
        }
        for param in &self.other {
            out.put_u8(b' ');
            param.encode(out);
        }
    }
}

/// An empty value has no `esmtp-value` form (which needs at least one octet); it is
/// written as `<>`, the "no identity" value of AUTH=.
fn encode_nonempty_xtext(x: &XText, out: &mut impl BufMut) {
    if x.as_bytes().is_empty() {
        out.put_slice(b"<>");
    } else {
        x.encode(out);
    }
}

impl RcptParameters {
    /// Writes the parameters, each preceded by a space.
    pub(crate) fn encode(&self, out: &mut impl BufMut) {
        if let Some(notify) = self.notify {
            out.put_slice(b" NOTIFY=");
            notify.encode(out);
        }
        if let Some(orcpt) = &self.orcpt {
            out.put_slice(b" ORCPT=");
            out.put_slice(orcpt.addr_type().as_bytes());
            out.put_u8(b';');
            orcpt.address.encode(out);
        }
        for param in &self.other {
            out.put_u8(b' ');
            param.encode(out);
        }
    }
}

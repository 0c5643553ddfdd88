//! The GS2 header that starts the client's first message in SCRAM (RFC 5802 §7) and
//! OAUTHBEARER (RFC 7628 §3.1), both following RFC 5801 §4:
//!
//! ```text
//! gs2-header = gs2-cb-flag "," [ gs2-authzid ] ","
//! gs2-cb-flag = ("p=" cb-name) / "n" / "y"
//! gs2-authzid = "a=" saslname
//! ```

use crate::error::AuthError;
use crate::scram::decode_saslname;

/// A client message split after its GS2 header.
#[derive(Debug)]
pub(crate) struct Gs2<'a> {
    /// The header itself, both commas included (SCRAM echoes it in `c=`).
    pub(crate) header: &'a str,
    /// The authorization identity, if the client named one.
    pub(crate) authzid: Option<String>,
    /// What follows the header.
    pub(crate) rest: &'a str,
}

/// Splits a client's first message after its GS2 header. Channel binding (`p=`) is not
/// supported: the mechanisms here run without it.
pub(crate) fn split(message: &[u8]) -> Result<Gs2<'_>, AuthError> {
    let message = std::str::from_utf8(message).map_err(|_| AuthError::malformed("not UTF-8"))?;
    let (flag, after_flag) = message
        .split_once(',')
        .ok_or(AuthError::malformed("no GS2 header"))?;
    match flag {
        "n" | "y" => {}
        _ if flag.starts_with("p=") => return Err(AuthError::UnsupportedChannelBinding),
        _ => return Err(AuthError::malformed("bad channel binding flag")),
    }
    let (authzid, rest) = after_flag
        .split_once(',')
        .ok_or(AuthError::malformed("no GS2 header"))?;
    let authzid = match authzid {
        "" => None,
        _ => Some(
            authzid
                .strip_prefix("a=")
                .and_then(decode_saslname)
                .filter(|name| !name.is_empty())
                .ok_or(AuthError::malformed("bad authzid"))?,
        ),
    };
    Ok(Gs2 {
        header: &message[..message.len() - rest.len()],
        authzid,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_header_and_decodes_the_authzid() {
        let gs2 = split(b"n,a=us=2Cer=3D,n=user,r=abc").unwrap();
        assert_eq!(gs2.header, "n,a=us=2Cer=3D,");
        assert_eq!(gs2.authzid.as_deref(), Some("us,er="));
        assert_eq!(gs2.rest, "n=user,r=abc");
        let gs2 = split(b"y,,rest").unwrap();
        assert_eq!((gs2.header, gs2.authzid, gs2.rest), ("y,,", None, "rest"));
    }

    #[test]
    fn refuses_channel_binding_and_malformed_headers() {
        assert_eq!(
            split(b"p=tls-unique,,x").unwrap_err(),
            AuthError::UnsupportedChannelBinding
        );
        for bad in [
            &b"x,,rest"[..],
            b"n",
            b"n,rest",
            b"n,a=,rest",
            b"n,b=x,rest",
            b"\xff,,",
        ] {
            assert!(
                matches!(split(bad), Err(AuthError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }
}

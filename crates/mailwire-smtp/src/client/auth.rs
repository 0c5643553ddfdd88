//! Picking the SASL mechanism the client authenticates with.

use mailwire_sasl::{ClientExchange, Mechanism as SaslMechanism};

use crate::client::config::Credentials;
use crate::types::mechanism::Mechanism;

/// Password mechanisms, strongest first: SCRAM proves the password without sending it and
/// authenticates the server; CRAM-MD5 does not send it; PLAIN and LOGIN do.
const PASSWORD_PREFERENCE: [SaslMechanism; 4] = [
    SaslMechanism::ScramSha256,
    SaslMechanism::CramMd5,
    SaslMechanism::Plain,
    SaslMechanism::Login,
];

const TOKEN_PREFERENCE: [SaslMechanism; 2] = [SaslMechanism::OAuthBearer, SaslMechanism::XOAuth2];

/// The strongest exchange both sides support, or `None`. Mechanisms that send a reusable
/// secret are skipped unless `clear_ok`; SCRAM needs a nonce.
pub(crate) fn choose(
    offered: &[Mechanism],
    credentials: &Credentials,
    clear_ok: bool,
    nonce: Option<&str>,
) -> Option<ClientExchange> {
    let offered: Vec<SaslMechanism> = offered
        .iter()
        .filter_map(|m| m.as_str().parse().ok())
        .collect();
    let usable =
        |m: &SaslMechanism| offered.contains(m) && (clear_ok || !m.sends_plaintext_secret());
    match credentials {
        Credentials::Password {
            username,
            password,
            authzid,
        } => PASSWORD_PREFERENCE
            .iter()
            .filter(|m| usable(m))
            .find_map(|m| match m {
                SaslMechanism::ScramSha256 => {
                    ClientExchange::scram_sha256(authzid.as_deref(), username, password, nonce?)
                        .ok()
                }
                SaslMechanism::CramMd5 if authzid.is_none() => {
                    Some(ClientExchange::cram_md5(username, password))
                }
                SaslMechanism::Plain => {
                    ClientExchange::plain(authzid.as_deref(), username, password).ok()
                }
                SaslMechanism::Login if authzid.is_none() => {
                    Some(ClientExchange::login(username, password))
                }
                _ => None,
            }),
        Credentials::Token { username, token } => TOKEN_PREFERENCE
            .iter()
            .filter(|m| usable(m))
            .find_map(|m| match m {
                SaslMechanism::OAuthBearer => {
                    ClientExchange::oauthbearer(Some(username), None, None, token).ok()
                }
                _ => ClientExchange::xoauth2(username, token).ok(),
            }),
    }
}

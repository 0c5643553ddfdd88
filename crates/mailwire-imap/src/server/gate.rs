//! Which command may be given in which state (RFC 3501 §6), and whether a synchronising
//! literal may be sent.

use super::{Session, State};
use crate::codec::decode::leading_tag;
use crate::types::CommandBody;

/// Where a command may be given (RFC 3501 §6).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Allowed {
    Any,
    NotAuthenticated,
    Authenticated,
    Selected,
}

pub(super) fn allowed(body: &CommandBody) -> Allowed {
    allowed_by_name(body.name()).unwrap_or(Allowed::Authenticated)
}

/// The states a command may be given in, by its name as [`CommandBody::name`] spells it;
/// `None` for a name that is no command.
pub(super) fn allowed_by_name(name: &str) -> Option<Allowed> {
    Some(match name {
        "CAPABILITY" | "NOOP" | "LOGOUT" | "ID" => Allowed::Any,
        "STARTTLS" | "AUTHENTICATE" | "LOGIN" => Allowed::NotAuthenticated,
        "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "UID EXPUNGE" | "SEARCH" | "UID SEARCH"
        | "FETCH" | "UID FETCH" | "STORE" | "UID STORE" | "COPY" | "UID COPY" | "MOVE"
        | "UID MOVE" => Allowed::Selected,
        "SELECT" | "EXAMINE" | "CREATE" | "DELETE" | "RENAME" | "SUBSCRIBE" | "UNSUBSCRIBE"
        | "LIST" | "LSUB" | "STATUS" | "APPEND" | "IDLE" | "NAMESPACE" | "ENABLE" => {
            Allowed::Authenticated
        }
        _ => return None,
    })
}

/// The command name at the start of a command line after its tag (`UID FETCH` for a UID
/// command), uppercased, when it is readable.
pub(super) fn command_name(line: &[u8], tag_len: usize) -> Option<String> {
    let word = |from: usize| -> Option<(String, usize)> {
        let rest = line.get(from..)?;
        let n = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        (n > 0).then(|| {
            let w = String::from_utf8_lossy(&rest[..n]).to_ascii_uppercase();
            (w, from + n)
        })
    };
    let (first, end) = word(tag_len + 1)?;
    if first == "UID" && line.get(end) == Some(&b' ') {
        let (second, _) = word(end + 1)?;
        return Some(format!("UID {second}"));
    }
    Some(first)
}

impl Session {
    /// Whether a command whose line announced a synchronising literal may go on: the
    /// client is invited to send the literal only when the command is one the session
    /// knows and allows in the current state (RFC 3501 §7.5: otherwise a tagged response
    /// tells it not to). On refusal the command's bytes so far are dropped.
    pub(super) fn literal_allowed(&mut self, line: &[u8]) -> bool {
        let Some(tag) = leading_tag(line) else {
            // Without a tag there is nothing to refuse it with; the command's decoding
            // will answer once it is complete.
            return true;
        };
        let name = command_name(line, tag.as_str().len());
        let Some(allowed) = name.as_deref().and_then(allowed_by_name) else {
            self.bad(Some(tag), "Unknown command");
            return false;
        };
        if self.fits(allowed) {
            return true;
        }
        let text = format!("{} not allowed in this state", name.unwrap_or_default());
        self.bad(Some(tag), &text);
        false
    }

    pub(super) fn fits(&self, allowed: Allowed) -> bool {
        matches!(
            (allowed, &self.state),
            (Allowed::Any, _)
                | (Allowed::NotAuthenticated, State::NotAuthenticated)
                | (
                    Allowed::Authenticated,
                    State::Authenticated | State::Selected(_)
                )
                | (Allowed::Selected, State::Selected(_))
        )
    }
}

//! The server's first line, and the APOP timestamp in it (RFC 1939 §4, §7).

use bytes::BufMut;

use crate::{
    codec::decode::Decoded,
    types::apop::Timestamp,
    types::response::{Response, ResponseError, Status, TextError},
};

/// The `+OK` line a server sends on connect.
///
/// ```
/// use mailwire_pop3::{Greeting, Timestamp};
///
/// let ts = Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap();
/// let greeting = Greeting::new("POP3 server ready", Some(ts)).unwrap();
/// let mut wire = Vec::new();
/// greeting.encode(&mut wire);
/// assert_eq!(wire, b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
///
/// let back = Greeting::decode(&wire).complete().unwrap().unwrap();
/// assert_eq!(back.timestamp().unwrap().as_str(), "<1896.697170952@dbc.mtview.ca.us>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    response: Response,
    timestamp: Option<Timestamp>,
}

impl Greeting {
    /// A greeting with `text` and, for APOP, a timestamp appended to it.
    ///
    /// With a timestamp, the text must hold no `<`, so that a client finds the right one.
    pub fn new(text: &str, timestamp: Option<Timestamp>) -> Result<Self, TextError> {
        let full = match &timestamp {
            Some(_) if text.contains('<') => return Err(TextError::InvalidCode(text.to_owned())),
            Some(ts) if text.is_empty() => ts.as_str().to_owned(),
            Some(ts) => format!("{text} {ts}"),
            None => text.to_owned(),
        };
        Ok(Self {
            response: Response::new(Status::Ok, full)?,
            timestamp,
        })
    }

    /// Reads a greeting from a response line; a `-ERR` greeting gives `None`: the server
    /// refuses the connection.
    pub fn from_response(response: Response) -> Option<Self> {
        if !response.is_ok() {
            return None;
        }
        let timestamp = Timestamp::find(response.text());
        Some(Self {
            response,
            timestamp,
        })
    }

    /// Decodes a greeting line; a `-ERR` line decodes as complete with `None`.
    pub fn decode(input: &[u8]) -> Decoded<Option<Self>, ResponseError> {
        Response::decode(input).map(Self::from_response)
    }

    /// The whole text after `+OK`, timestamp included.
    pub fn text(&self) -> &str {
        self.response.text()
    }

    /// The APOP timestamp, if the server offered one.
    pub fn timestamp(&self) -> Option<&Timestamp> {
        self.timestamp.as_ref()
    }

    /// Writes the line, CRLF included.
    pub fn encode(&self, out: &mut impl BufMut) {
        self.response.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_without_timestamp() {
        let g = Greeting::decode(b"+OK POP3 server ready\r\n")
            .complete()
            .unwrap()
            .unwrap();
        assert_eq!(g.text(), "POP3 server ready");
        assert_eq!(g.timestamp(), None);
    }

    #[test]
    fn an_err_greeting_is_a_refusal() {
        assert_eq!(Greeting::decode(b"-ERR go away\r\n").complete(), Some(None));
    }

    #[test]
    fn text_with_brackets_and_a_timestamp_is_refused() {
        let ts = Timestamp::parse("<1.2@h>").unwrap();
        assert!(Greeting::new("ready <x@y>", Some(ts.clone())).is_err());
        let g = Greeting::new("", Some(ts)).unwrap();
        assert_eq!(g.text(), "<1.2@h>");
    }
}

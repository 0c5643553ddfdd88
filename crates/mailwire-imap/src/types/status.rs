//! STATUS attributes (RFC 3501 §6.3.10) with CONDSTORE's HIGHESTMODSEQ.

/// A `status-att` a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusAttribute {
    /// `MESSAGES`
    Messages,
    /// `RECENT`
    Recent,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
    /// `HIGHESTMODSEQ` (RFC 7162)
    HighestModSeq,
}

/// A value in a STATUS response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusItem {
    /// `MESSAGES n`
    Messages(u32),
    /// `RECENT n`
    Recent(u32),
    /// `UIDNEXT n`
    UidNext(u32),
    /// `UIDVALIDITY n`
    UidValidity(u32),
    /// `UNSEEN n`
    Unseen(u32),
    /// `HIGHESTMODSEQ n` (RFC 7162)
    HighestModSeq(u64),
}

impl StatusAttribute {
    pub(crate) const ALL: [(StatusAttribute, &'static str); 6] = [
        (Self::Messages, "MESSAGES"),
        (Self::Recent, "RECENT"),
        (Self::UidNext, "UIDNEXT"),
        (Self::UidValidity, "UIDVALIDITY"),
        (Self::Unseen, "UNSEEN"),
        (Self::HighestModSeq, "HIGHESTMODSEQ"),
    ];

    /// The attribute's wire name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("", |(_, n)| n)
    }
}

impl StatusItem {
    /// The attribute this item answers.
    pub fn attribute(self) -> StatusAttribute {
        match self {
            Self::Messages(_) => StatusAttribute::Messages,
            Self::Recent(_) => StatusAttribute::Recent,
            Self::UidNext(_) => StatusAttribute::UidNext,
            Self::UidValidity(_) => StatusAttribute::UidValidity,
            Self::Unseen(_) => StatusAttribute::Unseen,
            Self::HighestModSeq(_) => StatusAttribute::HighestModSeq,
        }
    }

    /// The value.
    pub fn value(self) -> u64 {
        match self {
            Self::Messages(n)
            | Self::Recent(n)
            | Self::UidNext(n)
            | Self::UidValidity(n)
            | Self::Unseen(n) => u64::from(n),
            Self::HighestModSeq(n) => n,
        }
    }
}

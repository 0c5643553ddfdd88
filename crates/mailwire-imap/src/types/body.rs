//! BODYSTRUCTURE and BODY (RFC 3501 §7.4.2): a message's MIME tree as the server describes it.

use super::envelope::Envelope;
use super::non_empty::NonEmpty;
use super::string::{IString, NString};

/// `body`: a single part or a multipart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// `body-type-1part`
    Single {
        /// The part.
        body: Body,
        /// `body-ext-1part`, present in BODYSTRUCTURE and absent in BODY.
        extension: Option<SinglePartExtension>,
    },
    /// `body-type-mpart`
    Multi {
        /// The parts.
        bodies: NonEmpty<BodyStructure>,
        /// `media-subtype`, such as `MIXED`.
        subtype: IString,
        /// `body-ext-mpart`
        extension: Option<MultiPartExtension>,
    },
}

/// The fields every single part has, and what its type adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// What kind of part it is.
    pub kind: BodyKind,
    /// `body-fld-param`: attribute/value pairs (NIL when empty).
    pub params: Vec<(IString, IString)>,
    /// `body-fld-id`
    pub id: NString,
    /// `body-fld-desc`
    pub description: NString,
    /// `body-fld-enc`. Some servers send NIL; it is read as an empty string.
    pub encoding: IString,
    /// `body-fld-octets`
    pub octets: u32,
}

/// The media type of a single part and the fields it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    /// `body-type-basic`: any type but TEXT and MESSAGE/RFC822.
    Basic {
        /// `media-basic` type.
        media_type: IString,
        /// Subtype.
        subtype: IString,
    },
    /// `body-type-text`: `TEXT/subtype` with its line count.
    Text {
        /// Subtype.
        subtype: IString,
        /// `body-fld-lines`
        lines: u32,
    },
    /// `body-type-msg`: `MESSAGE/RFC822` with the inner envelope and structure.
    Message {
        /// The encapsulated message's envelope.
        envelope: Box<Envelope>,
        /// The encapsulated message's structure.
        body: Box<BodyStructure>,
        /// `body-fld-lines`
        lines: u32,
    },
}

/// `body-ext-1part`: MD5, then optionally disposition, language, location and more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinglePartExtension {
    /// `body-fld-md5`
    pub md5: NString,
    /// What follows, if anything.
    pub tail: Option<DispositionExtension>,
}

/// `body-ext-mpart`: parameters, then optionally disposition, language, location and more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiPartExtension {
    /// `body-fld-param`
    pub params: Vec<(IString, IString)>,
    /// What follows, if anything.
    pub tail: Option<DispositionExtension>,
}

/// `body-fld-dsp [SP body-fld-lang …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispositionExtension {
    /// `body-fld-dsp`: NIL or `(type params)`.
    pub disposition: Option<Disposition>,
    /// What follows, if anything.
    pub tail: Option<LanguageExtension>,
}

/// `body-fld-lang [SP body-fld-loc …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageExtension {
    /// `body-fld-lang`: NIL (empty), one string, or a list.
    pub languages: Vec<IString>,
    /// What follows, if anything.
    pub tail: Option<LocationExtension>,
}

/// `body-fld-loc *(SP body-extension)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationExtension {
    /// `body-fld-loc`
    pub location: NString,
    /// Extension data defined by later RFCs.
    pub extensions: Vec<BodyExtension>,
}

/// `body-fld-dsp = "(" string SP body-fld-param ")"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// The disposition type, such as `attachment`.
    pub kind: IString,
    /// Its parameters.
    pub params: Vec<(IString, IString)>,
}

/// `body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyExtension {
    /// A string or NIL.
    String(NString),
    /// A number.
    Number(u32),
    /// A parenthesised list.
    List(NonEmpty<BodyExtension>),
}

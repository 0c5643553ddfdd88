//! Damage found while parsing; the parser records it and carries on.

use crate::transfer::TransferEncoding;

/// Something wrong with a part. Parsing never fails; it records these and does its best.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Defect {
    /// A header line that is neither a field nor a continuation (no colon, or whitespace
    /// first with no field before it); it is kept as a field with an empty name, its
    /// text the value (see [`crate::HeaderField`]).
    #[error("junk line in header at byte {offset}")]
    JunkHeaderLine {
        /// Offset of the line in the input.
        offset: usize,
    },
    /// An address field (`From`, `Sender`, `Reply-To`, `To`, `Cc`, `Bcc`) holds `<>`, which
    /// RFC 5322 §3.4 has no form for (it is SMTP's null reverse-path, RFC 5321 §4.5.5).
    /// It is read as a mailbox with an empty local part and domain, the same in every field.
    #[error("empty address <> in {field}")]
    EmptyAddress {
        /// The field, named as RFC 5322 names it.
        field: &'static str,
    },
    /// The header section passed the byte limit; later fields were dropped.
    #[error("header section over {limit} bytes")]
    HeaderTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The input ended inside the header section (no empty line before the body).
    #[error("header section not terminated")]
    UnterminatedHeader,
    /// `Content-Type` could not be read; `text/plain` was assumed.
    #[error("malformed content-type")]
    MalformedContentType,
    /// Text after a parameter's value in `Content-Type` or `Content-Disposition` (most
    /// often a parameter whose `;` is missing); it was skipped up to the next `;`.
    #[error("text after a {field} parameter skipped")]
    JunkAfterParameter {
        /// The field: `Content-Type` or `Content-Disposition`.
        field: &'static str,
    },
    /// A multipart without a `boundary` parameter; read as a single part.
    #[error("multipart without boundary parameter")]
    MissingBoundaryParameter,
    /// A multipart whose body contains no delimiter line.
    #[error("multipart boundary not found")]
    BoundaryNotFound,
    /// A multipart whose closing delimiter (`--boundary--`) is missing.
    #[error("multipart closing boundary missing")]
    MissingClosingBoundary,
    /// A multipart or message part with an encoding other than 7bit, 8bit or binary.
    #[error("composite part with {0} encoding")]
    EncodedCompositePart(TransferEncoding),
    /// Invalid base64 (junk bytes, a truncated quantum).
    #[error("damaged base64 ({count} spots)")]
    InvalidBase64 {
        /// How many damaged spots were skipped.
        count: usize,
    },
    /// Data after the `=` padding that ends base64 (RFC 2045 §6.8); it was left out.
    #[error("data after base64 padding")]
    DataAfterBase64Padding,
    /// Malformed quoted-printable escapes, kept literally.
    #[error("malformed quoted-printable ({count} escapes)")]
    InvalidQuotedPrintable {
        /// How many escapes were malformed.
        count: usize,
    },
    /// Damaged uuencode (short lines, no `begin` line).
    #[error("damaged uuencode ({count} spots)")]
    InvalidUuencode {
        /// How many damaged spots were found.
        count: usize,
    },
    /// A transfer encoding this crate does not know; the body is left encoded.
    #[error("unknown transfer encoding {0:?}")]
    UnknownTransferEncoding(String),
    /// A charset label that is not known; text was read as UTF-8 or windows-1252.
    #[error("unknown charset {0:?}")]
    UnknownCharset(String),
    /// Text that is not valid in its declared charset; replaced with U+FFFD.
    #[error("invalid {0} text")]
    InvalidCharsetData(String),
    /// Nesting went past the depth limit; the part was kept as a leaf.
    #[error("nesting deeper than {limit}")]
    NestingTooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// The message has more parts than the limit; the part was kept as a leaf.
    #[error("more than {limit} parts")]
    TooManyParts {
        /// The limit in force.
        limit: usize,
    },
}

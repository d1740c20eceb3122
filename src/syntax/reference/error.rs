//! Why a reference does not parse, displayed as distribution/reference and go-digest say it.

use super::NAME_TOTAL_LENGTH_MAX;

/// Why a reference does not parse; displays distribution/reference's (or go-digest's) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// `invalid reference format`, with the part that does not match the grammar.
    Format(Part),
    /// `repository name must have at least one component`.
    NameEmpty,
    /// `repository name must be lowercase`.
    NameUppercase,
    /// `ParseNormalizedNamed`'s own lowercase check, naming the repository.
    RemoteUppercase(String),
    /// `repository name must not be more than 255 characters`.
    NameTooLong,
    /// A 64-hex-digit string given as a name (an image ID).
    Identifier(String),
    /// A digest that matches the grammar but not go-digest's rules.
    Digest(DigestError),
}

/// The part of a reference that does not match the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Domain,
    Name,
    Tag,
    Digest,
}

/// go-digest `Validate` failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestError {
    Format,
    Length,
    Algorithm,
}

impl std::fmt::Display for RefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefError::Format(_) => f.write_str("invalid reference format"),
            RefError::NameEmpty => f.write_str("repository name must have at least one component"),
            RefError::NameUppercase => f.write_str("repository name must be lowercase"),
            RefError::RemoteUppercase(r) => write!(
                f,
                "invalid reference format: repository name ({r}) must be lowercase"
            ),
            RefError::NameTooLong => write!(
                f,
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            ),
            RefError::Identifier(s) => write!(
                f,
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            ),
            RefError::Digest(DigestError::Format) => f.write_str("invalid checksum digest format"),
            RefError::Digest(DigestError::Length) => f.write_str("invalid checksum digest length"),
            RefError::Digest(DigestError::Algorithm) => f.write_str("unsupported digest algorithm"),
        }
    }
}

impl std::error::Error for RefError {}

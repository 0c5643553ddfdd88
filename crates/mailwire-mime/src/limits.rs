//! Limits that bound the work and memory a message can cost.

/// Limits that keep a hostile message from costing more than it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of multiparts and enclosed messages (default 32).
    pub max_depth: usize,
    /// Largest header section of one part, in bytes (default 256 KiB).
    pub max_header_bytes: usize,
    /// Most parts in one message, enclosed messages included (default 10 000).
    pub max_parts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 32,
            max_header_bytes: 256 * 1024,
            max_parts: 10_000,
        }
    }
}

impl Limits {
    /// Sets the nesting depth limit.
    #[must_use]
    pub fn with_max_depth(mut self, n: usize) -> Limits {
        self.max_depth = n;
        self
    }

    /// Sets the per-part header size limit.
    #[must_use]
    pub fn with_max_header_bytes(mut self, n: usize) -> Limits {
        self.max_header_bytes = n;
        self
    }

    /// Sets the part count limit.
    #[must_use]
    pub fn with_max_parts(mut self, n: usize) -> Limits {
        self.max_parts = n;
        self
    }
}

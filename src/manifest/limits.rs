//! Bounds that keep hostile input cheap. They are far above what real manifests need: the
//! deepest Kubernetes objects nest about 20 levels, and a large Helm-rendered file has a few
//! hundred thousand nodes.

/// Limits applied while reading one file.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Files larger than this are reported and not parsed (default 16 MiB).
    pub max_file_bytes: usize,
    /// Deepest nesting of sequences and mappings (default 128).
    pub max_depth: usize,
    /// Nodes written in one file (default 2,000,000).
    pub max_nodes: u64,
    /// Nodes one document stands for once aliases are expanded (default 1,000,000). This is what
    /// stops "billion laughs": ten aliases to ten aliases to ... are counted, not copied.
    pub max_expanded_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 16 * 1024 * 1024,
            max_depth: 128,
            max_nodes: 2_000_000,
            max_expanded_nodes: 1_000_000,
        }
    }
}

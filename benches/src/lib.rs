//! Shared helpers for the zg criterion benches.

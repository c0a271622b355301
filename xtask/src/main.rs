//! Workspace automation (work in progress).
fn main() {}

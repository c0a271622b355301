//! The `amphi-mq` command line (work in progress).
fn main() {}

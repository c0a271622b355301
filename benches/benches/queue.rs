//! Placeholder until this crate's benchmarks land.
fn main() {}

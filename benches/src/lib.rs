//! Shared benchmark workloads.
pub mod queue_workload;
pub mod codec_workload;

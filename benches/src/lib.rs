//! Shared benchmark workloads.
pub mod codec_workload;
pub mod queue_workload;

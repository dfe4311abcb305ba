//! Seeing a release through, built on the operations: wait for a run, follow its logs, find
//! stages by name, and tell whether an ambiguous execute started a run.

pub mod abort;
pub mod find;
pub mod logs;
pub mod started;
pub mod wait;

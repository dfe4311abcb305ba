//! What bindings-c/scripts/generate.py writes from core/catalog.json: the enums in `tables.rs`
//! and the YX_OP_* / YX_EVENT_* names in `operations.h` (placed in the header by build.rs).
//! `scripts/test.sh` runs `generate.py --check`: a stale copy fails the suite.

mod tables;

pub(crate) use tables::{YX_ERROR_KIND_NAMES, YX_RUN_STATUS_NAMES, YX_WAIT_STATE_NAMES};
pub use tables::{yx_error_kind, yx_run_status, yx_wait_state};

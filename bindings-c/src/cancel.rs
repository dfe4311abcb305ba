//! `yx_cancel`: stops a wait from another thread, a progress callback or a signal handler.

use std::ptr;
use std::sync::atomic::Ordering;

use yunxiao_appstack::AbortHandle;

use crate::boundary;
use crate::result::yx_result;

/// Stops the waits it is given to (yx_client_wait_for_run, yx_client_call_with_events) — never
/// the run, unless the wait's "cancel_on_abort" is true. One-shot: once triggered it stays
/// triggered, and stops every wait it is given to later at once; make a new one per wait that
/// may be stopped. Thread-safe: any thread may trigger it while another waits with it. Create
/// with yx_cancel_new; free with yx_cancel_free once no wait uses it and no thread or signal
/// handler can trigger it any more.
pub struct yx_cancel {
    handle: AbortHandle,
}

impl yx_cancel {
    /// The core's handle (a clone: the same flag).
    pub(crate) fn abort_handle(&self) -> AbortHandle {
        self.handle.clone()
    }
}

/// Creates a cancel handle, not triggered. Free with yx_cancel_free. Returns NULL only if the
/// library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn yx_cancel_new() -> *mut yx_cancel {
    boundary::guard(ptr::null_mut(), || {
        boundary::into_raw(yx_cancel {
            handle: AbortHandle::new(),
        })
    })
}

/// Frees a cancel handle. NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a yx_cancel from yx_cancel_new that was not freed before, used by no
/// running wait and no thread or signal handler any more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_cancel_free(cancel: *mut yx_cancel) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(cancel) }
}

/// Triggers the handle: every wait using it stops at once (its call returns the outcome
/// "aborted"). Safe from any thread, including a progress callback; not from a signal handler
/// (it wakes the wait, which takes a lock): use yx_cancel_trigger_from_signal there.
///
/// # Safety
/// `cancel` is NULL or a live yx_cancel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_cancel_trigger(cancel: *const yx_cancel) -> yx_result {
    boundary::call(ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let cancel = unsafe { boundary::handle(cancel, "cancel") }?;
        cancel.handle.abort();
        Ok(())
    })
}

/// Triggers the handle from a signal handler: async-signal-safe, it only stores an atomic flag
/// (no lock, no allocation, no system call). A wait notices it within 100 ms. Returns
/// YX_RESULT_NULL_ARGUMENT for NULL, else YX_RESULT_OK.
///
/// # Safety
/// `cancel` is NULL or a live yx_cancel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_cancel_trigger_from_signal(cancel: *const yx_cancel) -> yx_result {
    if cancel.is_null() {
        return yx_result::NullArgument;
    }
    // No boundary::call here: it would allocate on failure. An atomic store cannot panic.
    // SAFETY: non-NULL and live per the caller's contract.
    unsafe { &*cancel }
        .handle
        .flag()
        .store(true, Ordering::SeqCst);
    yx_result::Ok
}

/// Whether the handle was triggered (by either function). false for NULL.
///
/// # Safety
/// `cancel` is NULL or a live yx_cancel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_cancel_is_triggered(cancel: *const yx_cancel) -> bool {
    boundary::guard(false, || {
        // SAFETY: NULL-checked; live per the caller's contract.
        !cancel.is_null() && unsafe { &*cancel }.handle.is_aborted()
    })
}

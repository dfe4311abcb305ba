//! Settling calls' promises on the JavaScript thread, in batches.
//!
//! A call's promise is made with `napi_create_promise` on the JavaScript thread, and its future
//! runs on the addon's runtime ([`crate::runtime`]). When the future ends, the runtime thread
//! does not touch JavaScript: it pushes the plain Rust outcome onto its environment's queue, and
//! wakes the JavaScript thread through the environment's one threadsafe function only when the
//! queue was empty *and* the runtime thread has nothing left to run (or [`WAKE_AT`] outcomes
//! wait). The JavaScript thread then converts every outcome waiting and settles each promise:
//! one wake-up for all the calls that ended together, and no threadsafe function made per call
//! (which is what napi-rs's `spawn_future` did: a `uv_async` handle, a cleanup hook and two
//! tasks for every call). Waking only once the runtime thread goes idle matters most when both
//! threads share one core: each wake-up is a switch from one thread to the other, and a
//! JavaScript thread woken for the first of 64 answers would take them one at a time.
//!
//! The threadsafe function is unref'd whenever no call of its environment is pending, so it
//! never keeps the process alive on its own, and ref'd while one is, so a call that is never
//! awaited still completes before the process exits.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::future::Future;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, sys};

use crate::bridge::CallOutcome;
use crate::outcome::Outcome;
use crate::runtime;

/// The end of a call, as plain Rust data, converted to JavaScript only on its thread.
pub(crate) enum Settled {
    /// An `execute` call.
    Execute(Outcome),
    /// A bridged call.
    Call(CallOutcome),
}

impl From<Outcome> for Settled {
    fn from(outcome: Outcome) -> Self {
        Self::Execute(outcome)
    }
}

impl From<CallOutcome> for Settled {
    fn from(outcome: CallOutcome) -> Self {
        Self::Call(outcome)
    }
}

/// A promise's deferred, carried by a runtime thread but used only on its JavaScript thread.
struct Deferred(sys::napi_deferred);

// SAFETY: runtime threads only move the pointer into the queue; napi is called with it on the
// JavaScript thread that created it, in `drain`.
unsafe impl Send for Deferred {}

/// The environment's threadsafe function, as the runtime threads see it.
struct Wake(sys::napi_threadsafe_function);

// SAFETY: calling a threadsafe function from any thread is what it is for; the queue's lock
// keeps the environment's teardown from finalizing it during a call (see `env_gone`).
unsafe impl Send for Wake {}
// SAFETY: as above; the pointer is only copied out and passed to napi.
unsafe impl Sync for Wake {}

/// A finished call waiting to be settled. `None`: its task ended without an outcome (a panic).
struct Finished {
    deferred: Deferred,
    settled: Option<Settled>,
}

/// What the runtime threads share with one environment's JavaScript thread.
struct Queue {
    finished: Vec<Finished>,
    /// The environment is gone: outcomes are dropped.
    closed: bool,
    /// The JavaScript thread has been woken for what is queued (cleared when it drains).
    woken: bool,
    /// A runtime thread owes this queue a wake-up, sent when it next goes idle.
    owed: bool,
}

/// One environment's queue of finished calls, and the threadsafe function that wakes its
/// JavaScript thread.
pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    /// `None` once the environment is gone. Read-locked around each call of the function, so
    /// that `env_gone` (which write-locks it) cannot let Node finalize it meanwhile; kept apart
    /// from the queue so that a wake-up never holds the lock the JavaScript thread drains with.
    wake: RwLock<Option<Wake>>,
}

/// Outcomes queued unwoken at which a busy runtime thread wakes the JavaScript thread anyway.
const WAKE_AT: usize = 32;

thread_local! {
    /// On a runtime worker thread: the queues it owes a wake-up, sent just before it parks.
    static OWED: RefCell<Vec<Arc<Inbox>>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread is a runtime worker that calls [`worker_parks`] before it parks.
    static PARKS: Cell<bool> = const { Cell::new(false) };
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the JavaScript thread to drain the queue.
    fn wake(&self) {
        let wake = self.wake.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(Wake(tsfn)) = *wake {
            // Nonblocking on an unbounded queue: fails only while the environment closes,
            // when nobody waits for the outcomes any more.
            // SAFETY: `wake` is set (and read-locked), so the threadsafe function is alive.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }

    /// Queues `finished` for the JavaScript thread. A runtime worker defers the wake-up until
    /// it has nothing else to run (or [`WAKE_AT`] outcomes wait), so that the JavaScript thread
    /// is woken once for all the calls that end together rather than once for each: on a
    /// single core every wake-up is a switch between the two threads.
    fn deliver(self: &Arc<Self>, finished: Finished) {
        let wake_now = {
            let mut queue = self.lock();
            if queue.closed {
                return;
            }
            queue.finished.push(finished);
            if queue.woken {
                false
            } else if queue.finished.len() >= WAKE_AT || !PARKS.with(Cell::get) {
                queue.woken = true;
                true
            } else {
                if !queue.owed {
                    queue.owed = true;
                    OWED.with(|owed| owed.borrow_mut().push(Arc::clone(self)));
                }
                false
            }
        };
        if wake_now {
            self.wake();
        }
    }
}

/// Called by each runtime worker just before it parks: sends the wake-ups it deferred.
pub(crate) fn worker_parks() {
    PARKS.with(|parks| parks.set(true));
    let owed = OWED.with(|owed| std::mem::take(&mut *owed.borrow_mut()));
    for inbox in owed {
        let wake_now = {
            let mut queue = inbox.lock();
            queue.owed = false;
            let wake_now = !queue.woken && !queue.finished.is_empty();
            queue.woken |= wake_now;
            wake_now
        };
        if wake_now {
            inbox.wake();
        }
    }
}

/// A running call's claim on its promise: settles it with the outcome, or — when the task is
/// dropped without one, which only a panic does — rejects it, so no promise is left pending.
struct Pending {
    inbox: Arc<Inbox>,
    deferred: Option<Deferred>,
}

impl Pending {
    fn finish(mut self, settled: Settled) {
        if let Some(deferred) = self.deferred.take() {
            self.inbox.deliver(Finished {
                deferred,
                settled: Some(settled),
            });
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(deferred) = self.deferred.take() {
            self.inbox.deliver(Finished {
                deferred,
                settled: None,
            });
        }
    }
}

/// One environment's side, owned by its threadsafe function (freed by its finalizer) and used
/// only on the environment's JavaScript thread.
struct Local {
    env: sys::napi_env,
    tsfn: sys::napi_threadsafe_function,
    inbox: Arc<Inbox>,
    /// Promises made and not yet settled.
    in_flight: Cell<usize>,
}

thread_local! {
    /// This thread's environment's [`Local`] (each Node environment has a thread of its own).
    static LOCAL: Cell<*const Local> = const { Cell::new(ptr::null()) };
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!(
            "{what} failed (napi status {status})"
        )))
    }
}

/// This environment's [`Local`], made on its first call.
fn local(env: sys::napi_env) -> napi::Result<*const Local> {
    let existing = LOCAL.with(Cell::get);
    // SAFETY: a non-null pointer is cleared by `env_gone` before the `Local` is freed.
    if !existing.is_null() && unsafe { (*existing).env } == env {
        return Ok(existing);
    }
    let inbox = Arc::new(Inbox {
        queue: Mutex::new(Queue {
            finished: Vec::new(),
            closed: false,
            woken: false,
            owed: false,
        }),
        wake: RwLock::new(None),
    });
    let local = Box::into_raw(Box::new(Local {
        env,
        tsfn: ptr::null_mut(),
        inbox: Arc::clone(&inbox),
        in_flight: Cell::new(0),
    }));
    let name = "yunxiao-appstack calls";
    let mut js_name = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    // SAFETY: `env` is the live environment of this call; `local` is a valid, owned pointer
    // that the threadsafe function takes over (its finalizer frees it).
    let created = unsafe {
        check(
            sys::napi_create_string_utf8(
                env,
                name.as_ptr().cast(),
                name.len() as isize,
                &mut js_name,
            ),
            "napi_create_string_utf8",
        )
        .and_then(|()| {
            check(
                sys::napi_create_threadsafe_function(
                    env,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    js_name,
                    0,
                    1,
                    local.cast(),
                    Some(finalize),
                    local.cast(),
                    Some(drain),
                    &mut tsfn,
                ),
                "napi_create_threadsafe_function",
            )
        })
    };
    if let Err(error) = created {
        // SAFETY: no threadsafe function took `local` over.
        drop(unsafe { Box::from_raw(local) });
        return Err(error);
    }
    // SAFETY: `local` is alive (owned by the threadsafe function, which only this thread can
    // finalize, at the environment's teardown); `tsfn` was just made on this thread.
    unsafe {
        (*local).tsfn = tsfn;
        *inbox.wake.write().unwrap_or_else(PoisonError::into_inner) = Some(Wake(tsfn));
        // Registered after the threadsafe function, so it runs before Node finalizes it
        // (cleanup hooks run in reverse order).
        if let Err(error) = check(
            sys::napi_add_env_cleanup_hook(env, Some(env_gone), local.cast()),
            "napi_add_env_cleanup_hook",
        ) {
            // Without the hook the runtime threads could outlive the function: give it up
            // (its finalizer frees `local`) before any call can use it.
            *inbox.wake.write().unwrap_or_else(PoisonError::into_inner) = None;
            inbox.lock().closed = true;
            sys::napi_release_threadsafe_function(tsfn, sys::ThreadsafeFunctionReleaseMode::abort);
            return Err(error);
        }
        check(
            sys::napi_unref_threadsafe_function(env, tsfn),
            "napi_unref_threadsafe_function",
        )?;
    }
    LOCAL.with(|cell| cell.set(local));
    Ok(local)
}

/// Runs `future` on the addon's runtime; the returned promise resolves with its outcome.
pub(crate) fn spawn<'env, T, F>(env: &'env Env, future: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: Into<Settled> + Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    runtime::ready()?;
    let raw_env = env.raw();
    let local = local(raw_env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: `env` is the live environment of this call, on its thread.
    check(
        unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) },
        "napi_create_promise",
    )?;
    // SAFETY: `local` is alive for as long as the environment this call runs in.
    let local = unsafe { &*local };
    let pending = Pending {
        inbox: Arc::clone(&local.inbox),
        deferred: Some(Deferred(deferred)),
    };
    let in_flight = local.in_flight.get();
    if in_flight == 0 {
        // A pending call keeps the process alive until it settles.
        // SAFETY: on the environment's thread, with its live threadsafe function.
        check(
            unsafe { sys::napi_ref_threadsafe_function(raw_env, local.tsfn) },
            "napi_ref_threadsafe_function",
        )?;
    }
    local.in_flight.set(in_flight + 1);
    runtime::spawn(async move {
        let settled = future.await.into();
        pending.finish(settled);
    });
    Ok(PromiseRaw::new(raw_env, promise))
}

/// The threadsafe function's callback, on the JavaScript thread: settles every call waiting.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        // The environment is closing: nobody waits for the outcomes.
        return;
    }
    // SAFETY: the context is the `Local` the threadsafe function owns, alive until finalized.
    let local = unsafe { &*context.cast::<Local>() };
    let batch = {
        let mut queue = local
            .inbox
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        queue.woken = false;
        std::mem::take(&mut queue.finished)
    };
    if batch.is_empty() {
        return;
    }
    let settled = batch.len();
    for finished in batch {
        let mut scope = ptr::null_mut();
        // SAFETY: `env` is live, on its thread, inside the threadsafe function's callback.
        unsafe {
            let opened = sys::napi_open_handle_scope(env, &mut scope) == sys::Status::napi_ok;
            settle(env, finished);
            if opened {
                sys::napi_close_handle_scope(env, scope);
            }
        }
    }
    let left = local.in_flight.get().saturating_sub(settled);
    local.in_flight.set(left);
    if left == 0 {
        // SAFETY: as above.
        unsafe { sys::napi_unref_threadsafe_function(env, local.tsfn) };
    }
}

/// Resolves one call's promise with its outcome as a JavaScript value (or rejects it, when
/// there is none or it cannot be converted).
unsafe fn settle(env: sys::napi_env, finished: Finished) {
    let deferred = finished.deferred.0;
    // SAFETY: `env` is live, on its thread.
    let value = unsafe {
        match finished.settled {
            Some(Settled::Execute(outcome)) => Outcome::to_napi_value(env, outcome),
            Some(Settled::Call(outcome)) => CallOutcome::to_napi_value(env, outcome),
            None => Err(napi::Error::from_reason(
                "the call ended without an outcome (a panic in the native addon)",
            )),
        }
    };
    match value {
        // SAFETY: `deferred` was made in this environment and is settled exactly once.
        Ok(value) => unsafe {
            sys::napi_resolve_deferred(env, deferred, value);
        },
        Err(error) => unsafe { reject(env, deferred, &error.reason) },
    }
}

/// Rejects `deferred` with the exception a failed conversion left pending, else an `Error`.
unsafe fn reject(env: sys::napi_env, deferred: sys::napi_deferred, message: &str) {
    // SAFETY: `env` is live, on its thread.
    unsafe {
        let mut pending = false;
        let mut error = ptr::null_mut();
        sys::napi_is_exception_pending(env, &mut pending);
        if pending {
            sys::napi_get_and_clear_last_exception(env, &mut error);
        }
        if error.is_null() {
            let mut text = ptr::null_mut();
            sys::napi_create_string_utf8(
                env,
                message.as_ptr().cast(),
                message.len() as isize,
                &mut text,
            );
            sys::napi_create_error(env, ptr::null_mut(), text, &mut error);
        }
        sys::napi_reject_deferred(env, deferred, error);
    }
}

/// The environment is tearing down: runtime threads must stop calling its threadsafe function
/// (Node finalizes it next) and drop the outcomes of calls still running.
unsafe extern "C" fn env_gone(arg: *mut c_void) {
    let local = arg.cast::<Local>().cast_const();
    // SAFETY: `local` is alive until the threadsafe function's finalizer, which runs after this.
    let inbox = unsafe { &(*local).inbox };
    // Waits for a wake-up in progress on a runtime thread.
    *inbox.wake.write().unwrap_or_else(PoisonError::into_inner) = None;
    let dropped = {
        let mut queue = inbox.lock();
        queue.closed = true;
        std::mem::take(&mut queue.finished)
    };
    drop(dropped);
    let _ = LOCAL.try_with(|cell| {
        if cell.get() == local {
            cell.set(ptr::null());
        }
    });
}

/// The threadsafe function's finalizer: frees the environment's [`Local`].
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Local` boxed in `local`, finalized exactly once.
    drop(unsafe { Box::from_raw(data.cast::<Local>()) });
}

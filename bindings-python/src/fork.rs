//! Telling a forked child apart from its parent without a system call per call.
//!
//! Every call checks whether the process forked since the runtime, the connection pool or an
//! event loop's completion queue was built (a child must build its own). Asking the kernel for
//! the process id each time costs a system call per check; instead a `pthread_atfork` child
//! handler bumps a counter in the child the moment it is created, whoever forked (`os.fork`,
//! `multiprocessing`, or C code), and a check is one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many forks separate this process from the one that loaded the module.
static GENERATION: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
unsafe extern "C" {
    /// POSIX `pthread_atfork` (in the C library every Unix Python links).
    fn pthread_atfork(
        prepare: Option<unsafe extern "C" fn()>,
        parent: Option<unsafe extern "C" fn()>,
        child: Option<unsafe extern "C" fn()>,
    ) -> std::ffi::c_int;
}

/// Runs in the child, inside `fork()`, while it has a single thread: only an atomic add.
#[cfg(unix)]
unsafe extern "C" fn bump_in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Registers the child handler; called once when the module is loaded, before any fork can
/// matter to it.
pub(crate) fn install() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: the handler is a plain function that only touches an atomic, and it stays
            // valid for the life of the process (Python never unloads extension modules).
            // Registration fails only when memory is exhausted; the checks then see no fork,
            // as a process that never forks does.
            unsafe {
                pthread_atfork(None, None, Some(bump_in_child));
            }
        });
    }
}

/// The current fork generation: different in a child from what its parent recorded.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

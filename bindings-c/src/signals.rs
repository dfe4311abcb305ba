//! SIGPIPE, which a C program would die of by default.
//!
//! Writing to a socket the peer has closed raises SIGPIPE in the writing thread, and its
//! default action ends the process. Rust programs ignore it at start-up; C programs do not, and
//! a library must not change a process-wide disposition. So the library blocks SIGPIPE only in
//! its own threads: around each call on the calling thread (discarding a SIGPIPE its writes
//! raised there, so that the thread's mask is restored with nothing pending), and in the
//! client's helper threads, which inherit the mask of the thread that starts them (in
//! yx_client_new or during a call, SIGPIPE blocked either way).
//! The write then fails with EPIPE, which the core reports as a connection error.

/// Runs `work` with SIGPIPE blocked on the calling thread.
#[cfg(unix)]
pub(crate) fn with_sigpipe_blocked<T>(work: impl FnOnce() -> T) -> T {
    let _blocked = unix::Blocked::new();
    work()
}

/// Runs `work`: there is no SIGPIPE here.
#[cfg(not(unix))]
pub(crate) fn with_sigpipe_blocked<T>(work: impl FnOnce() -> T) -> T {
    work()
}

#[cfg(unix)]
mod unix {
    use std::mem::MaybeUninit;
    use std::ptr;

    /// SIGPIPE blocked on this thread until dropped.
    pub(super) struct Blocked {
        /// The mask to restore; `None` when SIGPIPE was blocked already (nothing to undo).
        previous: Option<libc::sigset_t>,
        /// Whether a SIGPIPE was pending before: it is the program's, never discarded.
        was_pending: bool,
    }

    fn sigpipe_set() -> libc::sigset_t {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initializes the set; sigaddset with a valid signal cannot fail.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
            set.assume_init()
        }
    }

    fn sigpipe_pending() -> bool {
        let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigpending fills the set when it returns 0.
        unsafe {
            libc::sigpending(pending.as_mut_ptr()) == 0
                && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1
        }
    }

    impl Blocked {
        pub(super) fn new() -> Self {
            let set = sigpipe_set();
            let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
            // SAFETY: valid sets; the previous mask is written when the call returns 0.
            let blocked =
                unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, previous.as_mut_ptr()) } == 0;
            // SAFETY: initialized by the successful call above.
            let previous = blocked.then(|| unsafe { previous.assume_init() });
            let previous = previous.filter(|mask| {
                // SAFETY: an initialized set.
                unsafe { libc::sigismember(mask, libc::SIGPIPE) != 1 }
            });
            Self {
                previous,
                was_pending: sigpipe_pending(),
            }
        }
    }

    impl Drop for Blocked {
        fn drop(&mut self) {
            let Some(previous) = self.previous else {
                return;
            };
            if !self.was_pending && sigpipe_pending() {
                let set = sigpipe_set();
                let no_wait = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: valid set and timeout; takes the pending SIGPIPE without waiting.
                unsafe { libc::sigtimedwait(&set, ptr::null_mut(), &no_wait) };
            }
            // SAFETY: restores the mask saved in `new`.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &previous, ptr::null_mut()) };
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_sigpipe_raised_while_blocked_is_discarded_and_the_mask_restored() {
            std::thread::spawn(|| {
                {
                    let _blocked = Blocked::new();
                    // SAFETY: raising a signal that this thread blocks.
                    unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE) };
                    assert!(sigpipe_pending());
                }
                assert!(!sigpipe_pending());
                let mut mask = MaybeUninit::<libc::sigset_t>::uninit();
                // SAFETY: reads this thread's mask.
                unsafe {
                    libc::pthread_sigmask(libc::SIG_BLOCK, ptr::null(), mask.as_mut_ptr());
                    assert_eq!(libc::sigismember(mask.as_ptr(), libc::SIGPIPE), 0);
                }
            })
            .join()
            .expect("the test thread ran");
        }
    }
}

//! Keeping a sequential caller on one healthy connection.
//!
//! The connection pool is maintained by tasks of the runtime, not by the call itself: a
//! finished response's connection goes back to the pool in a task of its own once the
//! connection is ready for the next request, and a connection the server closed while idle
//! only leaves the pool once its task has seen the end of the stream. On a runtime that only
//! runs while a call drives it (the blocking client's, driven by the calling thread) neither
//! happens between calls. Then a strictly sequential caller opens a second connection (a TLS handshake
//! each, against the real service), or sends its request on a connection the server already
//! closed — which reads as "connection lost after sending" and, for a call that is not
//! idempotent, as "may have executed" although the server never saw it.
//!
//! [`catch_up`], run at the start of each call of the blocking client, gives its runtime those
//! turns: each `yield_now` lets every ready task run (the previous call's connection goes back
//! to the pool) and then polls the I/O driver without waiting (the zero-timeout poll libcurl does on an idle
//! connection before reusing it), so an end of stream already in the kernel is seen and its
//! connection dropped. It costs two zero-timeout polls per call, and only narrows — as
//! libcurl's check does — the race with a server that closes the connection at the very moment
//! the request goes out.

/// How many scheduler turns a catch-up takes: one for the I/O driver to deliver what the
/// kernel already has, one for the woken connection tasks to act on it (each turn also runs
/// every task woken by those that ran before it).
const TURNS: usize = 2;

tokio::task_local! {
    /// Set for the length of a blocking client's call: its runtime runs only while a call
    /// drives it.
    static DRIVEN_BY_CALLS: ();
}

/// Runs `call` as a call of a client whose runtime only runs while its calls drive it (the
/// blocking client's), so that [`catch_up`] gives that runtime its turns first.
pub(crate) async fn driven_by_calls<F: std::future::Future>(call: F) -> F::Output {
    DRIVEN_BY_CALLS.scope((), call).await
}

/// Lets the runtime's pending connection work run before the pool is used — for the blocking
/// client, whose runtime nothing drives between calls. Any other runtime is driven whenever it
/// is idle (a worker, or the thread of a current-thread runtime, parks in its I/O driver), so
/// there the two extra polls would only cost: several per cent of a sequential call's CPU
/// (measured with `bench/run.py quick pinned`).
pub(crate) async fn catch_up() {
    if DRIVEN_BY_CALLS.try_with(|_| ()).is_ok() {
        for _ in 0..TURNS {
            tokio::task::yield_now().await;
        }
    }
}

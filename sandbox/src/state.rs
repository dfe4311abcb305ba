//! The sandbox's shared state and the typed, in-process handle to it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tracing::warn;

use crate::clock::{Clock, InvalidClockScale};
use crate::faults::{Fault, FaultQueue};
use crate::fixture::{Fixture, FixtureIndex};
use crate::recording::{RecordedRequest, RequestLog};
use crate::responses::RequestIds;
use crate::tls::TlsMaterial;

/// Everything that changes while the sandbox runs. Held behind one mutex: every critical
/// section is short (a lookup, a counter, a push).
#[derive(Debug)]
pub(crate) struct State {
    pub fixture: Fixture,
    pub index: FixtureIndex,
    pub token_override: Option<String>,
    /// The effective token (override, else the fixture's), shareable without the lock.
    token: Arc<str>,
    pub log: RequestLog,
    pub faults: FaultQueue,
    /// The sandbox clock every run is evaluated against.
    pub clock: Clock,
}

impl State {
    /// The token requests must carry: the override if any, else the fixture's.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The effective token as a cheap shared string, for use after the lock is released.
    pub fn shared_token(&self) -> Arc<str> {
        Arc::clone(&self.token)
    }

    fn effective_token(token_override: Option<&str>, fixture: &Fixture) -> Arc<str> {
        Arc::from(token_override.unwrap_or(fixture.token.as_str()))
    }

    /// Replaces the fixture; every stage's runs are forgotten and numbering restarts.
    pub fn set_fixture(&mut self, fixture: Fixture) {
        let mut index = FixtureIndex::new(&fixture);
        index.continue_job_ids(&self.index);
        self.index = index;
        self.token = State::effective_token(self.token_override.as_deref(), &fixture);
        self.fixture = fixture;
    }
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    ids: RequestIds,
    /// Set once, when the server serving this state speaks https.
    tls: OnceLock<Arc<TlsMaterial>>,
    /// TCP connections accepted since start (never reset): how tests see whether a client
    /// reused its connection.
    connections_accepted: AtomicU64,
}

/// A cheap, cloneable handle to one sandbox's state: the typed equivalent of the
/// `/_sandbox/` control API, usable from the thread that runs the tests.
#[derive(Clone, Debug)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl Sandbox {
    /// A sandbox serving `fixture`. `token` overrides the fixture's token (also across later
    /// fixture replacements); `record` starts with recording on or off; at most `max_records`
    /// requests are kept (oldest dropped first).
    pub fn new(fixture: Fixture, token: Option<String>, record: bool, max_records: usize) -> Self {
        let state = State {
            index: FixtureIndex::new(&fixture),
            token: State::effective_token(token.as_deref(), &fixture),
            fixture,
            token_override: token,
            log: RequestLog::new(record, max_records),
            faults: FaultQueue::default(),
            clock: Clock::new(1.0),
        };
        Sandbox {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                ids: RequestIds::new(),
                tls: OnceLock::new(),
                connections_accepted: AtomicU64::new(0),
            }),
        }
    }

    /// Locks the state. A poisoned lock is recovered: every update leaves the state
    /// consistent, so a panic elsewhere cannot corrupt it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// How many TCP connections the server has accepted since it started. Not cleared by
    /// [`Sandbox::reset`]: a test takes the difference across the calls it makes.
    pub fn connections_accepted(&self) -> u64 {
        self.inner.connections_accepted.load(Ordering::Relaxed)
    }

    /// Counts one accepted connection.
    pub(crate) fn count_connection(&self) {
        self.inner
            .connections_accepted
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The request id generator.
    pub(crate) fn ids(&self) -> &RequestIds {
        &self.inner.ids
    }

    /// Records the TLS material of the server serving this state (the first one wins).
    pub(crate) fn set_tls(&self, tls: Arc<TlsMaterial>) {
        if self.inner.tls.set(tls).is_err() {
            warn!("this sandbox state already has TLS material; keeping the first");
        }
    }

    /// Where the CA certificate of the server serving this state was written, when it speaks
    /// https (also `ca_path` in `GET /_sandbox/health`).
    pub fn ca_path(&self) -> Option<&Path> {
        self.inner.tls.get().map(|tls| tls.ca_path())
    }

    /// The CA certificate of the server serving this state, PEM-encoded, when it speaks https.
    pub fn ca_pem(&self) -> Option<&str> {
        self.inner.tls.get().map(|tls| tls.ca_pem())
    }

    /// The token requests must carry in `x-yunxiao-token` right now.
    pub fn token(&self) -> String {
        self.lock().token().to_string()
    }

    /// A copy of the kept request log, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.records()
    }

    /// How many requests were recorded since the log was last cleared (dropped ones included).
    pub fn request_count(&self) -> u64 {
        self.lock().log.count()
    }

    /// Empties the request log and restarts its numbering.
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Whether requests are being recorded.
    pub fn recording(&self) -> bool {
        self.lock().log.enabled()
    }

    /// Turns recording on or off.
    pub fn set_recording(&self, enabled: bool) {
        self.lock().log.set_enabled(enabled);
    }

    /// Queues one fault after those already pending.
    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push([fault]);
    }

    /// Queues several faults, in order, after those already pending.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.push(faults);
    }

    /// The pending faults, in queue order (with their remaining `times`).
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.lock().faults.pending().to_vec()
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// A copy of the current fixture.
    pub fn fixture(&self) -> Fixture {
        self.lock().fixture.clone()
    }

    /// Replaces the fixture; every stage's runs are forgotten and run numbers restart at 1.
    pub fn set_fixture(&self, fixture: Fixture) {
        self.lock().set_fixture(fixture);
    }

    /// Moves the sandbox clock forward by `by`: runs see the time pass at once (the next read
    /// evaluates them at the new time).
    pub fn advance_clock(&self, by: Duration) {
        self.lock().clock.advance(by);
    }

    /// Makes sandbox time run `scale` times as fast as real time from now on (0 freezes it,
    /// so only [`Sandbox::advance_clock`] moves it). A negative or non-finite scale is ignored
    /// with a warning; use [`Sandbox::try_set_clock_scale`] to be told.
    pub fn set_clock_scale(&self, scale: f64) {
        if let Err(e) = self.try_set_clock_scale(scale) {
            // A test helper's argument, not a request: ignoring it beats panicking in a test
            // harness, and returning nothing keeps call sites free of unused-Result warnings.
            warn!("{e}; the clock scale stays {}", self.clock_scale());
        }
    }

    /// Like [`Sandbox::set_clock_scale`], but refuses a negative or non-finite scale.
    pub fn try_set_clock_scale(&self, scale: f64) -> Result<(), InvalidClockScale> {
        self.lock().clock.set_scale(scale)
    }

    /// The current clock scale.
    pub fn clock_scale(&self) -> f64 {
        self.lock().clock.scale()
    }

    /// The current sandbox time, in epoch milliseconds (it started at the real wall time).
    pub fn clock_now_ms(&self) -> u64 {
        self.lock().clock.now_ms()
    }

    /// Clears the request log, the pending faults and every stage's runs (run numbers restart
    /// at 1). The clock is left alone: its time and scale belong to the test, not the state.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.log.clear();
        state.faults.clear();
        state.index.reset_counters();
    }
}

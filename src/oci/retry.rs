//! Retrying the idempotent steps of a push or pull. A registry that cannot be reached for a
//! moment, drops a connection mid-transfer, or answers 5xx or 429 gets a few more tries,
//! with a doubling wait between them; any other failure ends the command at once.

use std::future::Future;
use std::time::Duration;

use super::OciError;

/// Tries per step, the first included.
pub const ATTEMPTS: u32 = 4;
/// The wait before the first retry; it doubles for each after (so 1.75 s in all).
const FIRST_WAIT: Duration = Duration::from_millis(250);

impl OciError {
    /// Whether trying the same step again may work.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OciError::Unreachable { .. } | OciError::Unavailable { .. }
        )
    }
}

/// Runs `step` until it succeeds, fails for good, or has failed [`ATTEMPTS`] times.
/// `step` must be safe to repeat: each try starts it from the beginning.
pub(super) async fn retrying<T, F, Fut>(mut step: F) -> Result<T, OciError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OciError>>,
{
    let mut backoff = Backoff::new();
    loop {
        match step().await {
            Err(e) if backoff.again(&e).await => {}
            done => return done,
        }
    }
}

/// The same policy for a loop written out by hand (when each try needs `&mut` state).
pub(super) struct Backoff {
    attempt: u32,
    wait: Duration,
}

impl Backoff {
    pub(super) fn new() -> Backoff {
        Backoff {
            attempt: 1,
            wait: FIRST_WAIT,
        }
    }

    /// After a failure: waits and says yes when another try is due.
    pub(super) async fn again(&mut self, error: &OciError) -> bool {
        if !error.is_transient() || self.attempt >= ATTEMPTS {
            return false;
        }
        tokio::time::sleep(self.wait).await;
        self.wait *= 2;
        self.attempt += 1;
        true
    }
}

/// Whether an HTTP status asks to be tried again later.
pub(super) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn unavailable() -> OciError {
        OciError::Unavailable {
            registry: "r".into(),
            reason: "503".into(),
        }
    }

    #[test]
    fn transient_failures_are_retried_a_bounded_number_of_times_and_others_not_at_all() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let tries = Cell::new(0);
        let result: Result<(), _> = rt.block_on(retrying(|| {
            tries.set(tries.get() + 1);
            async { Err(unavailable()) }
        }));
        assert!(result.unwrap_err().is_transient());
        assert_eq!(tries.get(), ATTEMPTS);

        tries.set(0);
        let result = rt.block_on(retrying(|| {
            tries.set(tries.get() + 1);
            let n = tries.get();
            async move {
                if n < 3 {
                    Err(unavailable())
                } else {
                    Ok(n)
                }
            }
        }));
        assert_eq!(result.unwrap(), 3);

        tries.set(0);
        let result: Result<(), _> = rt.block_on(retrying(|| {
            tries.set(tries.get() + 1);
            async {
                Err(OciError::Unauthorized {
                    registry: "r".into(),
                })
            }
        }));
        assert!(matches!(result, Err(OciError::Unauthorized { .. })));
        assert_eq!(tries.get(), 1);
    }
}

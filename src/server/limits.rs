//! GitHub rate limits shared by the replicas through the store: the client's
//! [`SharedLimits`] hook, per installation.

use std::sync::Arc;
use std::time::Duration;

use crate::github::BoxFuture;
use crate::github::{InstallationId, SharedLimits};
use crate::store::{Store, now_ms};

pub struct StoreLimits {
    store: Arc<Store>,
}

impl StoreLimits {
    pub fn new(store: Arc<Store>) -> Self {
        StoreLimits { store }
    }
}

impl SharedLimits for StoreLimits {
    fn before_request(
        &self,
        installation: InstallationId,
        write: bool,
        spacing: Duration,
    ) -> BoxFuture<'_, Duration> {
        Box::pin(async move {
            let id = installation.0 as i64;
            let now = now_ms();
            // A store that does not answer must not stop reviews: the client's own retries
            // and rate-limit handling still apply.
            let mut wait = match self.store.rate_limit_wait(id, now).await {
                Ok((wait, _)) => wait,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the shared rate-limit state");
                    0
                }
            };
            if write && !spacing.is_zero() {
                match self
                    .store
                    .reserve_write(id, spacing.as_millis() as i64, now + wait)
                    .await
                {
                    Ok(w) => wait += w,
                    Err(e) => tracing::warn!(error = %e, "cannot reserve a write slot"),
                }
            }
            Duration::from_millis(wait.max(0) as u64)
        })
    }

    fn record(
        &self,
        installation: InstallationId,
        remaining: i64,
        reset: i64,
    ) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self
                .store
                .record_rate_limit(installation.0 as i64, remaining, reset)
                .await
            {
                tracing::warn!(error = %e, "cannot record the rate limit");
            }
        })
    }

    fn block(&self, installation: InstallationId, wait: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let until = now_ms() + wait.as_millis() as i64;
            if let Err(e) = self
                .store
                .block_installation(installation.0 as i64, until)
                .await
            {
                tracing::warn!(error = %e, "cannot share the rate-limit wait");
            }
        })
    }
}

//! Rate-limit state that replicas share: the hook the client calls before and after each
//! installation request. The service implements it over its store; without one, the client
//! spaces writes in memory.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::ids::InstallationId;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait SharedLimits: Send + Sync {
    /// How long to wait before a request: a block another replica recorded, the primary
    /// limit spent until its reset, and for a write the installation's next write slot
    /// (`spacing` after the previous write of any replica).
    fn before_request(
        &self,
        installation: InstallationId,
        write: bool,
        spacing: Duration,
    ) -> BoxFuture<'_, Duration>;
    /// GitHub's `x-ratelimit-remaining` and `x-ratelimit-reset` (epoch seconds).
    fn record(&self, installation: InstallationId, remaining: i64, reset: i64)
    -> BoxFuture<'_, ()>;
    /// A rate limit asked to wait `wait`: every replica holds this installation's requests.
    fn block(&self, installation: InstallationId, wait: Duration) -> BoxFuture<'_, ()>;
}

//! The service's durable state, on SQLite (one replica, nothing to install) or PostgreSQL
//! (several replicas), through one sqlx `Any` pool: webhook deliveries, review jobs with their
//! leases, what each review already posted, the deliveries asked to be redelivered, and the
//! rate-limit state shared by replicas.
//!
//! It owns the SQL and its semantics (claiming, superseding, leases, pruning) and knows nothing
//! of GitHub, webhooks or reviews: jobs are opaque payloads keyed by a pull-request key and a
//! head SHA. Callers pass `now` in epoch milliseconds (only `open` reads the clock, to date
//! a migration), so tests can move time.

mod schema;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

/// The default when `KUBENUDGE_DATABASE_URL` is not set: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kubenudge.db";

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of `url`, or a message that names the accepted forms (never the URL itself,
    /// which may hold a password).
    pub fn of_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or("");
            Err(format!(
                "must be sqlite://PATH or postgres://USER:PASSWORD@HOST/DB, got a {scheme:?} URL"
            ))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("KUBENUDGE_DATABASE_URL {0}")]
    Url(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// State of a job row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// A newer head of the same pull request replaced it before it ran.
    Superseded,
    /// Gave up after too many attempts (its check run was ended `neutral`).
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Superseded => "superseded",
            JobState::Failed => "failed",
        }
    }
}

/// A delivery as received, stored before the webhook answers.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub event: &'a str,
    /// Hex SHA-256 of the payload.
    pub digest: &'a str,
    pub payload: &'a [u8],
}

/// Work to queue with a delivery.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Jobs of one key run one at a time across replicas (a pull request).
    pub pr_key: String,
    pub head_sha: String,
    pub force: bool,
    /// The job, serialised by the caller.
    pub payload: String,
}

/// A job this worker now holds a lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub pr_key: String,
    pub head_sha: String,
    /// Forced by this job or by a superseded job of the same head.
    pub force: bool,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// The delivery that asked for it (for logs).
    pub delivery_id: Option<String>,
}

/// A check run kubenudge opened and never saw completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCheckRun {
    pub run_id: i64,
    pub installation: i64,
    pub repo: String,
    pub head_sha: String,
}

/// How many rows pruning removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: u64,
    pub deliveries: u64,
}

/// Counts for `/metrics` and the readiness check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub by_state: Vec<(String, i64)>,
}

impl JobCounts {
    pub fn get(&self, state: JobState) -> i64 {
        self.by_state
            .iter()
            .find(|(s, _)| s == state.as_str())
            .map_or(0, |(_, n)| *n)
    }
}

pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Claimable: waiting, or running under a lease that expired (its worker died).
const CLAIMABLE: &str = "(state = 'queued' OR (state = 'running' AND lease_until <= $1))";

impl Store {
    /// Connects and runs the migrations. A SQLite file is created when missing.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).map_err(StoreError::Url)?;
        let url = match backend {
            // Create the file on first start; keep whatever mode the operator chose.
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or("");
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
                && !dir.is_dir()
            {
                return Err(StoreError::Url(format!(
                    "names a SQLite file in {}, which is not an existing directory",
                    dir.display()
                )));
            }
        }
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Url(format!("cannot be read: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = Store { pool, backend };
        if backend == Backend::Sqlite {
            // Readers never wait for the writer; the mode is kept in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .fetch_optional(&store.pool)
                .await?;
        }
        store.migrate(now_ms()).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self, now: i64) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_lock($1)) AS locked")
                .bind(schema::PG_MIGRATION_LOCK)
                .fetch_all(&mut *conn)
                .await?;
        }
        let result: Result<(), sqlx::Error> = async {
            sqlx::raw_sql(schema::SCHEMA_TABLE)
                .execute(&mut *conn)
                .await?;
            let applied: Vec<i64> = sqlx::query("SELECT version FROM kubenudge_schema")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()?;
            for (version, template) in schema::MIGRATIONS {
                if applied.contains(version) {
                    continue;
                }
                let sql = schema::statements(template, self.backend);
                sqlx::raw_sql(&sql).execute(&mut *conn).await?;
                sqlx::query(
                    "INSERT INTO kubenudge_schema (version, applied_at) VALUES ($1, $2) \
                     ON CONFLICT (version) DO NOTHING",
                )
                .bind(*version)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }
        .await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_unlock($1)) AS unlocked")
                .bind(schema::PG_MIGRATION_LOCK)
                .fetch_all(&mut *conn)
                .await?;
        }
        Ok(result?)
    }

    /// True when the database answers and its schema is the one this build expects.
    pub async fn ready(&self) -> bool {
        let version = sqlx::query("SELECT MAX(version) FROM kubenudge_schema")
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get::<Option<i64>, _>(0));
        matches!(version, Ok(Some(v)) if v == schema::LATEST)
    }

    /// Stores a delivery and, when it asks for one, its job, in one transaction. False when
    /// the delivery id was stored before (GitHub retried, or another replica got it first):
    /// nothing is queued then.
    pub async fn record_delivery(
        &self,
        delivery: &NewDelivery<'_>,
        job: Option<&NewJob>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO deliveries (id, event, digest, received_at, payload) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(delivery.id)
        .bind(delivery.event)
        .bind(delivery.digest)
        .bind(now)
        .bind(delivery.payload.to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(job) = job {
            insert_job(&mut tx, Some(delivery.id), job, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Queues a job that no delivery carries (reconciliation, tests).
    pub async fn enqueue(&self, job: &NewJob, now: i64) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = insert_job(&mut tx, None, job, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Takes the oldest claimable job whose key no live lease holds, with a lease of
    /// `lease_ms` for `owner`. Of several claimable jobs of one key the newest runs and the
    /// others are superseded. `None` when there is nothing to do (or another worker won).
    pub async fn claim(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let postgres = self.backend == Backend::Postgres;
        if postgres {
            sqlx::query("BEGIN").execute(&mut *conn).await?;
        }
        let result = self.claim_on(&mut conn, owner, now, lease_ms).await;
        if postgres {
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            if sqlx::query(end).execute(&mut *conn).await.is_err() {
                // Never hand a connection in an unknown transaction state back to the pool.
                conn.close_on_drop();
            }
        }
        result
    }

    async fn claim_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        // On PostgreSQL the candidate row stays locked until COMMIT, and rows other replicas
        // are claiming are skipped rather than waited for.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE OF j SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql1 = format!(
            "SELECT j.pr_key FROM jobs j \
             WHERE (j.state = 'queued' OR (j.state = 'running' AND j.lease_until <= $1)) \
             AND NOT EXISTS (SELECT 1 FROM pr_leases l WHERE l.pr_key = j.pr_key AND l.lease_until > $1) \
             ORDER BY j.id LIMIT 1{lock}"
        );
        let candidate = sqlx::query(&sql1)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(candidate) = candidate else {
            return Ok(None);
        };
        let pr_key: String = candidate.try_get(0)?;
        let until = now + lease_ms;
        // The lease on the key is what makes one review per pull request across replicas.
        let leased = sqlx::query(
            "INSERT INTO pr_leases (pr_key, owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (pr_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until \
             WHERE pr_leases.lease_until <= $4",
        )
        .bind(&pr_key)
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if leased == 0 {
            return Ok(None);
        }
        let sql2 = format!(
            "SELECT id, head_sha, force_review, payload, attempts, delivery_id FROM jobs \
             WHERE pr_key = $2 AND {CLAIMABLE} ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql2)
            .bind(now)
            .bind(&pr_key)
            .fetch_all(&mut *conn)
            .await?;
        let Some(newest) = rows.first() else {
            self.drop_lease(conn, &pr_key, owner).await?;
            return Ok(None);
        };
        let id: i64 = newest.try_get(0)?;
        let head_sha: String = newest.try_get(1)?;
        let mut force = newest.try_get::<i64, _>(2)? != 0;
        for older in &rows[1..] {
            // A forced re-run of this head stays forced when a duplicate replaces it.
            if older.try_get::<String, _>(1)? == head_sha && older.try_get::<i64, _>(2)? != 0 {
                force = true;
            }
        }
        let sql3 = format!(
            "UPDATE jobs SET state = 'running', owner = $3, lease_until = $4, \
             attempts = attempts + 1, force_review = $5 WHERE id = $2 AND {CLAIMABLE}"
        );
        let claimed = sqlx::query(&sql3)
            .bind(now)
            .bind(id)
            .bind(owner)
            .bind(until)
            .bind(i64::from(force))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if claimed == 0 {
            self.drop_lease(conn, &pr_key, owner).await?;
            return Ok(None);
        }
        let sql4 = format!(
            "UPDATE jobs SET state = 'superseded', owner = NULL, finished_at = $1 \
             WHERE pr_key = $2 AND id <> $3 AND {CLAIMABLE}"
        );
        sqlx::query(&sql4)
            .bind(now)
            .bind(&pr_key)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(Some(ClaimedJob {
            id,
            pr_key,
            head_sha,
            force,
            payload: newest.try_get(3)?,
            attempts: newest.try_get::<i64, _>(4)? + 1,
            delivery_id: newest.try_get(5)?,
        }))
    }

    async fn drop_lease(
        &self,
        conn: &mut sqlx::AnyConnection,
        pr_key: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pr_leases WHERE pr_key = $1 AND owner = $2")
            .bind(pr_key)
            .bind(owner)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Extends a held lease; false when it was lost (expired and taken over).
    pub async fn renew(
        &self,
        job: &ClaimedJob,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let until = now + lease_ms;
        let kept = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND state = 'running'",
        )
        .bind(until)
        .bind(job.id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        sqlx::query("UPDATE pr_leases SET lease_until = $1 WHERE pr_key = $2 AND owner = $3")
            .bind(until)
            .bind(&job.pr_key)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(kept == 1)
    }

    /// Ends a held job (`Done`, `Failed`) and frees its key.
    pub async fn finish(
        &self,
        job: &ClaimedJob,
        owner: &str,
        state: JobState,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET state = $1, owner = NULL, finished_at = $2 WHERE id = $3 AND owner = $4",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(job.id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        self.free_key(&job.pr_key, owner).await
    }

    /// Gives a held job back to the queue (shutdown, or its key changed).
    pub async fn release(
        &self,
        job: &ClaimedJob,
        owner: &str,
        new_key: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        let (pr_key, payload) = new_key.unwrap_or((&job.pr_key, &job.payload));
        sqlx::query(
            "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = 0, \
             attempts = attempts - 1, pr_key = $1, payload = $2 \
             WHERE id = $3 AND owner = $4 AND state = 'running'",
        )
        .bind(pr_key)
        .bind(payload)
        .bind(job.id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        self.free_key(&job.pr_key, owner).await
    }

    async fn free_key(&self, pr_key: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pr_leases WHERE pr_key = $1 AND owner = $2")
            .bind(pr_key)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Jobs by state.
    pub async fn job_counts(&self) -> Result<JobCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut by_state = Vec::new();
        for r in rows {
            by_state.push((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?));
        }
        Ok(JobCounts { by_state })
    }

    /// Jobs waiting or running (an expired lease counts: it is still to be done).
    pub async fn unfinished_jobs(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Deliveries stored so far (for `/metrics` and load reports).
    pub async fn delivery_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Removes finished jobs and deliveries received before `before` (a delivery whose job
    /// is unfinished stays).
    pub async fn prune(&self, before: i64) -> Result<Pruned, StoreError> {
        let jobs = sqlx::query(
            "DELETE FROM jobs WHERE state IN ('done', 'superseded', 'failed') AND finished_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let deliveries = sqlx::query(
            "DELETE FROM deliveries WHERE received_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM jobs j WHERE j.delivery_id = deliveries.id)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected();
        for table in ["posted", "redeliveries"] {
            let column = if table == "posted" {
                "recorded_at"
            } else {
                "requested_at"
            };
            sqlx::query(&format!("DELETE FROM {table} WHERE {column} < $1"))
                .bind(before)
                .execute(&self.pool)
                .await?;
        }
        sqlx::query("DELETE FROM check_runs WHERE completed = 1 AND created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(Pruned { jobs, deliveries })
    }

    /// Remembers a write made for a head (`kind`: review, summary, …) and GitHub's id of it.
    pub async fn record_posted(
        &self,
        head_key: &str,
        kind: &str,
        github_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO posted (head_key, kind, github_id, recorded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (head_key, kind) DO UPDATE SET github_id = excluded.github_id",
        )
        .bind(head_key)
        .bind(kind)
        .bind(github_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets what was posted for a head (a forced re-run starts a new record).
    pub async fn clear_posted(&self, head_key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM posted WHERE head_key = $1")
            .bind(head_key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What was posted for a head: (kind, GitHub id).
    pub async fn posted(&self, head_key: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT kind, github_id FROM posted WHERE head_key = $1")
            .bind(head_key)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Remembers a check run kubenudge opened, until it is completed.
    pub async fn record_check_run(
        &self,
        run: &OpenCheckRun,
        completed: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO check_runs (run_id, installation, repo, head_sha, completed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (run_id) DO UPDATE SET completed = excluded.completed",
        )
        .bind(run.run_id)
        .bind(run.installation)
        .bind(&run.repo)
        .bind(&run.head_sha)
        .bind(i64::from(completed))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Check runs opened before `before`, not completed, with no job of their head to come.
    pub async fn abandoned_check_runs(&self, before: i64) -> Result<Vec<OpenCheckRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, installation, repo, head_sha FROM check_runs c \
             WHERE completed = 0 AND created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM jobs j WHERE j.head_sha = c.head_sha AND j.state IN ('queued', 'running'))",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OpenCheckRun {
                    run_id: r.try_get(0)?,
                    installation: r.try_get(1)?,
                    repo: r.try_get(2)?,
                    head_sha: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Records that redelivery of `guid` was asked for; false when it was before (by this
    /// replica or another).
    pub async fn claim_redelivery(
        &self,
        guid: &str,
        delivery_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO redeliveries (guid, delivery_id, requested_at) VALUES ($1, $2, $3) \
             ON CONFLICT (guid) DO NOTHING",
        )
        .bind(guid)
        .bind(delivery_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Forgets a redelivery GitHub did not accept, so the next round asks again.
    pub async fn forget_redelivery(&self, guid: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM redeliveries WHERE guid = $1")
            .bind(guid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ensure_rate_row(&self, installation: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rate_limits (installation) VALUES ($1) ON CONFLICT (installation) DO NOTHING",
        )
        .bind(installation)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes the next write slot of an installation, `spacing_ms` after the previous one
    /// (across replicas); returns how long to wait before writing.
    pub async fn reserve_write(
        &self,
        installation: i64,
        spacing_ms: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.ensure_rate_row(installation).await?;
        let row = sqlx::query(
            "UPDATE rate_limits SET next_write_at = \
             (CASE WHEN next_write_at > $2 THEN next_write_at ELSE $2 END) + $3 \
             WHERE installation = $1 RETURNING next_write_at",
        )
        .bind(installation)
        .bind(now)
        .bind(spacing_ms)
        .fetch_one(&self.pool)
        .await?;
        let next: i64 = row.try_get(0)?;
        Ok((next - spacing_ms - now).max(0))
    }

    /// Records GitHub's rate-limit headers for an installation (`reset_at` in epoch seconds).
    pub async fn record_rate_limit(
        &self,
        installation: i64,
        remaining: i64,
        reset_at: i64,
    ) -> Result<(), StoreError> {
        self.ensure_rate_row(installation).await?;
        sqlx::query("UPDATE rate_limits SET remaining = $2, reset_at = $3 WHERE installation = $1")
            .bind(installation)
            .bind(remaining)
            .bind(reset_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every replica holds its requests for an installation until `until` (a secondary rate
    /// limit one of them hit).
    pub async fn block_installation(
        &self,
        installation: i64,
        until: i64,
    ) -> Result<(), StoreError> {
        self.ensure_rate_row(installation).await?;
        sqlx::query(
            "UPDATE rate_limits SET blocked_until = \
             (CASE WHEN blocked_until > $2 THEN blocked_until ELSE $2 END) WHERE installation = $1",
        )
        .bind(installation)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How long requests for an installation must wait: a block a replica recorded, or the
    /// primary limit spent until its reset. Also returns the remaining count (-1: unknown).
    pub async fn rate_limit_wait(
        &self,
        installation: i64,
        now: i64,
    ) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT remaining, reset_at, blocked_until FROM rate_limits WHERE installation = $1",
        )
        .bind(installation)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok((0, -1));
        };
        let remaining: i64 = row.try_get(0)?;
        let reset_ms = row.try_get::<i64, _>(1)? * 1000;
        let blocked: i64 = row.try_get(2)?;
        let mut wait = (blocked - now).max(0);
        if remaining == 0 && reset_ms > now {
            wait = wait.max(reset_ms - now + 1000);
        }
        Ok((wait, remaining))
    }
}

async fn insert_job(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    delivery_id: Option<&str>,
    job: &NewJob,
    now: i64,
) -> Result<i64, StoreError> {
    // A waiting job of the same key is replaced: a newer head makes it pointless, the same
    // head makes it a duplicate (whose `force` carries over).
    let replaced = sqlx::query(
        "UPDATE jobs SET state = 'superseded', finished_at = $1 \
         WHERE pr_key = $2 AND state = 'queued' RETURNING head_sha, force_review",
    )
    .bind(now)
    .bind(&job.pr_key)
    .fetch_all(&mut **tx)
    .await?;
    let mut force = job.force;
    for r in &replaced {
        if r.try_get::<String, _>(0)? == job.head_sha && r.try_get::<i64, _>(1)? != 0 {
            force = true;
        }
    }
    let row = sqlx::query(
        "INSERT INTO jobs (delivery_id, pr_key, head_sha, force_review, payload, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6) RETURNING id",
    )
    .bind(delivery_id.map(str::to_string))
    .bind(&job.pr_key)
    .bind(&job.head_sha)
    .bind(i64::from(force))
    .bind(&job.payload)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// Epoch milliseconds now, for callers at the edge (the store never reads the clock itself).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests;

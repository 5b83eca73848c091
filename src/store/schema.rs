//! The schema, as numbered migrations per backend. A migration is applied once, in order, and
//! recorded in `kubenudge_schema`; on PostgreSQL an advisory lock keeps replicas that start
//! together from migrating twice. Statements are `IF NOT EXISTS` so a half-applied migration
//! (a crash between statement and record) completes on the next start.

/// (version, statements). `{SERIAL_ID}` and `{BYTES}` are the backend's words for an
/// auto-numbered key and a byte string; everything else is SQL both accept.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[(1, V1)];

/// A migration's statements for `backend`.
pub(super) fn statements(template: &str, backend: super::Backend) -> String {
    let (serial, bytes) = match backend {
        super::Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        super::Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    template
        .replace("{SERIAL_ID}", serial)
        .replace("{BYTES}", bytes)
}

/// The version a store opened by this build ends at (`/readyz` compares with it).
pub(super) const LATEST: i64 = 1;

/// Serialises migrations across replicas (any constant shared by all of them).
pub(super) const PG_MIGRATION_LOCK: i64 = 0x6b75_6265_6e75_6467;

pub(super) const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS kubenudge_schema (
    version BIGINT PRIMARY KEY,
    applied_at BIGINT NOT NULL
)";

const V1: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    digest TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    payload {BYTES} NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries (received_at);
CREATE TABLE IF NOT EXISTS jobs (
    id {SERIAL_ID},
    delivery_id TEXT,
    pr_key TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    force_review BIGINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, pr_key);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS pr_leases (
    pr_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS posted (
    head_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    github_id BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (head_key, kind)
);
CREATE TABLE IF NOT EXISTS check_runs (
    run_id BIGINT PRIMARY KEY,
    installation BIGINT NOT NULL,
    repo TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    completed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS redeliveries (
    guid TEXT PRIMARY KEY,
    delivery_id BIGINT NOT NULL,
    requested_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_limits (
    installation BIGINT PRIMARY KEY,
    remaining BIGINT NOT NULL DEFAULT -1,
    reset_at BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0,
    next_write_at BIGINT NOT NULL DEFAULT 0
);
";

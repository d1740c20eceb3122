//! The database's durable tables as one plain value, and back.
//!
//! Table-generic: every table of the schema is in the dump except those listed in [`SKIPPED`]
//! (what may be lost on a failover) — a table a later migration adds (alert rules, teams, …)
//! travels with no change here. Values keep their SQLite type (integer, real, text, blob,
//! null); secrets inside stay sealed as the tables hold them. A restore replaces every dumped
//! table in one transaction, after checking that each table and column exists here (a dump
//! from a newer berth is refused, never half-applied).

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Row, SqlitePool, TypeInfo, ValueRef};

/// Tables that are not part of berth's durable state: sessions and remembered devices may be
/// lost on a failover; the key check belongs to the key, not the data; sqlx's own bookkeeping.
pub const SKIPPED: &[&str] = &[
    "_sqlx_migrations",
    "sessions",
    "trusted_devices",
    "login_pending",
    "secret_key_check",
    // OIDC sign-ins under way (ten minutes at most)
    "oidc_logins",
];

/// Tables kept only in part: the newest rows (by rowid) up to the limit. The audit log may
/// hold 200,000 rows locally; the swarm's store gets the recent ones.
pub const NEWEST_ONLY: &[(&str, u32)] = &[("audit_log", 5_000)];

/// Changes to these tables alone do not start a snapshot (they ride along with the next one):
/// every request with a token writes the audit log.
pub const QUIET: &[&str] = &["audit_log"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    /// The newest migration the database had when dumped.
    pub schema: i64,
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    /// Each value: null, a number (integer or real), a string, or `{"b": base64}` for a blob.
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("the database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(
        "the state was written by a newer berth (schema {theirs}, this berth knows {ours}): not restored"
    )]
    Newer { theirs: i64, ours: i64 },
    #[error("the state names {0}, which this berth's database does not have: not restored")]
    Unknown(String),
    #[error("the state holds a value this berth cannot read in {0}")]
    BadValue(String),
}

/// The newest migration applied to the database.
pub async fn schema_version(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .map(|v| v.unwrap_or(0))
}

/// The tables a dump holds, by name.
pub async fn durable_tables(pool: &SqlitePool) -> sqlx::Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    Ok(names
        .into_iter()
        .filter(|n| !SKIPPED.contains(&n.as_str()))
        .collect())
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Reads every durable table.
pub async fn dump(pool: &SqlitePool) -> Result<Dump, DumpError> {
    let mut conn = pool.acquire().await?;
    // one read transaction: the tables agree with each other
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    let result = async {
        let schema = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or(0);
        let mut tables = Vec::new();
        for name in durable_tables(pool).await? {
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                    .bind(&name)
                    .fetch_all(&mut *conn)
                    .await?;
            let select = format!("SELECT * FROM {}", quote(&name));
            let sql = match NEWEST_ONLY.iter().find(|(t, _)| *t == name) {
                Some((_, n)) => format!(
                    "{select} WHERE rowid IN (SELECT rowid FROM {} ORDER BY rowid DESC LIMIT {n}) ORDER BY rowid",
                    quote(&name)
                ),
                None => select,
            };
            let mut rows = Vec::new();
            for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *conn).await? {
                let mut values = Vec::with_capacity(row.columns().len());
                for i in 0..row.columns().len() {
                    values.push(value_of(&row, i)?);
                }
                rows.push(values);
            }
            tables.push(Table {
                name,
                columns,
                rows,
            });
        }
        Ok::<_, DumpError>(Dump { schema, tables })
    }
    .await;
    let _ = sqlx::query("COMMIT").execute(&mut *conn).await;
    result
}

fn value_of(row: &sqlx::sqlite::SqliteRow, i: usize) -> sqlx::Result<Value> {
    let kind = row.try_get_raw(i)?.type_info().name().to_string();
    Ok(match kind.as_str() {
        "NULL" => Value::Null,
        "INTEGER" => Value::from(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" => Value::from(row.try_get_unchecked::<f64, _>(i)?),
        "BLOB" => serde_json::json!({ "b": B64.encode(row.try_get_unchecked::<Vec<u8>, _>(i)?) }),
        _ => Value::from(row.try_get_unchecked::<String, _>(i)?),
    })
}

/// Replaces every table in `dump` with its rows, in one transaction; sets nothing else.
pub async fn restore(pool: &SqlitePool, dump: &Dump) -> Result<(), DumpError> {
    let ours = schema_version(pool).await?;
    if dump.schema > ours {
        return Err(DumpError::Newer {
            theirs: dump.schema,
            ours,
        });
    }
    let known: HashSet<String> = durable_tables(pool).await?.into_iter().collect();
    for t in &dump.tables {
        if !known.contains(&t.name) {
            return Err(DumpError::Unknown(format!("the table {}", t.name)));
        }
        let cols: HashSet<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(&t.name)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        if let Some(c) = t.columns.iter().find(|c| !cols.contains(*c)) {
            return Err(DumpError::Unknown(format!("the column {}.{c}", t.name)));
        }
    }
    let mut tx = pool.begin().await?;
    // references are checked at commit, when every table holds its rows again
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await?;
    for t in &dump.tables {
        // identifiers are quoted and checked against the schema above
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", quote(&t.name))))
            .execute(&mut *tx)
            .await?;
    }
    for t in &dump.tables {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(&t.name),
            t.columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(", "),
            vec!["?"; t.columns.len()].join(", ")
        );
        for row in &t.rows {
            if row.len() != t.columns.len() {
                return Err(DumpError::BadValue(t.name.clone()));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for v in row {
                q = match v {
                    Value::Null => q.bind(None::<i64>),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => q.bind(i),
                        None => q.bind(
                            n.as_f64()
                                .ok_or_else(|| DumpError::BadValue(t.name.clone()))?,
                        ),
                    },
                    Value::String(s) => q.bind(s.as_str()),
                    Value::Object(o) => {
                        let b = o
                            .get("b")
                            .and_then(Value::as_str)
                            .and_then(|s| B64.decode(s).ok())
                            .ok_or_else(|| DumpError::BadValue(t.name.clone()))?;
                        q.bind(b)
                    }
                    _ => return Err(DumpError::BadValue(t.name.clone())),
                };
            }
            q.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

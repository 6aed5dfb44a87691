//! Search over the names, descriptions and templates of an organisation's projects, prompt
//! sets and prompts: PostgreSQL full-text search (`simple` configuration) or SQLite FTS5
//! (`unicode61`) behind one function. Query text is reduced to words before it reaches either
//! engine, so no query syntax of theirs can be injected; every word must match, as a prefix
//! of a word in the text (search as you type).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use super::access::{Action, OrgContext};
use super::{Error, Result};
use crate::db::migrations::m20261125_000006_search::pg_document;

pub const MAX_WORDS: usize = 10;
pub const MAX_QUERY_LEN: usize = 200;
pub const MAX_LIMIT: u64 = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub name: String,
    pub slug: String,
    pub address: String,
    pub snippet: String,
}

/// The words of a query: runs of letters and digits, lowercased.
pub fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(MAX_WORDS)
        .collect()
}

struct Kind {
    name: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
    /// Joins from the row (`t`) to its project (`pr`) and set (`s`, prompts only).
    joins: &'static str,
    set_slug: &'static str,
    live: &'static str,
}

const KINDS: [Kind; 3] = [
    Kind {
        name: "project",
        table: "projects",
        columns: &["t.name", "t.description"],
        joins: "JOIN projects pr ON pr.id = t.id",
        set_slug: "NULL",
        live: "pr.archived_at IS NULL",
    },
    Kind {
        name: "prompt_set",
        table: "prompt_sets",
        columns: &["t.name", "t.description"],
        joins: "JOIN projects pr ON pr.id = t.project_id",
        set_slug: "t.slug",
        live: "t.archived_at IS NULL AND pr.archived_at IS NULL",
    },
    Kind {
        name: "prompt",
        table: "prompts",
        columns: &["t.name", "t.description", "t.template"],
        joins: "JOIN prompt_sets s ON s.id = t.prompt_set_id JOIN projects pr ON pr.id = s.project_id",
        set_slug: "s.slug",
        live: "s.archived_at IS NULL AND pr.archived_at IS NULL",
    },
];

fn sqlite_sql() -> String {
    let parts: Vec<String> = KINDS
        .iter()
        .map(|k| {
            format!(
                "SELECT '{name}' AS kind, t.id AS id, t.name AS name, t.slug AS slug, pr.slug AS project_slug, \
                 {set} AS set_slug, snippet({table}_fts, -1, '**', '**', '...', 12) AS snippet, \
                 bm25({table}_fts) AS score \
                 FROM {table}_fts JOIN {table} t ON t.id = {table}_fts.id {joins} \
                 WHERE {table}_fts MATCH ?1 AND t.organisation_id = ?2 AND {live}",
                name = k.name,
                table = k.table,
                set = k.set_slug,
                joins = k.joins,
                live = k.live,
            )
        })
        .collect();
    format!(
        "SELECT * FROM ({}) ORDER BY score ASC, id ASC LIMIT ?3 OFFSET ?4",
        parts.join(" UNION ALL ")
    )
}

fn postgres_sql() -> String {
    let parts: Vec<String> = KINDS
        .iter()
        .map(|k| {
            let doc = pg_document(k.columns);
            let text = k
                .columns
                .iter()
                .map(|c| format!("coalesce({c}, '')"))
                .collect::<Vec<_>>()
                .join(" || ' ' || ");
            format!(
                "SELECT '{name}' AS kind, t.id AS id, t.name AS name, t.slug AS slug, pr.slug AS project_slug, \
                 {set} AS set_slug, \
                 ts_headline('simple', {text}, q, 'StartSel=**, StopSel=**, MaxWords=20, MinWords=5') AS snippet, \
                 ts_rank({doc}, q) AS score \
                 FROM {table} t {joins}, to_tsquery('simple', $1) q \
                 WHERE {doc} @@ q AND t.organisation_id = $2 AND {live}",
                name = k.name,
                table = k.table,
                set = k.set_slug,
                joins = k.joins,
                live = k.live,
            )
        })
        .collect();
    format!(
        "SELECT * FROM ({}) AS hits ORDER BY score DESC, id ASC LIMIT $3 OFFSET $4",
        parts.join(" UNION ALL ")
    )
}

/// One page of hits (`offset`, `limit`), and whether more follow.
pub async fn search(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    q: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Hit>, bool)> {
    ctx.require(Action::ReadOrganisation)?;
    if q.chars().count() > MAX_QUERY_LEN {
        return Err(Error::invalid(
            "q",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let words = words(q);
    if words.is_empty() {
        return Err(Error::invalid("q", "needs at least one word to search for"));
    }
    let backend = db.get_database_backend();
    let (sql, query) = match backend {
        DbBackend::Postgres => (
            postgres_sql(),
            words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & "),
        ),
        _ => (
            sqlite_sql(),
            words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };
    let limit = limit.clamp(1, MAX_LIMIT);
    let values: [Value; 4] = [
        query.into(),
        ctx.organisation.id.clone().into(),
        i64::try_from(limit + 1).unwrap_or(i64::MAX).into(),
        i64::try_from(offset).unwrap_or(i64::MAX).into(),
    ];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get("", "kind")?;
        let project: String = r.try_get("", "project_slug")?;
        let set: Option<String> = r.try_get("", "set_slug")?;
        let slug: String = r.try_get("", "slug")?;
        let address = match (kind.as_str(), set) {
            ("prompt", Some(set)) => format!("{project}/{set}/{slug}"),
            (_, Some(set)) => format!("{project}/{set}"),
            _ => project,
        };
        hits.push(Hit {
            kind,
            id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            slug,
            address,
            snippet: r.try_get("", "snippet")?,
        });
    }
    let more = hits.len() as u64 > limit;
    hits.truncate(limit as usize);
    Ok((hits, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_reduce_to_words() {
        assert_eq!(
            words("Refund  \"policy\" OR x*"),
            ["refund", "policy", "or", "x"]
        );
        assert_eq!(words("Grüße, Straße"), ["grüße", "straße"]);
        assert!(words("*** ()").is_empty());
        assert_eq!(words(&"a ".repeat(50)).len(), MAX_WORDS);
    }
}

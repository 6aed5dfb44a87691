//! Keyset pagination: lists are ordered by id (UUIDv7, so by creation) and continue after the
//! last id of the previous page, which stays correct when rows are inserted meanwhile.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

/// Which slice of a list to read. Services fetch `limit + 1` rows to learn whether more exist.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Continue strictly after this id (in the list's order).
    pub after: Option<String>,
    pub limit: u64,
}

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

impl Page {
    pub fn first(limit: u64) -> Self {
        Page {
            after: None,
            limit: limit.clamp(1, MAX_LIMIT),
        }
    }

    /// Rows to fetch: one more than the page, to know if another page follows.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }
}

/// One page of a list and whether more follow.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Paged<T> {
    /// Trims the extra row fetched by [`Page::fetch`].
    pub fn from_fetched(mut items: Vec<T>, page: &Page) -> Self {
        let has_more = items.len() as u64 > page.limit;
        items.truncate(page.limit as usize);
        Paged { items, has_more }
    }

    /// The id the next page continues after, when one follows.
    pub fn next_after(&self, id: impl Fn(&T) -> &str) -> Option<String> {
        match (self.has_more, self.items.last()) {
            (true, Some(last)) => Some(id(last).to_string()),
            _ => None,
        }
    }
}

/// Which end of a list comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// Reads one page of `query`, ordered by its `id` column and continuing after the page's
/// cursor: the one place every keyset-paginated list goes through.
pub async fn read<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    query: Select<E>,
    id: E::Column,
    order: Order,
    page: &Page,
) -> super::Result<Paged<E::Model>> {
    let mut q = query;
    if let Some(after) = &page.after {
        q = match order {
            Order::OldestFirst => q.filter(id.gt(after.clone())),
            Order::NewestFirst => q.filter(id.lt(after.clone())),
        };
    }
    let q = match order {
        Order::OldestFirst => q.order_by_asc(id),
        Order::NewestFirst => q.order_by_desc(id),
    };
    let rows = q.limit(page.fetch()).all(conn).await?;
    Ok(Paged::from_fetched(rows, page))
}

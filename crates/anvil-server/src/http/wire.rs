//! The wire shapes every resource shares: the single-resource envelope (`{"project": {...}}`),
//! the list envelope (`{"projects": [...], "meta": {...}}`), the error format and times.
//! Each resource's own shape lives beside its handlers, as one `Serialize + ToSchema` struct:
//! what the handler sends is what the document describes.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::SerializeMap;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::{RefOr, Type};
use utoipa::{PartialSchema, ToSchema};

use super::AppState;
use crate::domain::page::Paged;

/// A resource as the API sends it, with the keys its envelopes use.
pub trait Resource: ToSchema + Serialize {
    /// The key of one (`project`).
    const ONE: &'static str;
    /// The key of a list (`projects`).
    const MANY: &'static str;
}

/// `meta` of every list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meta {
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub cursor: Option<String>,
    pub has_more: bool,
}

/// One resource under its singular key.
pub struct One<T>(pub T);

/// A page of resources under their plural key, with `meta`.
pub struct List<T> {
    pub items: Vec<T>,
    pub meta: Meta,
}

impl<T> List<T> {
    /// A page of domain rows as views, with the signed cursor after the last row.
    pub fn page<R>(
        state: &AppState,
        page: &Paged<R>,
        id_of: impl Fn(&R) -> &str,
        view: impl Fn(&R) -> T,
    ) -> Self {
        let cursor = match (page.has_more, page.items.last()) {
            (true, Some(last)) => Some(super::pagination::sign(state, id_of(last))),
            _ => None,
        };
        List {
            items: page.items.iter().map(view).collect(),
            meta: Meta {
                cursor,
                has_more: page.has_more,
            },
        }
    }
}

impl<T: Resource> Serialize for One<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(T::ONE, &self.0)?;
        m.end()
    }
}

impl<T: Resource> Serialize for List<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(T::MANY, &self.items)?;
        m.serialize_entry("meta", &self.meta)?;
        m.end()
    }
}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

// utoipa composes a generic type through its `ComposeSchema` (which gives `PartialSchema`):
// `body = List<Project>` in a path annotation lands here.
impl<T: Resource> utoipa::__dev::ComposeSchema for One<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(T::ONE, reference::<T>())
            .required(T::ONE)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl<T: Resource> ToSchema for One<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Envelope", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Self::name().into_owned(), Self::schema()));
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

impl<T: Resource> utoipa::__dev::ComposeSchema for List<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(T::MANY, ArrayBuilder::new().items(reference::<T>()))
            .property("meta", reference::<Meta>())
            .required(T::MANY)
            .required("meta")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl<T: Resource> ToSchema for List<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}List", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Self::name().into_owned(), Self::schema()));
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
        schemas.push((Meta::name().into_owned(), Meta::schema()));
    }
}

/// `{"status": "..."}`, as health checks and accepted requests answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}

/// A time on the wire: RFC 3339 in UTC, as every `*_at` field of the API.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] pub time::OffsetDateTime);

impl From<time::OffsetDateTime> for Timestamp {
    fn from(t: time::OffsetDateTime) -> Self {
        Timestamp(t)
    }
}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("RFC 3339, UTC"))
            .into()
    }
}

impl ToSchema for Timestamp {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organisation_id: String,
    pub prompt_set_id: String,
    pub label: String,
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub pre: Option<String>,
    pub description: String,
    pub snapshot: Json,
    pub checksum: String,
    pub created_by: Option<String>,
    pub yanked_at: Option<TimeDateTimeWithTimeZone>,
    pub yank_reason: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

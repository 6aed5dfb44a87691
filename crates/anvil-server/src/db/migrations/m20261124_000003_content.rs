//! Projects, prompt sets, prompts (the working copy), versions, channels and channel moves.
//! Every content row carries its `organisation_id`, so tenant filters never need a join.

use sea_orm_migration::prelude::*;

use super::{
    create, drop, fk, flag, id, index, integer, json, reference, reference_null, short, short_null,
    text, text_null, ts, ts_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create(
            m,
            "projects",
            vec![
                id(),
                reference("organisation_id"),
                text("name"),
                short("slug"),
                text("description"),
                ts("created_at"),
                ts("updated_at"),
                // Archived projects keep their slug reserved.
                ts_null("archived_at"),
            ],
            vec![fk("projects", "organisation_id", "organisations", true)],
        )
        .await?;
        index(m, "projects", &["organisation_id", "slug"], true).await?;

        create(
            m,
            "prompt_sets",
            vec![
                id(),
                reference("organisation_id"),
                reference("project_id"),
                text("name"),
                short("slug"),
                text("description"),
                // live | review | locked
                short("status"),
                json("dependencies"),
                ts("created_at"),
                ts("updated_at"),
                ts_null("archived_at"),
            ],
            vec![
                fk("prompt_sets", "organisation_id", "organisations", true),
                fk("prompt_sets", "project_id", "projects", true),
            ],
        )
        .await?;
        index(m, "prompt_sets", &["project_id", "slug"], true).await?;
        index(m, "prompt_sets", &["organisation_id"], false).await?;

        create(
            m,
            "prompts",
            vec![
                id(),
                reference("organisation_id"),
                reference("prompt_set_id"),
                text("name"),
                short("slug"),
                text("description"),
                text("template"),
                json("parameters"),
                json("metadata"),
                json("examples"),
                ts("created_at"),
                ts("updated_at"),
            ],
            vec![
                fk("prompts", "organisation_id", "organisations", true),
                fk("prompts", "prompt_set_id", "prompt_sets", true),
            ],
        )
        .await?;
        index(m, "prompts", &["prompt_set_id", "slug"], true).await?;
        index(m, "prompts", &["prompt_set_id", "name"], true).await?;

        create(
            m,
            "versions",
            vec![
                id(),
                reference("organisation_id"),
                reference("prompt_set_id"),
                short("label"),
                // Semver parts for ordering in SQL; build metadata is not part of identity.
                integer("major"),
                integer("minor"),
                integer("patch"),
                short_null("pre"),
                text("description"),
                json("snapshot"),
                short("checksum"),
                reference_null("created_by"),
                ts_null("yanked_at"),
                text_null("yank_reason"),
                ts("created_at"),
            ],
            vec![
                fk("versions", "organisation_id", "organisations", true),
                fk("versions", "prompt_set_id", "prompt_sets", true),
            ],
        )
        .await?;
        index(m, "versions", &["prompt_set_id", "label"], true).await?;

        create(
            m,
            "channels",
            vec![
                id(),
                reference("organisation_id"),
                reference("prompt_set_id"),
                short("name"),
                reference("version_id"),
                flag("protected"),
                reference_null("updated_by"),
                ts("created_at"),
                ts("updated_at"),
            ],
            vec![
                fk("channels", "organisation_id", "organisations", true),
                fk("channels", "prompt_set_id", "prompt_sets", true),
                fk("channels", "version_id", "versions", false),
            ],
        )
        .await?;
        index(m, "channels", &["prompt_set_id", "name"], true).await?;

        create(
            m,
            "channel_moves",
            vec![
                id(),
                reference("organisation_id"),
                reference("channel_id"),
                reference_null("from_version_id"),
                reference("to_version_id"),
                reference_null("moved_by"),
                ts("created_at"),
            ],
            vec![fk("channel_moves", "channel_id", "channels", true)],
        )
        .await?;
        index(m, "channel_moves", &["channel_id", "created_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(
            m,
            &[
                "channel_moves",
                "channels",
                "versions",
                "prompts",
                "prompt_sets",
                "projects",
            ],
        )
        .await
    }
}

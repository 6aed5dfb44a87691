//! Who is acting, in which organisation, and what they may do there: the roles table of
//! `domain.md` intersected with API key scopes. Every domain service that touches tenant data
//! starts from an [`OrgContext`], so no query runs for an unchecked request.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, Select};

use super::accounts::ClientInfo;
use super::audit::AuditActor;
use super::organisations::Role;
use super::{Error, Result};
use crate::domain::entities::{membership, organisation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        session_id: String,
    },
    ApiKey {
        key_id: String,
        organisation_id: String,
        scopes: Vec<Scope>,
    },
}

/// The acting identity of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub credential: Credential,
    pub client: ClientInfo,
}

impl Actor {
    pub fn audit(&self) -> AuditActor {
        let (actor_type, actor_id) = match &self.credential {
            Credential::Session { .. } => ("user", self.user_id.clone()),
            Credential::ApiKey { key_id, .. } => ("api_key", key_id.clone()),
        };
        AuditActor {
            actor_type,
            actor_id: Some(actor_id),
            ip: self.client.ip.clone(),
            user_agent: self.client.user_agent.clone(),
        }
    }

    pub fn is_session(&self) -> bool {
        matches!(self.credential, Credential::Session { .. })
    }
}

/// What an actor wants to do: the rows of the roles table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadOrganisation,
    EditContent,
    DeleteContent,
    ManageProjects,
    ManageVersions,
    ManageTokens,
    ReadAudit,
    ManageInvitations,
    InviteOwner,
    ChangeRoles,
    RemoveMembers,
    RenameOrganisation,
    DeleteOrganisation,
    RestoreOrPurge,
    ImportBundles,
    ManageWebhooks,
}

impl Action {
    /// The least role that may do it.
    pub fn min_role(self) -> Role {
        use Action::*;
        match self {
            ReadOrganisation | EditContent => Role::Member,
            DeleteContent | ManageProjects | ManageVersions | ManageTokens | ReadAudit
            | ManageInvitations | ImportBundles | ManageWebhooks => Role::Admin,
            InviteOwner | ChangeRoles | RemoveMembers | RenameOrganisation | DeleteOrganisation
            | RestoreOrPurge => Role::Owner,
        }
    }

    /// The API key scope it needs.
    pub fn scope(self) -> Scope {
        use Action::*;
        match self {
            ReadOrganisation => Scope::Read,
            EditContent | DeleteContent | ManageProjects | ManageVersions | ImportBundles => {
                Scope::Write
            }
            ManageTokens | ManageWebhooks | ReadAudit | ManageInvitations | InviteOwner
            | ChangeRoles | RemoveMembers | RenameOrganisation | DeleteOrganisation
            | RestoreOrPurge => Scope::Admin,
        }
    }

    fn describe(self) -> &'static str {
        use Action::*;
        match self {
            ReadOrganisation => "read this organisation",
            EditContent => "edit content",
            DeleteContent => "delete prompts and prompt sets",
            ManageProjects => "manage projects",
            ManageVersions => "yank versions and manage channels",
            ManageTokens => "manage access tokens",
            ReadAudit => "read the audit log",
            ManageInvitations => "manage invitations",
            InviteOwner => "invite owners",
            ChangeRoles => "change roles",
            RemoveMembers => "remove members",
            RenameOrganisation => "rename the organisation",
            DeleteOrganisation => "delete the organisation",
            RestoreOrPurge => "restore or purge archived projects and prompt sets",
            ImportBundles => "import bundles",
            ManageWebhooks => "manage webhooks",
        }
    }
}

/// An actor inside one organisation they belong to, with their role there.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub actor: Actor,
    pub organisation: organisation::Model,
    pub role: Role,
}

impl OrgContext {
    /// Checks the roles table and the key's scopes; a refusal says who can.
    pub fn require(&self, action: Action) -> Result<()> {
        if self.role < action.min_role() {
            let who = match action.min_role() {
                Role::Admin => "admins and owners",
                _ => "owners",
            };
            return Err(Error::Forbidden(format!(
                "only {who} can {}; you are a {}",
                action.describe(),
                self.role.as_str()
            )));
        }
        if let Credential::ApiKey { scopes, .. } = &self.actor.credential
            && !scopes.contains(&action.scope())
        {
            return Err(Error::Forbidden(format!(
                "this API key lacks the '{}' scope needed to {}",
                action.scope().as_str(),
                action.describe()
            )));
        }
        Ok(())
    }
}

fn not_found() -> Error {
    Error::NotFound("organisation not found".to_string())
}

async fn membership_of<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    org: organisation::Model,
) -> Result<OrgContext> {
    if let Credential::ApiKey {
        organisation_id, ..
    } = &actor.credential
        && organisation_id != &org.id
    {
        return Err(not_found());
    }
    let m = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(org.id.clone()))
        .filter(membership::Column::UserId.eq(actor.user_id.clone()))
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let role =
        Role::parse(&m.role).ok_or_else(|| Error::Internal(format!("bad role {}", m.role)))?;
    Ok(OrgContext {
        actor: actor.clone(),
        organisation: org,
        role,
    })
}

/// The organisation a request acts in: an API key's own; for a session, the one `selector`
/// names (id or slug), else the user's personal organisation. Not a member: 404.
pub async fn org_context<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    selector: Option<&str>,
) -> Result<OrgContext> {
    let live = organisation::Column::DeletedAt.is_null();
    let org = match (&actor.credential, selector) {
        (
            Credential::ApiKey {
                organisation_id, ..
            },
            _,
        ) => {
            organisation::Entity::find_by_id(organisation_id.clone())
                .filter(live)
                .one(conn)
                .await?
        }
        (Credential::Session { .. }, Some(sel)) => {
            organisation::Entity::find()
                .filter(live)
                .filter(
                    sea_orm::Condition::any()
                        .add(organisation::Column::Id.eq(sel))
                        .add(organisation::Column::Slug.eq(sel)),
                )
                .one(conn)
                .await?
        }
        (Credential::Session { .. }, None) => {
            let ids: Vec<String> = membership::Entity::find()
                .filter(membership::Column::UserId.eq(actor.user_id.clone()))
                .all(conn)
                .await?
                .into_iter()
                .map(|m| m.organisation_id)
                .collect();
            organisation::Entity::find()
                .filter(live)
                .filter(organisation::Column::Personal.eq(true))
                .filter(organisation::Column::Id.is_in(ids))
                .one(conn)
                .await?
        }
    };
    membership_of(conn, actor, org.ok_or_else(not_found)?).await
}

/// The context of a specific organisation by id (routes that name it).
pub async fn org_context_by_id<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: &str,
) -> Result<OrgContext> {
    let org = organisation::Entity::find_by_id(id.to_string())
        .filter(organisation::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    membership_of(conn, actor, org).await
}

/// A table of tenant rows: every row carries the organisation it belongs to.
pub trait Tenant: EntityTrait {
    fn organisation_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! tenant_tables {
    ($($table:ident),* $(,)?) => {$(
        impl Tenant for crate::domain::entities::$table::Entity {
            fn organisation_column() -> Self::Column {
                crate::domain::entities::$table::Column::OrganisationId
            }
            fn id_column() -> Self::Column {
                crate::domain::entities::$table::Column::Id
            }
        }
    )*};
}

tenant_tables!(
    project,
    prompt_set,
    prompt,
    version,
    channel,
    access_token,
    api_key,
    invitation
);

impl OrgContext {
    /// Rows of `E` in this organisation, and only those: every tenant query starts here.
    pub fn find<E: Tenant>(&self) -> Select<E> {
        E::find().filter(E::organisation_column().eq(self.organisation.id.clone()))
    }

    /// The row `id` of `E` in this organisation, or a 404 naming `what`.
    pub async fn load<E: Tenant, C: ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
        what: &str,
    ) -> Result<E::Model> {
        self.find::<E>()
            .filter(E::id_column().eq(id))
            .one(conn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("{what} not found")))
    }
}

/// What a route names by id, to find the organisation it acts in.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    Project(&'a str),
    PromptSet(&'a str),
    Prompt(&'a str),
    Version(&'a str),
}

async fn organisation_of<E: Tenant, C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<String>> {
    let row = E::find().filter(E::id_column().eq(id)).one(conn).await?;
    Ok(row.and_then(|m| match m.get(E::organisation_column()) {
        sea_orm::Value::String(Some(org)) => Some(org.to_string()),
        _ => None,
    }))
}

/// The context of the organisation a resource belongs to, for routes that name it by id:
/// the caller must be a member there. A resource that does not exist and one of an
/// organisation the caller is not in are the same 404; a failing database stays a 500.
pub async fn context_of<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    resource: Resource<'_>,
) -> Result<OrgContext> {
    use crate::domain::entities::{project, prompt, prompt_set, version};
    let (org, what) = match resource {
        Resource::Project(id) => (
            organisation_of::<project::Entity, _>(conn, id).await?,
            "project",
        ),
        Resource::PromptSet(id) => (
            organisation_of::<prompt_set::Entity, _>(conn, id).await?,
            "prompt set",
        ),
        Resource::Prompt(id) => (
            organisation_of::<prompt::Entity, _>(conn, id).await?,
            "prompt",
        ),
        Resource::Version(id) => (
            organisation_of::<version::Entity, _>(conn, id).await?,
            "version",
        ),
    };
    let message = format!("{what} not found");
    let org = org.ok_or_else(|| Error::NotFound(message.clone()))?;
    org_context_by_id(conn, actor, &org)
        .await
        .map_err(|e| e.as_not_found(&message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roles_table() {
        use Action::*;
        let member_may = [ReadOrganisation, EditContent];
        let admin_may = [
            DeleteContent,
            ManageProjects,
            ManageVersions,
            ManageTokens,
            ReadAudit,
            ManageInvitations,
            ImportBundles,
            ManageWebhooks,
        ];
        let owner_only = [
            RestoreOrPurge,
            InviteOwner,
            ChangeRoles,
            RemoveMembers,
            RenameOrganisation,
            DeleteOrganisation,
        ];
        for a in member_may {
            assert_eq!(a.min_role(), Role::Member, "{a:?}");
        }
        for a in admin_may {
            assert_eq!(a.min_role(), Role::Admin, "{a:?}");
        }
        for a in owner_only {
            assert_eq!(a.min_role(), Role::Owner, "{a:?}");
        }
    }
}

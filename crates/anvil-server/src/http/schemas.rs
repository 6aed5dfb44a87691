//! The shapes of the API's JSON for the OpenAPI document. Handlers build their JSON directly;
//! these types describe it, and the integration tests check every response they receive
//! against the document, so the two cannot drift apart unnoticed.

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// `meta` of every list.
#[derive(ToSchema)]
pub struct Meta {
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub cursor: Option<String>,
    pub has_more: bool,
}

#[derive(ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub message: String,
}

#[derive(ToSchema)]
pub struct ErrorObject {
    /// `invalid_request_error`, `authentication_error`, `authorization_error`,
    /// `not_found_error`, `conflict_error`, `payload_too_large`, `validation_error`,
    /// `rate_limit_error` or `server_error`.
    pub r#type: String,
    pub message: String,
    pub details: Option<Vec<FieldDetail>>,
    pub request_id: String,
}

/// Every error: `{"error": {...}}`.
#[derive(ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorObject,
}

/// The error responses every API operation may give, in the API's error format.
#[derive(utoipa::IntoResponses)]
#[response(status = "4XX", description = "The error format of the API")]
pub struct ApiErrors(#[to_schema] ErrorResponse);

#[derive(ToSchema)]
pub struct Status {
    pub status: String,
}

#[derive(ToSchema)]
pub struct Readiness {
    pub status: String,
    pub database: String,
    pub migrations: String,
    pub backend: String,
}

// Accounts

#[derive(ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub confirmed: bool,
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct UserEnvelope {
    pub user: User,
}

#[derive(ToSchema)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
}

#[derive(ToSchema)]
pub struct SignIn {
    pub email: String,
    pub password: String,
    pub remember_me: Option<bool>,
}

#[derive(ToSchema)]
pub struct EmailBody {
    pub email: String,
}

#[derive(ToSchema)]
pub struct TokenBody {
    pub token: String,
}

#[derive(ToSchema)]
pub struct ResetConfirm {
    pub token: String,
    pub password: String,
}

#[derive(ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub current: bool,
}

#[derive(ToSchema)]
pub struct SessionList {
    pub sessions: Vec<Session>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct Membership {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub personal: bool,
    pub role: String,
}

#[derive(ToSchema)]
pub struct Me {
    pub user: User,
    pub organisations: Vec<Membership>,
    pub api_key: Option<Value>,
}

// Organisations

#[derive(ToSchema)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub personal: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The caller's role, where it applies.
    pub role: Option<String>,
}

#[derive(ToSchema)]
pub struct OrganisationEnvelope {
    pub organisation: Organisation,
}

#[derive(ToSchema)]
pub struct OrganisationList {
    pub organisations: Vec<Organisation>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct OrganisationInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: String,
}

#[derive(ToSchema)]
pub struct MemberList {
    pub members: Vec<Member>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct MemberRole {
    pub user_id: String,
    pub role: String,
}

#[derive(ToSchema)]
pub struct MemberEnvelope {
    pub member: MemberRole,
}

#[derive(ToSchema)]
pub struct RoleBody {
    pub role: String,
}

#[derive(ToSchema)]
pub struct InviteBody {
    pub email: String,
    /// `member` (default), `admin` or `owner`.
    pub role: Option<String>,
}

#[derive(ToSchema)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub expires_at: String,
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct InvitationEnvelope {
    pub invitation: Invitation,
}

#[derive(ToSchema)]
pub struct InvitationList {
    pub invitations: Vec<Invitation>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct AcceptInvitation {
    pub token: String,
    /// With a password (and name), the invitee registers through the invitation.
    pub password: Option<String>,
    pub name: Option<String>,
}

#[derive(ToSchema)]
pub struct Accepted {
    pub organisation: Organisation,
    pub user: Option<User>,
}

#[derive(ToSchema)]
pub struct Reference {
    pub r#type: String,
    pub id: Option<String>,
}

#[derive(ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub actor: Reference,
    pub action: String,
    pub resource: Reference,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub changes: Value,
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct AuditList {
    pub audit_events: Vec<AuditEvent>,
    pub meta: Meta,
}

// Credentials

#[derive(ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub organisation_id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub created_at: String,
    /// Only in the response that creates the key.
    pub key: Option<String>,
}

#[derive(ToSchema)]
pub struct ApiKeyEnvelope {
    pub api_key: ApiKey,
}

#[derive(ToSchema)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKey>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct ApiKeyInput {
    pub name: String,
    /// `read`, `write`, `admin`.
    pub scopes: Vec<String>,
    pub organisation_id: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(ToSchema)]
pub struct AccessToken {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub prefix: String,
    pub last_used_at: Option<String>,
    pub created_at: String,
    /// Only in the response that creates the token.
    pub token: Option<String>,
}

#[derive(ToSchema)]
pub struct AccessTokenEnvelope {
    pub access_token: AccessToken,
}

#[derive(ToSchema)]
pub struct AccessTokenList {
    pub access_tokens: Vec<AccessToken>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct NameBody {
    pub name: String,
}

// Content

#[derive(ToSchema)]
pub struct Project {
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(ToSchema)]
pub struct ProjectEnvelope {
    pub project: Project,
}

#[derive(ToSchema)]
pub struct ProjectList {
    pub projects: Vec<Project>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct ContentInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct PromptSet {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// `live`, `review` or `locked`.
    pub status: String,
    /// Addresses of other sets with version specs (`common/tone@^1.0`).
    pub dependencies: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(ToSchema)]
pub struct PromptSetEnvelope {
    pub prompt_set: PromptSet,
}

#[derive(ToSchema)]
pub struct PromptSetList {
    pub prompt_sets: Vec<PromptSet>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct PromptSetInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub dependencies: Option<Vec<String>>,
}

#[derive(ToSchema)]
pub struct PurgeBody {
    /// The slug of what is purged, to confirm: purging cannot be undone.
    pub confirm: String,
}

#[derive(ToSchema)]
pub struct StatusBody {
    /// `live`, `review` or `locked`.
    pub status: String,
}

#[derive(ToSchema)]
pub struct Parameter {
    pub name: String,
    /// `string`, `number`, `integer`, `boolean`, `array` or `object`.
    pub r#type: String,
    pub description: Option<String>,
    pub required: Option<bool>,
    pub default: Option<Value>,
}

#[derive(ToSchema)]
pub struct Prompt {
    pub id: String,
    pub prompt_set_id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub template: String,
    pub parameters: Vec<Parameter>,
    pub metadata: Value,
    pub examples: Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(ToSchema)]
pub struct Analysis {
    pub variables: Vec<String>,
    pub missing: Vec<String>,
    pub unused: Vec<String>,
    pub partials: Vec<String>,
}

#[derive(ToSchema)]
pub struct PromptEnvelope {
    pub prompt: Prompt,
    /// On saves: what the template uses against what it declares.
    pub analysis: Option<Analysis>,
}

#[derive(ToSchema)]
pub struct PromptList {
    pub prompts: Vec<Prompt>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct PromptInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub template: Option<String>,
    pub parameters: Option<Vec<Parameter>>,
    pub metadata: Option<Value>,
    pub examples: Option<Value>,
}

#[derive(ToSchema)]
pub struct TemplateCheck {
    pub template: String,
    pub parameters: Option<Vec<Parameter>>,
}

#[derive(ToSchema)]
pub struct TemplateProblem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

#[derive(ToSchema)]
pub struct TemplateReport {
    pub valid: bool,
    pub errors: Vec<TemplateProblem>,
    pub variables: Vec<String>,
    pub missing: Vec<String>,
    pub unused: Vec<String>,
    pub partials: Vec<String>,
}

#[derive(ToSchema)]
pub struct Variables {
    pub variables: Option<Value>,
}

#[derive(ToSchema)]
pub struct PromptRef {
    pub id: Option<String>,
    pub slug: Option<String>,
}

#[derive(ToSchema)]
pub struct Rendered {
    pub rendered: String,
    pub prompt: PromptRef,
    /// Null for the working copy.
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: Option<bool>,
    /// Variables passed that the prompt does not declare.
    pub ignored_variables: Vec<String>,
    pub rendered_at: String,
}

#[derive(ToSchema)]
pub struct RenderRequest {
    /// `project/set@spec/prompt`; only for `POST /render`.
    pub address: Option<String>,
    pub variables: Option<Value>,
}

// Versions and channels

#[derive(ToSchema)]
pub struct Version {
    pub id: String,
    pub prompt_set_id: String,
    pub label: String,
    pub description: String,
    pub checksum: String,
    pub yanked: bool,
    pub yanked_at: Option<String>,
    pub yank_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    /// The set's content (single reads only).
    pub snapshot: Option<Value>,
}

#[derive(ToSchema)]
pub struct VersionEnvelope {
    pub version: Version,
}

#[derive(ToSchema)]
pub struct VersionList {
    pub versions: Vec<Version>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct CutVersion {
    /// Semver; suggested from the change when absent.
    pub label: Option<String>,
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct YankBody {
    pub reason: Option<String>,
}

#[derive(ToSchema)]
pub struct RestoreBody {
    pub label: String,
}

#[derive(ToSchema)]
pub struct Restored {
    pub prompt_set: PromptSet,
    pub restored_from: String,
}

#[derive(ToSchema)]
pub struct LineRun {
    /// `equal`, `insert` or `delete`.
    pub op: String,
    pub text: String,
}

#[derive(ToSchema)]
pub struct ParameterChanges {
    pub added: Vec<Value>,
    pub removed: Vec<Value>,
    pub changed: Vec<Value>,
}

#[derive(ToSchema)]
pub struct PromptDiff {
    pub slug: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub template_diff: Vec<LineRun>,
    pub parameters: ParameterChanges,
    pub metadata_changed: bool,
    pub fields_changed: Vec<String>,
}

#[derive(ToSchema)]
pub struct Diff {
    pub from: String,
    pub to: String,
    pub fields_changed: Vec<String>,
    pub prompts: Vec<PromptDiff>,
}

#[derive(ToSchema)]
pub struct Move {
    pub from: Option<String>,
    pub to: String,
    pub moved_by: Option<String>,
    pub at: String,
}

#[derive(ToSchema)]
pub struct Channel {
    pub id: String,
    pub prompt_set_id: String,
    pub name: String,
    /// The label it points at.
    pub version: String,
    pub version_id: String,
    pub protected: bool,
    pub updated_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Newest move first (single reads only).
    pub history: Option<Vec<Move>>,
}

#[derive(ToSchema)]
pub struct ChannelEnvelope {
    pub channel: Channel,
}

#[derive(ToSchema)]
pub struct ChannelList {
    pub channels: Vec<Channel>,
    pub meta: Meta,
}

#[derive(ToSchema)]
pub struct ChannelInput {
    /// The version label to point at.
    pub version: Option<String>,
    pub protected: Option<bool>,
}

// Delivery

#[derive(ToSchema, serde::Serialize)]
pub struct VersionSummary {
    pub label: String,
    pub description: String,
    pub created_at: String,
    pub checksum: String,
}

#[derive(ToSchema, serde::Serialize)]
pub struct PinnedDependency {
    pub address: String,
    pub resolved: String,
}

/// A set as one entry of a bundle's `prompt_sets`, with how the address resolved.
#[derive(ToSchema, serde::Serialize)]
pub struct ResolvedSet {
    pub slug: String,
    pub project: String,
    pub name: String,
    pub description: String,
    /// Null for the working copy.
    pub version: Option<VersionSummary>,
    pub dependencies: Vec<PinnedDependency>,
    /// Prompts by slug.
    pub prompts: Value,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

#[derive(ToSchema, serde::Serialize)]
pub struct SetRef {
    pub project: String,
    pub slug: String,
}

#[derive(ToSchema, serde::Serialize)]
pub struct ResolvedPrompt {
    pub prompt: Value,
    pub prompt_set: SetRef,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

/// What `GET /resolve/{address}` answers: a set for a set address, a prompt for a prompt
/// address.
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
pub enum Resolution {
    Set(ResolvedSet),
    Prompt(ResolvedPrompt),
}

#[derive(ToSchema)]
pub struct SearchHit {
    /// `project`, `prompt_set` or `prompt`.
    pub r#type: String,
    pub id: String,
    pub name: String,
    pub slug: String,
    pub address: String,
    /// Matches are marked with `**`.
    pub snippet: String,
}

#[derive(ToSchema)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
    pub meta: Meta,
}

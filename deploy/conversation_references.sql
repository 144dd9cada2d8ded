-- Deploy teams_obs:conversation_references to pg
-- requires: schema
-- Rendered from templates/render/deploy/conversation_references.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The Bot Framework conversation reference a proactive message needs, one row per user and conversation,
-- kept current by teams_obs.record_conversation_reference from every inbound activity.
CREATE TABLE teams_obs.conversation_references (
    tenant uuid NOT NULL,
    microsoft_user_id text NOT NULL,
    conversation_id text NOT NULL,
    conversation_type text NOT NULL,
    service_url text NOT NULL,
    tenant_id_aad text,
    channel_id_bot_framework text NOT NULL DEFAULT 'msteams',
    last_activity_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT conversation_references_pk PRIMARY KEY (tenant, microsoft_user_id, conversation_id),
    CONSTRAINT conversation_references_conversation_type_check
        CHECK (conversation_type = ANY ('{"personal","groupChat","channel"}'::text[]))
);

COMMENT ON TABLE teams_obs.conversation_references IS
    'Latest Bot Framework conversation reference per (tenant, microsoft_user_id, conversation_id). Write through teams_obs.record_conversation_reference.';
COMMENT ON COLUMN teams_obs.conversation_references.microsoft_user_id IS
    'from.aadObjectId of the activity, else from.id.';
COMMENT ON COLUMN teams_obs.conversation_references.tenant_id_aad IS
    'channelData.tenant.id (Azure AD tenant); a later activity without it never erases a known one.';
COMMENT ON COLUMN teams_obs.conversation_references.last_activity_at IS
    'Time of the newest activity seen; an older activity recorded late never moves it (or service_url) back.';

-- find_conversation_reference looks up by conversation alone (the original had no index for it).
CREATE INDEX conversation_references_conversation_idx
    ON teams_obs.conversation_references (tenant, conversation_id);

COMMIT;

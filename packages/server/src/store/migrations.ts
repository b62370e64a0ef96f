/**
 * The schema, as an append-only list of migrations. A shipped migration is never edited: a change is
 * a new entry. Both dialects share one text where they agree; `json` is the only type that differs
 * (SQLite keeps JSON as TEXT, PostgreSQL as JSONB so operators can query it).
 */

export type Dialect = "sqlite" | "postgres";

export interface Migration {
	version: number;
	name: string;
	/** One or more statements, run inside the migration transaction. */
	sql: Record<Dialect, string>;
}

function initialSchema(dialect: Dialect): string {
	const json = dialect === "postgres" ? "JSONB" : "TEXT";
	return `
CREATE TABLE users (
	id TEXT NOT NULL,
	external_id TEXT,
	email TEXT,
	display_name TEXT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	CONSTRAINT users_pkey PRIMARY KEY (id),
	CONSTRAINT users_external_id_key UNIQUE (external_id)
);

CREATE TABLE sessions (
	id TEXT NOT NULL,
	family_id TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	refresh_token_hash TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	rotated_at BIGINT,
	revoked_at BIGINT,
	CONSTRAINT sessions_pkey PRIMARY KEY (id),
	CONSTRAINT sessions_refresh_token_hash_key UNIQUE (refresh_token_hash)
);
CREATE INDEX sessions_family_id_idx ON sessions (family_id);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE connected_accounts (
	id TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider_config_id TEXT NOT NULL,
	provider_account_id TEXT NOT NULL,
	email TEXT,
	display_name TEXT,
	scopes ${json} NOT NULL,
	token_type TEXT,
	access_token_enc TEXT,
	refresh_token_enc TEXT,
	refresh_token_hashes ${json} NOT NULL,
	id_token_enc TEXT,
	access_token_expires_at BIGINT,
	refresh_token_expires_at BIGINT,
	status TEXT NOT NULL CHECK (status IN ('active', 'reauth_required')),
	last_refresh_error ${json},
	last_refresh_at BIGINT,
	last_used_at BIGINT,
	version INTEGER NOT NULL,
	lease_owner TEXT,
	lease_expires_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	CONSTRAINT connected_accounts_pkey PRIMARY KEY (id),
	CONSTRAINT connected_accounts_identity_key UNIQUE (provider_config_id, provider_account_id)
);
CREATE INDEX connected_accounts_user_id_idx ON connected_accounts (user_id);
-- The proactive refresher scans active accounts by expiry.
CREATE INDEX connected_accounts_refresh_idx ON connected_accounts (status, access_token_expires_at);

-- Cascades from the account: unlinking must take every copy of its tokens with it.
CREATE TABLE provider_sessions (
	id TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	session_family_id TEXT,
	provider_config_id TEXT NOT NULL,
	connected_account_id TEXT NOT NULL REFERENCES connected_accounts (id) ON DELETE CASCADE,
	payload_enc TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT provider_sessions_pkey PRIMARY KEY (id)
);
CREATE INDEX provider_sessions_owner_idx ON provider_sessions (user_id, provider_config_id);
CREATE INDEX provider_sessions_account_idx ON provider_sessions (connected_account_id);
CREATE INDEX provider_sessions_expires_at_idx ON provider_sessions (expires_at);

CREATE TABLE link_intents (
	id_hash TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider_config_id TEXT NOT NULL,
	scopes ${json} NOT NULL,
	redirect_to TEXT NOT NULL,
	provider_account_id TEXT,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT link_intents_pkey PRIMARY KEY (id_hash)
);
CREATE INDEX link_intents_expires_at_idx ON link_intents (expires_at);

CREATE TABLE oauth_flows (
	state_hash TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('signin', 'link')),
	provider_config_id TEXT NOT NULL,
	user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
	redirect_to TEXT NOT NULL,
	scopes ${json} NOT NULL,
	code_verifier_enc TEXT NOT NULL,
	nonce TEXT,
	browser_binding_hash TEXT NOT NULL,
	app_code_challenge TEXT,
	login_hint TEXT,
	provider_account_id TEXT,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT oauth_flows_pkey PRIMARY KEY (state_hash)
);
CREATE INDEX oauth_flows_expires_at_idx ON oauth_flows (expires_at);

CREATE TABLE auth_codes (
	code_hash TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	session_family_id TEXT NOT NULL,
	app_code_challenge TEXT,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT auth_codes_pkey PRIMARY KEY (code_hash)
);
CREATE INDEX auth_codes_expires_at_idx ON auth_codes (expires_at);

-- No foreign key: a revocation outlives the account it came from.
CREATE TABLE revocations (
	id TEXT NOT NULL,
	provider_config_id TEXT NOT NULL,
	token_enc TEXT NOT NULL,
	token_type_hint TEXT NOT NULL CHECK (token_type_hint IN ('access_token', 'refresh_token')),
	attempts INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	last_error TEXT,
	created_at BIGINT NOT NULL,
	CONSTRAINT revocations_pkey PRIMARY KEY (id)
);
CREATE INDEX revocations_next_attempt_at_idx ON revocations (next_attempt_at);

CREATE TABLE events (
	id TEXT NOT NULL,
	type TEXT NOT NULL,
	payload ${json} NOT NULL,
	attempts INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	delivered_at BIGINT,
	last_error TEXT,
	created_at BIGINT NOT NULL,
	CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX events_pending_idx ON events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX events_created_at_idx ON events (created_at, id);

CREATE TABLE signing_keys (
	kid TEXT NOT NULL,
	alg TEXT NOT NULL,
	public_jwk ${json} NOT NULL,
	private_jwk_enc TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	retired_at BIGINT,
	CONSTRAINT signing_keys_pkey PRIMARY KEY (kid)
);
`;
}

/**
 * The operator's view: an audit log of what happened to tokens and accounts (never a token), and
 * indexes for the admin API's user pages and lookups.
 */
function adminViews(dialect: Dialect): string {
	const json = dialect === "postgres" ? "JSONB" : "TEXT";
	return `
-- No foreign keys: the log outlives the users and accounts it mentions.
CREATE TABLE audit_events (
	id TEXT NOT NULL,
	at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	user_id TEXT,
	provider_config_id TEXT,
	provider_account_id TEXT,
	-- A short, low-cardinality qualifier charts group by (a failed refresh's class, a read's route).
	reason TEXT,
	-- How many occurrences the row stands for: token reads of one account are coalesced.
	occurrences INTEGER NOT NULL,
	detail ${json} NOT NULL,
	CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_at_idx ON audit_events (at, id);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, at, id);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, at, id);

-- Users are paged newest first and looked up by any identifier an operator may paste.
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_email_lower_idx ON users (lower(email));
CREATE INDEX connected_accounts_account_id_idx ON connected_accounts (provider_account_id);
CREATE INDEX connected_accounts_email_lower_idx ON connected_accounts (lower(email));
${dialect === "sqlite" ? sqliteAccountCounts : ""}`;
}

/**
 * Accounts per provider and status, kept by triggers. Counting a million rows takes SQLite a
 * second or more even over a covering index, and better-sqlite3 would spend it on the event loop
 * that serves tokens; PostgreSQL counts on its own side, asynchronously, so it needs no such table.
 * A later migration that rebuilds connected_accounts must recreate these triggers.
 */
const sqliteAccountCounts = `
CREATE TABLE account_counts (
	provider_config_id TEXT NOT NULL,
	status TEXT NOT NULL,
	n INTEGER NOT NULL,
	CONSTRAINT account_counts_pkey PRIMARY KEY (provider_config_id, status)
);
INSERT INTO account_counts (provider_config_id, status, n)
	SELECT provider_config_id, status, COUNT(*) FROM connected_accounts
	GROUP BY provider_config_id, status;
CREATE TRIGGER connected_accounts_count_insert AFTER INSERT ON connected_accounts BEGIN
	INSERT INTO account_counts (provider_config_id, status, n)
		VALUES (NEW.provider_config_id, NEW.status, 1)
		ON CONFLICT (provider_config_id, status) DO UPDATE SET n = n + 1;
END;
-- Also fires for rows a user's deletion cascades to.
CREATE TRIGGER connected_accounts_count_delete AFTER DELETE ON connected_accounts BEGIN
	UPDATE account_counts SET n = n - 1
		WHERE provider_config_id = OLD.provider_config_id AND status = OLD.status;
END;
-- Every compare-and-set names status in its SET list; only a real change does any work.
CREATE TRIGGER connected_accounts_count_update AFTER UPDATE OF provider_config_id, status
ON connected_accounts
WHEN OLD.provider_config_id IS NOT NEW.provider_config_id OR OLD.status IS NOT NEW.status
BEGIN
	UPDATE account_counts SET n = n - 1
		WHERE provider_config_id = OLD.provider_config_id AND status = OLD.status;
	INSERT INTO account_counts (provider_config_id, status, n)
		VALUES (NEW.provider_config_id, NEW.status, 1)
		ON CONFLICT (provider_config_id, status) DO UPDATE SET n = n + 1;
END;
`;

/**
 * A finished link flow waits here until the intent's owner redeems its one-time code from their
 * own session: whoever completes the provider flow in a browser proves nothing about who asked for
 * it (forced linking). The provider's answer is kept encrypted, and only for minutes.
 */
function pendingLinks(): string {
	return `
CREATE TABLE pending_links (
	code_hash TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider_config_id TEXT NOT NULL,
	payload_enc TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	CONSTRAINT pending_links_pkey PRIMARY KEY (code_hash)
);
CREATE INDEX pending_links_expires_at_idx ON pending_links (expires_at);
`;
}

/**
 * PostgreSQL tells every listening process which connected account changed (a new version, or
 * deleted), on commit: their caches of decrypted access tokens (vault/hot-tokens.ts) drop it.
 * SQLite needs nothing: a process sees other processes' commits through `PRAGMA data_version`.
 */
export const accountChangeChannel = "tether_connected_account_changed";

function accountChangeNotices(): string {
	return `
CREATE FUNCTION tether_notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('${accountChangeChannel}', OLD.id);
	RETURN NULL;
END
$$;
CREATE TRIGGER connected_accounts_changed AFTER UPDATE ON connected_accounts
	FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
	EXECUTE FUNCTION tether_notify_account_changed();
CREATE TRIGGER connected_accounts_deleted AFTER DELETE ON connected_accounts
	FOR EACH ROW EXECUTE FUNCTION tether_notify_account_changed();
`;
}

const auditUserIndexWithoutReads = `DROP INDEX audit_events_user_idx;
CREATE INDEX audit_events_user_idx ON audit_events (user_id, at, id) WHERE kind <> 'token.read';
`;

export const migrations: readonly Migration[] = [
	{
		version: 1,
		name: "initial_schema",
		sql: {
			sqlite: initialSchema("sqlite"),
			postgres: initialSchema("postgres"),
		},
	},
	{
		version: 2,
		name: "admin_views",
		sql: { sqlite: adminViews("sqlite"), postgres: adminViews("postgres") },
	},
	{
		version: 3,
		name: "pending_links",
		sql: { sqlite: pendingLinks(), postgres: pendingLinks() },
	},
	{
		version: 4,
		name: "account_change_notices",
		sql: { sqlite: "", postgres: accountChangeNotices() },
	},
	{
		version: 5,
		name: "connected_accounts_fillfactor",
		// Last use and the refresh lease change columns no index holds: with room left on each page,
		// PostgreSQL rewrites such a row in place (a HOT update) instead of adding an entry to every
		// index of the table. Pages written from now on keep a fifth free.
		sql: {
			sqlite: "",
			postgres: "ALTER TABLE connected_accounts SET (fillfactor = 80);",
		},
	},
	{
		version: 6,
		name: "audit_user_index_without_reads",
		// Token reads are most of the log, one row per account read in a window: with many users,
		// each was an entry on a random page of the per-user index (a page written, and copied back
		// at the next checkpoint, per read). The other indexes only ever grow at their end.
		sql: {
			sqlite: auditUserIndexWithoutReads,
			postgres: auditUserIndexWithoutReads,
		},
	},
];

/** Created before any migration runs, so the runner can tell what is applied. */
export const migrationsTableSql = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`;

/**
 * Every unique constraint, by the name `StoreConflictError` reports. SQLite names the columns in
 * its message and PostgreSQL names the constraint, so both lookups live here beside the DDL.
 */
export const uniqueConstraints = [
	{ name: "user_id", pg: "users_pkey", table: "users", columns: ["id"] },
	{
		name: "user_external_id",
		pg: "users_external_id_key",
		table: "users",
		columns: ["external_id"],
	},
	{
		name: "session_id",
		pg: "sessions_pkey",
		table: "sessions",
		columns: ["id"],
	},
	{
		name: "session_refresh_token_hash",
		pg: "sessions_refresh_token_hash_key",
		table: "sessions",
		columns: ["refresh_token_hash"],
	},
	{
		name: "connected_account_id",
		pg: "connected_accounts_pkey",
		table: "connected_accounts",
		columns: ["id"],
	},
	{
		name: "connected_account_identity",
		pg: "connected_accounts_identity_key",
		table: "connected_accounts",
		columns: ["provider_config_id", "provider_account_id"],
	},
	{
		name: "provider_session_id",
		pg: "provider_sessions_pkey",
		table: "provider_sessions",
		columns: ["id"],
	},
	{
		name: "link_intent_id",
		pg: "link_intents_pkey",
		table: "link_intents",
		columns: ["id_hash"],
	},
	{
		name: "oauth_flow_state",
		pg: "oauth_flows_pkey",
		table: "oauth_flows",
		columns: ["state_hash"],
	},
	{
		name: "pending_link",
		pg: "pending_links_pkey",
		table: "pending_links",
		columns: ["code_hash"],
	},
	{
		name: "auth_code",
		pg: "auth_codes_pkey",
		table: "auth_codes",
		columns: ["code_hash"],
	},
	{
		name: "revocation_id",
		pg: "revocations_pkey",
		table: "revocations",
		columns: ["id"],
	},
	{ name: "event_id", pg: "events_pkey", table: "events", columns: ["id"] },
	{
		name: "audit_event_id",
		pg: "audit_events_pkey",
		table: "audit_events",
		columns: ["id"],
	},
	{
		name: "signing_key_kid",
		pg: "signing_keys_pkey",
		table: "signing_keys",
		columns: ["kid"],
	},
] as const;

/** The model name for a PostgreSQL constraint name; unknown names pass through. */
export function conflictNameFromPg(constraint: string | undefined): string {
	const hit = uniqueConstraints.find((c) => c.pg === constraint);
	return hit?.name ?? constraint ?? "unknown";
}

/** The model name for SQLite's "UNIQUE constraint failed: t.a, t.b" message. */
export function conflictNameFromSqlite(message: string): string {
	const colon = message.indexOf(":");
	const failed = colon === -1 ? "" : message.slice(colon + 1).trim();
	const hit = uniqueConstraints.find(
		(c) => c.columns.map((col) => `${c.table}.${col}`).join(", ") === failed,
	);
	return hit?.name ?? (failed || "unknown");
}

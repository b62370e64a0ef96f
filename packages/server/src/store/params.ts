/**
 * Contract types → statement parameters, shared by both dialects: column names, JSON encoding of
 * scopes and records, and the fixed shape of the compare-and-set update.
 */
import type {
	AuthCodeRow,
	ConnectedAccountPatch,
	EncryptedTable,
	LinkIntentRow,
	ListAuditInput,
	NewAuditEvent,
	NewConnectedAccount,
	NewEvent,
	NewRevocation,
	OAuthFlowRow,
	PendingLinkRow,
	ProviderSessionRow,
	SessionRow,
	SigningKeyRow,
	UserRow,
} from "./types.ts";
import { encryptedColumns } from "./types.ts";

/** The first version a connected account gets; updates count up from here. */
export const initialVersion = 1;

export type Params = Record<string, string | number | null>;

/** Insertable columns per table; the param builders below produce exactly these keys. */
export const insertColumns = {
	users: [
		"id",
		"external_id",
		"email",
		"display_name",
		"created_at",
		"updated_at",
	],
	sessions: [
		"id",
		"family_id",
		"user_id",
		"refresh_token_hash",
		"expires_at",
		"created_at",
		"rotated_at",
		"revoked_at",
	],
	connected_accounts: [
		"id",
		"user_id",
		"provider_config_id",
		"provider_account_id",
		"email",
		"display_name",
		"scopes",
		"token_type",
		"access_token_enc",
		"refresh_token_enc",
		"refresh_token_hashes",
		"id_token_enc",
		"access_token_expires_at",
		"refresh_token_expires_at",
		"status",
		"last_refresh_error",
		"last_refresh_at",
		"last_used_at",
		"version",
		"created_at",
		"updated_at",
	],
	provider_sessions: [
		"id",
		"user_id",
		"session_family_id",
		"provider_config_id",
		"connected_account_id",
		"payload_enc",
		"expires_at",
		"created_at",
	],
	pending_links: [
		"code_hash",
		"user_id",
		"provider_config_id",
		"payload_enc",
		"expires_at",
		"created_at",
	],
	link_intents: [
		"id_hash",
		"user_id",
		"provider_config_id",
		"scopes",
		"redirect_to",
		"provider_account_id",
		"expires_at",
		"created_at",
	],
	oauth_flows: [
		"state_hash",
		"kind",
		"provider_config_id",
		"user_id",
		"redirect_to",
		"scopes",
		"code_verifier_enc",
		"nonce",
		"browser_binding_hash",
		"app_code_challenge",
		"login_hint",
		"provider_account_id",
		"expires_at",
		"created_at",
	],
	auth_codes: [
		"code_hash",
		"user_id",
		"session_family_id",
		"app_code_challenge",
		"expires_at",
		"created_at",
	],
	revocations: [
		"id",
		"provider_config_id",
		"token_enc",
		"token_type_hint",
		"attempts",
		"next_attempt_at",
		"last_error",
		"created_at",
	],
	events: [
		"id",
		"type",
		"payload",
		"attempts",
		"next_attempt_at",
		"delivered_at",
		"last_error",
		"created_at",
	],
	signing_keys: [
		"kid",
		"alg",
		"public_jwk",
		"private_jwk_enc",
		"created_at",
		"retired_at",
	],
} as const;

export type InsertTable = keyof typeof insertColumns;

/** Positional values for `insertColumns[table]`; a missing key is a bug, never a silent NULL. */
export function positional(
	table: InsertTable,
	params: Params,
): (string | number | null)[] {
	return insertColumns[table].map((column) => {
		const v = params[column];
		if (v === undefined)
			throw new Error(`store: no value for ${table}.${column}`);
		return v;
	});
}

export function userParams(row: UserRow): Params {
	return {
		id: row.id,
		external_id: row.externalId,
		email: row.email,
		display_name: row.displayName,
		created_at: row.createdAt,
		updated_at: row.updatedAt,
	};
}

export function sessionParams(row: SessionRow): Params {
	return {
		id: row.id,
		family_id: row.familyId,
		user_id: row.userId,
		refresh_token_hash: row.refreshTokenHash,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
		rotated_at: row.rotatedAt,
		revoked_at: row.revokedAt,
	};
}

export function providerSessionParams(row: ProviderSessionRow): Params {
	return {
		id: row.id,
		user_id: row.userId,
		session_family_id: row.sessionFamilyId,
		provider_config_id: row.providerConfigId,
		connected_account_id: row.connectedAccountId,
		payload_enc: row.payloadEnc,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
	};
}

export function linkIntentParams(row: LinkIntentRow): Params {
	return {
		id_hash: row.idHash,
		user_id: row.userId,
		provider_config_id: row.providerConfigId,
		scopes: JSON.stringify(row.scopes),
		redirect_to: row.redirectTo,
		provider_account_id: row.providerAccountId,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
	};
}

export function oauthFlowParams(row: OAuthFlowRow): Params {
	return {
		state_hash: row.stateHash,
		kind: row.kind,
		provider_config_id: row.providerConfigId,
		user_id: row.userId,
		redirect_to: row.redirectTo,
		scopes: JSON.stringify(row.scopes),
		code_verifier_enc: row.codeVerifierEnc,
		nonce: row.nonce,
		browser_binding_hash: row.browserBindingHash,
		app_code_challenge: row.appCodeChallenge,
		login_hint: row.loginHint,
		provider_account_id: row.providerAccountId,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
	};
}

export function authCodeParams(row: AuthCodeRow): Params {
	return {
		code_hash: row.codeHash,
		user_id: row.userId,
		session_family_id: row.sessionFamilyId,
		app_code_challenge: row.appCodeChallenge,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
	};
}

export function pendingLinkParams(row: PendingLinkRow): Params {
	return {
		code_hash: row.codeHash,
		user_id: row.userId,
		provider_config_id: row.providerConfigId,
		payload_enc: row.payloadEnc,
		expires_at: row.expiresAt,
		created_at: row.createdAt,
	};
}

export function revocationParams(row: NewRevocation): Params {
	return {
		id: row.id,
		provider_config_id: row.providerConfigId,
		token_enc: row.tokenEnc,
		token_type_hint: row.tokenTypeHint,
		attempts: 0,
		next_attempt_at: row.nextAttemptAt,
		last_error: null,
		created_at: row.createdAt,
	};
}

/** A new event is due at once: the outbox worker may deliver it on its next pass. */
export function eventParams(row: NewEvent): Params {
	return {
		id: row.id,
		type: row.type,
		payload: JSON.stringify(row.payload),
		attempts: 0,
		next_attempt_at: row.createdAt,
		delivered_at: null,
		last_error: null,
		created_at: row.createdAt,
	};
}

export function signingKeyParams(row: SigningKeyRow): Params {
	return {
		kid: row.kid,
		alg: row.alg,
		public_jwk: JSON.stringify(row.publicJwk),
		private_jwk_enc: row.privateJwkEnc,
		created_at: row.createdAt,
		retired_at: row.retiredAt,
	};
}

type PatchField = Exclude<keyof ConnectedAccountPatch, "releaseLease">;
export type PatchKind = "text" | "bigint" | "json";

/** Every patchable field, its column and SQL type; the update statement is built from it once. */
export const patchColumns: readonly {
	field: PatchField;
	column: string;
	kind: PatchKind;
}[] = [
	{ field: "userId", column: "user_id", kind: "text" },
	{ field: "email", column: "email", kind: "text" },
	{ field: "displayName", column: "display_name", kind: "text" },
	{ field: "scopes", column: "scopes", kind: "json" },
	{ field: "tokenType", column: "token_type", kind: "text" },
	{ field: "accessTokenEnc", column: "access_token_enc", kind: "text" },
	{ field: "refreshTokenEnc", column: "refresh_token_enc", kind: "text" },
	{
		field: "refreshTokenHashes",
		column: "refresh_token_hashes",
		kind: "json",
	},
	{ field: "idTokenEnc", column: "id_token_enc", kind: "text" },
	{
		field: "accessTokenExpiresAt",
		column: "access_token_expires_at",
		kind: "bigint",
	},
	{
		field: "refreshTokenExpiresAt",
		column: "refresh_token_expires_at",
		kind: "bigint",
	},
	{ field: "status", column: "status", kind: "text" },
	{ field: "lastRefreshError", column: "last_refresh_error", kind: "json" },
	{ field: "lastRefreshAt", column: "last_refresh_at", kind: "bigint" },
	{ field: "lastUsedAt", column: "last_used_at", kind: "bigint" },
];

/** A patch as (set?, value) pairs in `patchColumns` order; `undefined` means "leave as is". */
export function patchValues(
	patch: ConnectedAccountPatch,
): { set: boolean; value: string | number | null }[] {
	return patchColumns.map(({ field, kind }) => {
		const v = patch[field];
		if (v === undefined) return { set: false, value: null };
		if (v === null) return { set: true, value: null };
		if (kind === "json") return { set: true, value: JSON.stringify(v) };
		if (typeof v === "string" || typeof v === "number")
			return { set: true, value: v };
		throw new Error(`store: patch field ${field} has the wrong type`);
	});
}

/** Parameters for inserting a new connected account, by column name. */
export function newAccountParams(row: NewConnectedAccount): Params {
	return {
		version: initialVersion,
		id: row.id,
		user_id: row.userId,
		provider_config_id: row.providerConfigId,
		provider_account_id: row.providerAccountId,
		email: row.email,
		display_name: row.displayName,
		scopes: JSON.stringify(row.scopes),
		token_type: row.tokenType,
		access_token_enc: row.accessTokenEnc,
		refresh_token_enc: row.refreshTokenEnc,
		refresh_token_hashes: JSON.stringify(row.refreshTokenHashes ?? []),
		id_token_enc: row.idTokenEnc,
		access_token_expires_at: row.accessTokenExpiresAt,
		refresh_token_expires_at: row.refreshTokenExpiresAt,
		status: row.status,
		last_refresh_error:
			row.lastRefreshError === null
				? null
				: JSON.stringify(row.lastRefreshError),
		last_refresh_at: row.lastRefreshAt,
		last_used_at: row.lastUsedAt,
		created_at: row.createdAt,
		updated_at: row.updatedAt,
	};
}

/**
 * For `replaceEncrypted`: per column, whether to compare and whether to write. Columns the caller
 * leaves out are neither compared nor written; a name outside the table is a programming error.
 */
export function encryptedReplacePlan(
	table: EncryptedTable,
	expected: Record<string, string | null>,
	next: Record<string, string | null>,
): {
	column: string;
	check: boolean;
	expected: string | null;
	set: boolean;
	next: string | null;
}[] {
	const columns: readonly string[] = encryptedColumns[table];
	for (const name of [...Object.keys(expected), ...Object.keys(next)]) {
		if (!columns.includes(name)) {
			throw new Error(`store: ${table} has no encrypted column ${name}`);
		}
	}
	return columns.map((column) => ({
		column,
		check: Object.hasOwn(expected, column),
		expected: expected[column] ?? null,
		set: Object.hasOwn(next, column),
		next: next[column] ?? null,
	}));
}

/** Columns of `audit_events`, in the order the batched inserts bind them. */
export const auditColumns = [
	"id",
	"at",
	"kind",
	"user_id",
	"provider_config_id",
	"provider_account_id",
	"reason",
	"occurrences",
	"detail",
] as const;

export function auditParams(row: NewAuditEvent): Params {
	return {
		id: row.id,
		at: row.at,
		kind: row.kind,
		user_id: row.userId,
		provider_config_id: row.providerConfigId,
		provider_account_id: row.providerAccountId,
		reason: row.reason,
		occurrences: Math.max(1, Math.trunc(row.count)),
		detail: JSON.stringify(row.detail),
	};
}

/**
 * Users any of whose identifiers equals the query: id, external id, email (case-insensitively), or
 * an account's provider account id or email. Each arm is an index lookup, so a search costs the
 * same at a million users as at ten; a substring scan would hold the event loop for seconds.
 */
export const userLookupSql = (q: string) => `u.id IN (
	SELECT id FROM users WHERE id = ${q}
	UNION SELECT id FROM users WHERE external_id = ${q}
	UNION SELECT id FROM users WHERE lower(email) = lower(${q})
	UNION SELECT user_id FROM connected_accounts WHERE provider_account_id = ${q}
	UNION SELECT user_id FROM connected_accounts WHERE lower(email) = lower(${q})
)`;

/**
 * The shape of a `listAudit` statement: which filters it has. The per-user index leaves token
 * reads out (migration 6: they are most rows, and each one a random entry in it), so a user's
 * events of any other kind say so in the statement, where the planner can see the index fits.
 */
export function auditFilterShape(input: ListAuditInput) {
	return {
		before: input.before !== undefined,
		userId: input.userId !== undefined,
		provider: input.provider !== undefined,
		kind: input.kind !== undefined,
		notReads:
			input.userId !== undefined &&
			input.kind !== undefined &&
			input.kind !== "token.read",
	};
}

export type AuditFilterShape = ReturnType<typeof auditFilterShape>;

/** The term that lets a per-user statement use the per-user index (see `auditFilterShape`). */
export const notReadsSql = "kind <> 'token.read'";

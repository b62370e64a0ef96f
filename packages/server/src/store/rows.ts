/**
 * Database rows → contract types, shared by both dialects. A driver hands back `unknown` values;
 * each mapper narrows them column by column, and a failed check names `table.column`, because a
 * wrong shape here means schema drift, not bad user input.
 */
import {
	type AccountCount,
	type AccountStatus,
	type AuditCount,
	type AuditEventRow,
	type AuthCodeRow,
	type ConnectedAccountRow,
	type EncryptedRow,
	type EncryptedTable,
	type EventRow,
	encryptedColumns,
	type FlowKind,
	type LinkIntentRow,
	type OAuthFlowRow,
	type PendingLinkRow,
	type ProviderSessionRow,
	type RevocationRow,
	type SessionRow,
	type SigningKeyRow,
	type UserRow,
	type UserSummaryRow,
} from "./types.ts";

type Raw = Record<string, unknown>;

function fail(table: string, column: string, expected: string): never {
	throw new Error(`store: ${table}.${column} is not ${expected}`);
}

export function isRecord(value: unknown): value is Raw {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Narrows a driver's row object. */
export function asRaw(value: unknown, table: string): Raw {
	if (!isRecord(value)) fail(table, "*", "a row");
	return value;
}

function text(row: Raw, table: string, column: string): string {
	const v = row[column];
	return typeof v === "string" ? v : fail(table, column, "a string");
}

function textOrNull(row: Raw, table: string, column: string): string | null {
	const v = row[column];
	if (v === null || v === undefined) return null;
	return typeof v === "string" ? v : fail(table, column, "a string or null");
}

function int(row: Raw, table: string, column: string): number {
	const v = row[column];
	return typeof v === "number" && Number.isSafeInteger(v)
		? v
		: fail(table, column, "an integer");
}

function intOrNull(row: Raw, table: string, column: string): number | null {
	const v = row[column];
	if (v === null || v === undefined) return null;
	return typeof v === "number" && Number.isSafeInteger(v)
		? v
		: fail(table, column, "an integer or null");
}

/** SQLite gives JSON columns back as text; PostgreSQL's JSONB arrives already parsed. */
function json(row: Raw, table: string, column: string): unknown {
	const v = row[column];
	if (typeof v !== "string") return v;
	try {
		return JSON.parse(v);
	} catch {
		return fail(table, column, "valid JSON");
	}
}

function stringArray(row: Raw, table: string, column: string): string[] {
	const v = json(row, table, column);
	if (!Array.isArray(v)) fail(table, column, "a JSON array of strings");
	const out: string[] = [];
	for (const item of v) {
		if (typeof item !== "string")
			fail(table, column, "a JSON array of strings");
		out.push(item);
	}
	return out;
}

function object(row: Raw, table: string, column: string): Raw {
	const v = json(row, table, column);
	return isRecord(v) ? v : fail(table, column, "a JSON object");
}

function objectOrNull(row: Raw, table: string, column: string): Raw | null {
	if (row[column] === null || row[column] === undefined) return null;
	return object(row, table, column);
}

function oneOf<T extends string>(
	row: Raw,
	table: string,
	column: string,
	allowed: readonly T[],
): T {
	const v = row[column];
	const hit = allowed.find((a) => a === v);
	return hit ?? fail(table, column, `one of ${allowed.join(", ")}`);
}

const accountStatuses: readonly AccountStatus[] = ["active", "reauth_required"];
const flowKinds: readonly FlowKind[] = ["signin", "link"];
const tokenTypeHints: readonly RevocationRow["tokenTypeHint"][] = [
	"access_token",
	"refresh_token",
];

export function toUser(value: unknown): UserRow {
	const t = "users";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		externalId: textOrNull(r, t, "external_id"),
		email: textOrNull(r, t, "email"),
		displayName: textOrNull(r, t, "display_name"),
		createdAt: int(r, t, "created_at"),
		updatedAt: int(r, t, "updated_at"),
	};
}

export function toUserSummary(value: unknown): UserSummaryRow {
	const r = asRaw(value, "users");
	return { ...toUser(r), accountCount: int(r, "users", "account_count") };
}

export function toAuditEvent(value: unknown): AuditEventRow {
	const t = "audit_events";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		at: int(r, t, "at"),
		kind: text(r, t, "kind"),
		userId: textOrNull(r, t, "user_id"),
		providerConfigId: textOrNull(r, t, "provider_config_id"),
		providerAccountId: textOrNull(r, t, "provider_account_id"),
		reason: textOrNull(r, t, "reason"),
		count: int(r, t, "occurrences"),
		detail: object(r, t, "detail"),
	};
}

export function toAuditCount(value: unknown): AuditCount {
	const t = "audit_events";
	const r = asRaw(value, t);
	return {
		bucketStart: int(r, t, "bucket_start"),
		kind: text(r, t, "kind"),
		providerConfigId: textOrNull(r, t, "provider_config_id"),
		reason: textOrNull(r, t, "reason"),
		count: int(r, t, "n"),
	};
}

export function toAccountCount(value: unknown): AccountCount {
	const t = "connected_accounts";
	const r = asRaw(value, t);
	return {
		providerConfigId: text(r, t, "provider_config_id"),
		status: oneOf(r, t, "status", accountStatuses),
		count: int(r, t, "n"),
	};
}

export function toSession(value: unknown): SessionRow {
	const t = "sessions";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		familyId: text(r, t, "family_id"),
		userId: text(r, t, "user_id"),
		refreshTokenHash: text(r, t, "refresh_token_hash"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
		rotatedAt: intOrNull(r, t, "rotated_at"),
		revokedAt: intOrNull(r, t, "revoked_at"),
	};
}

export function toConnectedAccount(value: unknown): ConnectedAccountRow {
	const t = "connected_accounts";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		userId: text(r, t, "user_id"),
		providerConfigId: text(r, t, "provider_config_id"),
		providerAccountId: text(r, t, "provider_account_id"),
		email: textOrNull(r, t, "email"),
		displayName: textOrNull(r, t, "display_name"),
		scopes: stringArray(r, t, "scopes"),
		tokenType: textOrNull(r, t, "token_type"),
		accessTokenEnc: textOrNull(r, t, "access_token_enc"),
		refreshTokenEnc: textOrNull(r, t, "refresh_token_enc"),
		refreshTokenHashes: stringArray(r, t, "refresh_token_hashes"),
		idTokenEnc: textOrNull(r, t, "id_token_enc"),
		accessTokenExpiresAt: intOrNull(r, t, "access_token_expires_at"),
		refreshTokenExpiresAt: intOrNull(r, t, "refresh_token_expires_at"),
		status: oneOf(r, t, "status", accountStatuses),
		lastRefreshError: objectOrNull(r, t, "last_refresh_error"),
		lastRefreshAt: intOrNull(r, t, "last_refresh_at"),
		lastUsedAt: intOrNull(r, t, "last_used_at"),
		version: int(r, t, "version"),
		leaseOwner: textOrNull(r, t, "lease_owner"),
		leaseExpiresAt: intOrNull(r, t, "lease_expires_at"),
		createdAt: int(r, t, "created_at"),
		updatedAt: int(r, t, "updated_at"),
	};
}

export function toProviderSession(value: unknown): ProviderSessionRow {
	const t = "provider_sessions";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		userId: text(r, t, "user_id"),
		sessionFamilyId: textOrNull(r, t, "session_family_id"),
		providerConfigId: text(r, t, "provider_config_id"),
		connectedAccountId: text(r, t, "connected_account_id"),
		payloadEnc: text(r, t, "payload_enc"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toLinkIntent(value: unknown): LinkIntentRow {
	const t = "link_intents";
	const r = asRaw(value, t);
	return {
		idHash: text(r, t, "id_hash"),
		userId: text(r, t, "user_id"),
		providerConfigId: text(r, t, "provider_config_id"),
		scopes: stringArray(r, t, "scopes"),
		redirectTo: text(r, t, "redirect_to"),
		providerAccountId: textOrNull(r, t, "provider_account_id"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toOAuthFlow(value: unknown): OAuthFlowRow {
	const t = "oauth_flows";
	const r = asRaw(value, t);
	return {
		stateHash: text(r, t, "state_hash"),
		kind: oneOf(r, t, "kind", flowKinds),
		providerConfigId: text(r, t, "provider_config_id"),
		userId: textOrNull(r, t, "user_id"),
		redirectTo: text(r, t, "redirect_to"),
		scopes: stringArray(r, t, "scopes"),
		codeVerifierEnc: text(r, t, "code_verifier_enc"),
		nonce: textOrNull(r, t, "nonce"),
		browserBindingHash: text(r, t, "browser_binding_hash"),
		appCodeChallenge: textOrNull(r, t, "app_code_challenge"),
		loginHint: textOrNull(r, t, "login_hint"),
		providerAccountId: textOrNull(r, t, "provider_account_id"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toAuthCode(value: unknown): AuthCodeRow {
	const t = "auth_codes";
	const r = asRaw(value, t);
	return {
		codeHash: text(r, t, "code_hash"),
		userId: text(r, t, "user_id"),
		sessionFamilyId: text(r, t, "session_family_id"),
		appCodeChallenge: textOrNull(r, t, "app_code_challenge"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toPendingLink(value: unknown): PendingLinkRow {
	const t = "pending_links";
	const r = asRaw(value, t);
	return {
		codeHash: text(r, t, "code_hash"),
		userId: text(r, t, "user_id"),
		providerConfigId: text(r, t, "provider_config_id"),
		payloadEnc: text(r, t, "payload_enc"),
		expiresAt: int(r, t, "expires_at"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toRevocation(value: unknown): RevocationRow {
	const t = "revocations";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		providerConfigId: text(r, t, "provider_config_id"),
		tokenEnc: text(r, t, "token_enc"),
		tokenTypeHint: oneOf(r, t, "token_type_hint", tokenTypeHints),
		attempts: int(r, t, "attempts"),
		nextAttemptAt: int(r, t, "next_attempt_at"),
		lastError: textOrNull(r, t, "last_error"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toEvent(value: unknown): EventRow {
	const t = "events";
	const r = asRaw(value, t);
	return {
		id: text(r, t, "id"),
		type: text(r, t, "type"),
		payload: object(r, t, "payload"),
		attempts: int(r, t, "attempts"),
		nextAttemptAt: int(r, t, "next_attempt_at"),
		deliveredAt: intOrNull(r, t, "delivered_at"),
		lastError: textOrNull(r, t, "last_error"),
		createdAt: int(r, t, "created_at"),
	};
}

export function toSigningKey(value: unknown): SigningKeyRow {
	const t = "signing_keys";
	const r = asRaw(value, t);
	return {
		kid: text(r, t, "kid"),
		alg: text(r, t, "alg"),
		publicJwk: object(r, t, "public_jwk"),
		privateJwkEnc: text(r, t, "private_jwk_enc"),
		createdAt: int(r, t, "created_at"),
		retiredAt: intOrNull(r, t, "retired_at"),
	};
}

/** The primary-key column of each table holding envelopes; `EncryptedRow.id` is its value. */
export const encryptedTableKeys: Record<EncryptedTable, string> = {
	connected_accounts: "id",
	provider_sessions: "id",
	oauth_flows: "state_hash",
	revocations: "id",
	signing_keys: "kid",
	pending_links: "code_hash",
};

function isEncryptedTable(table: string): table is EncryptedTable {
	return Object.hasOwn(encryptedColumns, table);
}

/** Narrows a caller-supplied table name at run time, since the SQL for it is picked by that name. */
export function checkEncryptedTable(table: string): EncryptedTable {
	if (!isEncryptedTable(table)) {
		throw new Error(`store: ${table} holds no encrypted columns`);
	}
	return table;
}

export function toEncryptedRow(
	value: unknown,
	table: EncryptedTable,
): EncryptedRow {
	const r = asRaw(value, table);
	const values: Record<string, string | null> = {};
	for (const column of encryptedColumns[table]) {
		values[column] = textOrNull(r, table, column);
	}
	return { id: text(r, table, encryptedTableKeys[table]), values };
}

/** The key id of an envelope `v1.<keyId>.<iv>.<ct>`; "" when the value has no second segment. */
export function envelopeKeyId(value: string): string {
	const first = value.indexOf(".");
	if (first === -1) return "";
	const second = value.indexOf(".", first + 1);
	return second === -1
		? value.slice(first + 1)
		: value.slice(first + 1, second);
}

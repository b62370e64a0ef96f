import type {
	AdminAccount,
	AdminAuditEvent,
	AdminAuditKind,
	AdminEvent,
	AdminRefreshError,
	AdminUserSummary,
} from "@tether/api";
import { TetherError } from "../errors.ts";
import type {
	AuditEventRow,
	AuditKind,
	ConnectedAccountRow,
	EventRow,
	UserRow,
} from "../store/index.ts";

/** The store's audit kinds and the API's are one list; this fails to compile when they drift. */
export type AuditKindsAgree = [AuditKind] extends [AdminAuditKind]
	? [AdminAuditKind] extends [AuditKind]
		? true
		: never
	: never;
export const auditKindsAgree: AuditKindsAgree = true;

export const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function toAdminUser(
	row: UserRow,
	accountCount: number,
): AdminUserSummary {
	return {
		id: row.id,
		externalId: row.externalId,
		email: row.email,
		displayName: row.displayName,
		createdAt: iso(row.createdAt),
		accountCount,
	};
}

/** The stored record of the last failed refresh is free-form JSON; only known fields pass. */
function refreshErrorView(
	record: Record<string, unknown> | null,
): AdminRefreshError | null {
	if (record === null) return null;
	const text = (v: unknown) => (typeof v === "string" ? v : null);
	const time = (v: unknown) => (typeof v === "number" ? iso(v) : null);
	return {
		kind: text(record.kind),
		error: text(record.error),
		status: typeof record.status === "number" ? record.status : null,
		at: time(record.at),
		retryAt: time(record.retryAt),
	};
}

/** An account as the operator sees it: everything but the tokens (only whether a refresh token exists). */
export function toAdminAccount(row: ConnectedAccountRow): AdminAccount {
	return {
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		userId: row.userId,
		email: row.email,
		displayName: row.displayName,
		scopes: row.scopes,
		status: row.status,
		accessTokenExpiresAt: isoOrNull(row.accessTokenExpiresAt),
		hasRefreshToken: row.refreshTokenEnc !== null,
		lastRefreshAt: isoOrNull(row.lastRefreshAt),
		lastUsedAt: isoOrNull(row.lastUsedAt),
		lastRefreshError: refreshErrorView(row.lastRefreshError),
		createdAt: iso(row.createdAt),
		updatedAt: iso(row.updatedAt),
	};
}

export function toAdminAuditEvent(row: AuditEventRow): AdminAuditEvent {
	return {
		id: row.id,
		at: iso(row.at),
		kind: row.kind,
		userId: row.userId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		reason: row.reason,
		count: row.count,
		detail: row.detail,
	};
}

export function toAdminEvent(row: EventRow): AdminEvent {
	return {
		id: row.id,
		type: row.type,
		payload: row.payload,
		attempts: row.attempts,
		nextAttemptAt: iso(row.nextAttemptAt),
		deliveredAt: isoOrNull(row.deliveredAt),
		lastError: row.lastError,
		createdAt: iso(row.createdAt),
	};
}

/**
 * Page cursors are `<epoch ms>.<id>`: where the last page ended, in the list's sort order. Opaque
 * to clients, who only pass back the `nextCursor` they were given.
 */
export function encodeCursor(ms: number, id: string): string {
	return `${ms}.${id}`;
}

export function decodeCursor(
	cursor: string,
	field: string,
): { ms: number; id: string } {
	const match = /^(\d{1,16})\.([\x21-\x7e]{1,256})$/.exec(cursor);
	const ms = Number(match?.[1]);
	const id = match?.[2];
	if (id === undefined || !Number.isSafeInteger(ms))
		throw new TetherError("INVALID_REQUEST", "Not a valid cursor.", {
			details: { field },
		});
	return { ms, id };
}

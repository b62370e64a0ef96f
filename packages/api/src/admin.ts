/**
 * The admin API (`/v1/admin/*`), for the operator's dashboard: `Authorization: Bearer <adminSecret>`.
 * Times are ISO 8601 strings, durations seconds. Fields an operator may want to show but that can be
 * unknown are `null` rather than absent, so a table can render every row the same way.
 */

import type { ConnectedAccountStatus } from "./types.ts";

/** How a failed refresh is classed: the user must reconnect, try later, or the operator must fix the client. */
export type RefreshFailureKind = "permanent" | "transient" | "misconfigured";

/** One page of a list; pass `nextCursor` back as the list's cursor parameter for the next page. */
export interface AdminPage<T> {
	items: T[];
	/** Null on the last page. */
	nextCursor: string | null;
}

/** Refresh outcomes of one provider over a window. */
export interface AdminRefreshHealth {
	refreshes: number;
	failures: Record<RefreshFailureKind, number>;
	/** `refreshes / (refreshes + failures)`; null when there was neither. */
	successRate: number | null;
}

/** `GET /v1/admin/providers` → `{ items: AdminProvider[] }`. */
export interface AdminProvider {
	id: string;
	/** The catalog type (`google`, `oidc`, …). */
	type: string;
	displayName: string;
	accounts: { active: number; reauthRequired: number };
	lastHour: AdminRefreshHealth;
	lastDay: AdminRefreshHealth;
	/**
	 * Open while the provider rejects Tether's client credentials: refreshes are paused. This is
	 * the answering process's view (each process keeps its own circuit).
	 */
	circuit: { open: boolean; openUntil: string | null };
	lastFailure: {
		at: string;
		kind: string | null;
		error: string | null;
		status: number | null;
	} | null;
}

/** A user in the admin list (`GET /v1/admin/users`). */
export interface AdminUserSummary {
	id: string;
	externalId: string | null;
	email: string | null;
	displayName: string | null;
	createdAt: string;
	accountCount: number;
}

/** The last failed refresh of an account, as the provider answered (never a token). */
export interface AdminRefreshError {
	kind: string | null;
	error: string | null;
	status: number | null;
	at: string | null;
	/** When the next attempt is allowed (transient failures). */
	retryAt: string | null;
}

/** A connected account with what an operator needs and no token. */
export interface AdminAccount {
	provider: string;
	providerAccountId: string;
	userId: string;
	email: string | null;
	displayName: string | null;
	scopes: string[];
	status: ConnectedAccountStatus;
	accessTokenExpiresAt: string | null;
	hasRefreshToken: boolean;
	lastRefreshAt: string | null;
	lastUsedAt: string | null;
	lastRefreshError: AdminRefreshError | null;
	createdAt: string;
	updatedAt: string;
}

/** `GET /v1/admin/users/:userId`. */
export interface AdminUserDetail {
	user: AdminUserSummary;
	accounts: AdminAccount[];
}

/**
 * What the audit log records: token reads (coalesced per account, `count` says how many), refreshes
 * and their failures, links, unlinks, reauth, revocations at the provider, and admin actions.
 */
export type AdminAuditKind =
	| "token.read"
	| "token.refresh"
	| "token.refresh_failed"
	| "account.linked"
	| "account.unlinked"
	| "account.reauth_required"
	| "account.refresh_forced"
	| "revocation.done"
	| "revocation.failed"
	| "webhook.replayed";

/** One audit log entry (`GET /v1/admin/audit`). */
export interface AdminAuditEvent {
	id: string;
	at: string;
	/** An `AdminAuditKind`; a newer server may add kinds. */
	kind: string;
	userId: string | null;
	provider: string | null;
	providerAccountId: string | null;
	/** The failure kind of `token.refresh_failed`, the route of `token.read` (`access_token`, `provider_session`, `provider_refresh`), … */
	reason: string | null;
	count: number;
	detail: Record<string, unknown>;
}

/** One time bucket of `GET /v1/admin/stats`. */
export interface AdminStatsBucket {
	start: string;
	/** Occurrences per audit kind; the refresh and read kinds are always present. */
	counts: Record<string, number>;
	refreshFailures: Record<RefreshFailureKind, number>;
}

/** `GET /v1/admin/stats`: dense buckets (empty ones included) for charts. */
export interface AdminStats {
	since: string;
	until: string;
	bucketSeconds: number;
	provider: string | null;
	buckets: AdminStatsBucket[];
}

/** A webhook event in the outbox (`GET /v1/admin/events`). */
export interface AdminEvent {
	id: string;
	type: string;
	payload: Record<string, unknown>;
	attempts: number;
	nextAttemptAt: string;
	deliveredAt: string | null;
	lastError: string | null;
	createdAt: string;
}

/** `POST /v1/admin/accounts/:provider/:providerAccountId/refresh`. */
export interface AdminForceRefreshResult {
	/** False when the provider's backoff (or an open circuit) kept Tether from calling it. */
	refreshed: boolean;
	account: AdminAccount;
}

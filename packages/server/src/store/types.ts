/**
 * The storage contract. Two implementations (SQLite, PostgreSQL) pass one shared contract suite
 * (`contract.test.ts`). Everything is plain data: times are epoch milliseconds, ids are strings the
 * caller generates, encrypted fields are opaque envelope strings (`v1.<keyId>.…`) the store never
 * opens. Methods that must be atomic across processes say so; the implementations make them so
 * with single statements or transactions, never with process memory.
 */

export type AccountStatus = "active" | "reauth_required";

export interface UserRow {
	id: string;
	externalId: string | null;
	email: string | null;
	displayName: string | null;
	createdAt: number;
	updatedAt: number;
}

export interface SessionRow {
	id: string;
	/** Every rotation of one sign-in shares a family; reuse of a rotated token revokes the family. */
	familyId: string;
	userId: string;
	/** SHA-256 of the opaque refresh token (base64url); the token itself is never stored. */
	refreshTokenHash: string;
	expiresAt: number;
	createdAt: number;
	/** Set when this token was exchanged for a newer one. */
	rotatedAt: number | null;
	revokedAt: number | null;
}

export interface ConnectedAccountRow {
	id: string;
	userId: string;
	providerConfigId: string;
	providerAccountId: string;
	email: string | null;
	displayName: string | null;
	/** Scopes the provider says it granted, normalised. */
	scopes: string[];
	tokenType: string | null;
	/** Envelope ciphertexts (AAD binds each to this row id and its field name). */
	accessTokenEnc: string | null;
	refreshTokenEnc: string | null;
	/**
	 * SHA-256 of the refresh tokens this account has had (newest first, bounded), so the guide's
	 * refresh endpoint recognises a token Tether itself already rotated away.
	 */
	refreshTokenHashes: string[];
	idTokenEnc: string | null;
	accessTokenExpiresAt: number | null;
	refreshTokenExpiresAt: number | null;
	status: AccountStatus;
	/** JSON-safe record of the last failed refresh (class, provider error, status); null after a success. */
	lastRefreshError: Record<string, unknown> | null;
	lastRefreshAt: number | null;
	lastUsedAt: number | null;
	/** Incremented by every successful `updateConnectedAccount`; the compare-and-set guard. Starts at 1. */
	version: number;
	leaseOwner: string | null;
	leaseExpiresAt: number | null;
	createdAt: number;
	updatedAt: number;
}

export type NewConnectedAccount = Omit<
	ConnectedAccountRow,
	"version" | "leaseOwner" | "leaseExpiresAt" | "refreshTokenHashes"
> & { refreshTokenHashes?: string[] };

/** Fields a compare-and-set update may change. */
export type ConnectedAccountPatch = Partial<
	Pick<
		ConnectedAccountRow,
		| "userId"
		| "email"
		| "displayName"
		| "scopes"
		| "tokenType"
		| "accessTokenEnc"
		| "refreshTokenEnc"
		| "refreshTokenHashes"
		| "idTokenEnc"
		| "accessTokenExpiresAt"
		| "refreshTokenExpiresAt"
		| "status"
		| "lastRefreshError"
		| "lastRefreshAt"
		| "lastUsedAt"
	>
> & {
	/** When true, the lease is cleared in the same write (the refresh holder's final write). */
	releaseLease?: boolean;
};

/** The provider tokens of a just-finished sign-in, readable once (the guide's endpoint). */
export interface ProviderSessionRow {
	id: string;
	userId: string;
	/** The Tether session family that finished the sign-in; only it may read this. */
	sessionFamilyId: string | null;
	providerConfigId: string;
	connectedAccountId: string;
	/** Envelope of a JSON `{ accessToken, refreshToken, expiresAt }`. */
	payloadEnc: string;
	expiresAt: number;
	createdAt: number;
}

export interface LinkIntentRow {
	/** SHA-256 of the one-time handle. */
	idHash: string;
	userId: string;
	providerConfigId: string;
	scopes: string[];
	redirectTo: string;
	providerAccountId: string | null;
	expiresAt: number;
	createdAt: number;
}

export type FlowKind = "signin" | "link";

/** Server-side state of one OAuth authorization request, keyed by the hash of its `state`. */
export interface OAuthFlowRow {
	stateHash: string;
	kind: FlowKind;
	providerConfigId: string;
	/** For `link`: the user the result is attached to. */
	userId: string | null;
	redirectTo: string;
	scopes: string[];
	/** Envelope of the PKCE verifier sent to the provider. */
	codeVerifierEnc: string;
	nonce: string | null;
	/** Hash of the browser-binding cookie set when the flow started. */
	browserBindingHash: string;
	/** PKCE challenge between the app and Tether (S256), if the app sent one. */
	appCodeChallenge: string | null;
	loginHint: string | null;
	providerAccountId: string | null;
	expiresAt: number;
	createdAt: number;
}

/** A one-time code the final redirect carries; exchanged for a session. */
export interface AuthCodeRow {
	codeHash: string;
	userId: string;
	/** Family of the session the exchange will create (the provider session is bound to it). */
	sessionFamilyId: string;
	appCodeChallenge: string | null;
	expiresAt: number;
	createdAt: number;
}

/** A finished link flow awaiting its owner (`POST /v1/link/complete`); `payloadEnc` holds the provider's answer. */
export interface PendingLinkRow {
	codeHash: string;
	userId: string;
	providerConfigId: string;
	payloadEnc: string;
	expiresAt: number;
	createdAt: number;
}

export interface RevocationRow {
	id: string;
	providerConfigId: string;
	/** Envelope of the token to revoke at the provider. */
	tokenEnc: string;
	tokenTypeHint: "access_token" | "refresh_token";
	attempts: number;
	nextAttemptAt: number;
	lastError: string | null;
	createdAt: number;
}

export type NewRevocation = Omit<RevocationRow, "attempts" | "lastError">;

export interface EventRow {
	id: string;
	type: string;
	payload: Record<string, unknown>;
	attempts: number;
	nextAttemptAt: number;
	deliveredAt: number | null;
	lastError: string | null;
	createdAt: number;
}

export type NewEvent = Pick<EventRow, "id" | "type" | "payload" | "createdAt">;

export interface SigningKeyRow {
	kid: string;
	alg: string;
	publicJwk: Record<string, unknown>;
	/** Envelope of the private JWK JSON. */
	privateJwkEnc: string;
	createdAt: number;
	retiredAt: number | null;
}

/**
 * What an audit entry records. Rows are read back as plain strings, so a newer process may write a
 * kind an older one does not know.
 */
export type AuditKind =
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

/** One line of the audit log. It names users and accounts, never a token, code or secret. */
export interface AuditEventRow {
	id: string;
	at: number;
	kind: string;
	userId: string | null;
	providerConfigId: string | null;
	providerAccountId: string | null;
	/**
	 * A short, low-cardinality qualifier that charts group by: the failure class of
	 * `token.refresh_failed` (`transient`, `permanent`, `misconfigured`), the route of `token.read`.
	 */
	reason: string | null;
	/** How many occurrences the row stands for (token reads of one account are coalesced); at least 1. */
	count: number;
	detail: Record<string, unknown>;
}

export type NewAuditEvent = Omit<AuditEventRow, "kind"> & { kind: AuditKind };

export interface ListAuditInput {
	limit: number;
	before?: AuditCursor;
	userId?: string;
	provider?: string;
	kind?: string;
}

/** Where a page of the audit log ended: rows strictly older come next. */
export interface AuditCursor {
	at: number;
	id: string;
}

/** Occurrences of one kind (and provider and reason) in one time bucket. */
export interface AuditCount {
	/** Start of the bucket: `at` rounded down to a multiple of `bucketMs` since the epoch. */
	bucketStart: number;
	kind: string;
	providerConfigId: string | null;
	reason: string | null;
	count: number;
}

/** Where a page of users ended (users are listed newest first). */
export interface UserCursor {
	createdAt: number;
	id: string;
}

export interface UserSummaryRow extends UserRow {
	accountCount: number;
}

export interface AccountCount {
	providerConfigId: string;
	status: AccountStatus;
	count: number;
}

/** Tables that hold envelope ciphertexts, and their encrypted columns (key rotation walks these). */
export const encryptedColumns = {
	connected_accounts: ["access_token_enc", "refresh_token_enc", "id_token_enc"],
	provider_sessions: ["payload_enc"],
	oauth_flows: ["code_verifier_enc"],
	revocations: ["token_enc"],
	signing_keys: ["private_jwk_enc"],
	pending_links: ["payload_enc"],
} as const;

export type EncryptedTable = keyof typeof encryptedColumns;

/** One row's encrypted values, keyed by column name; null where the column is empty. */
export interface EncryptedRow {
	id: string;
	values: Record<string, string | null>;
}

/**
 * What a cache of connected accounts kept in one process needs to stay true to the database
 * (vault/hot-tokens.ts). The store reports the id of every account whose tokens or state change.
 */
export interface AccountWatch {
	/**
	 * A value that stays the same while no other process can have changed a connected account
	 * without this process hearing of it: take it before reading a row and keep the row only while
	 * it has not moved. null while the store cannot tell (its notification connection is down):
	 * nothing may be kept then.
	 */
	mark(): number | null;
	/** Stops listening; `changed` is not called again. */
	stop(): Promise<void>;
}

/** Things written in the same transaction as the main change (the outbox and revocation queue). */
export interface SideEffects {
	events?: NewEvent[];
	revocations?: NewRevocation[];
}

export interface Store {
	readonly kind: "sqlite" | "postgres";
	/** Applies pending migrations; safe to call from several processes at once. */
	migrate(): Promise<void>;
	/** Cheap reachability check (doctor, health). */
	ping(): Promise<void>;
	close(): Promise<void>;

	// Users
	insertUser(row: UserRow): Promise<void>;
	getUser(id: string): Promise<UserRow | null>;
	findUserByExternalId(externalId: string): Promise<UserRow | null>;

	// Tether sessions
	insertSession(row: SessionRow): Promise<void>;
	findSessionByRefreshHash(hash: string): Promise<SessionRow | null>;
	getSession(id: string): Promise<SessionRow | null>;
	/**
	 * Atomically marks `oldId` rotated and inserts `next`, only if `oldId` is neither rotated nor
	 * revoked. Returns false (and writes nothing) when another request rotated it first.
	 */
	rotateSession(oldId: string, next: SessionRow, now: number): Promise<boolean>;
	/**
	 * Revokes every session of a family; returns how many were still live (not yet revoked; rotated
	 * ones count, since they are revoked too). 0 means the family was already revoked.
	 */
	revokeSessionFamily(familyId: string, now: number): Promise<number>;

	// Connected accounts
	/** Throws `StoreConflictError` when `(providerConfigId, providerAccountId)` exists. */
	insertConnectedAccount(
		row: NewConnectedAccount,
		effects?: SideEffects,
	): Promise<void>;
	getConnectedAccount(id: string): Promise<ConnectedAccountRow | null>;
	findConnectedAccount(
		providerConfigId: string,
		providerAccountId: string,
	): Promise<ConnectedAccountRow | null>;
	listConnectedAccounts(userId: string): Promise<ConnectedAccountRow[]>;
	/**
	 * Compare-and-set: applies `patch` only if the row's version is still `expectedVersion`, bumping
	 * the version and `updatedAt`. Returns the new row, or null when the version moved on (or the row is gone).
	 */
	updateConnectedAccount(
		id: string,
		expectedVersion: number,
		patch: ConnectedAccountPatch,
		now: number,
		effects?: SideEffects,
	): Promise<ConnectedAccountRow | null>;
	/**
	 * Takes the refresh lease if it is free, expired, or already `owner`'s. Does not change `version`.
	 * Returns the row as it is after taking the lease, or null when someone else holds it.
	 */
	acquireLease(
		id: string,
		owner: string,
		now: number,
		expiresAt: number,
	): Promise<ConnectedAccountRow | null>;
	/** Drops the lease if `owner` still holds it. */
	releaseLease(id: string, owner: string): Promise<void>;
	/**
	 * Leases up to `limit` active accounts whose access token expires before `expiringBefore` and
	 * that were used after `usedAfter`, skipping rows leased by others (the proactive refresher).
	 * Accounts without an expiry or never used are not claimed; the soonest expiry comes first.
	 */
	claimExpiring(input: {
		expiringBefore: number;
		usedAfter: number;
		limit: number;
		owner: string;
		now: number;
		leaseExpiresAt: number;
	}): Promise<ConnectedAccountRow[]>;
	/** Records last use, without touching `version` (a hint, not state to compare-and-set on). */
	markUsed(ids: string[], now: number): Promise<void>;
	/**
	 * Calls `changed` with the id of each connected account updated (a new version) or deleted
	 * through this store, and, where the database can say so (PostgreSQL's LISTEN), by other
	 * processes; SQLite tells of other processes' commits through `mark()` instead.
	 */
	watchAccounts(changed: (accountId: string) => void): AccountWatch;
	/** Deletes the account and, in the same transaction, queues the side effects. Returns the deleted row. */
	deleteConnectedAccount(
		id: string,
		effects?: SideEffects,
	): Promise<ConnectedAccountRow | null>;

	// One-time records: `consume…` deletes and returns in one atomic step; expired rows yield null.
	putProviderSession(row: ProviderSessionRow): Promise<void>;
	/**
	 * `sessionFamilyId` must match exactly: null matches only rows stored without a family. With
	 * several matches the newest is consumed first.
	 */
	consumeProviderSession(input: {
		userId: string;
		providerConfigId: string;
		sessionFamilyId: string | null;
		now: number;
	}): Promise<ProviderSessionRow | null>;
	putLinkIntent(row: LinkIntentRow): Promise<void>;
	consumeLinkIntent(idHash: string, now: number): Promise<LinkIntentRow | null>;
	putOAuthFlow(row: OAuthFlowRow): Promise<void>;
	consumeOAuthFlow(
		stateHash: string,
		now: number,
	): Promise<OAuthFlowRow | null>;
	putAuthCode(row: AuthCodeRow): Promise<void>;
	consumeAuthCode(codeHash: string, now: number): Promise<AuthCodeRow | null>;
	putPendingLink(row: PendingLinkRow): Promise<void>;
	/** Takes the pending link once: whoever asks gets it (or null) and it is gone. */
	consumePendingLink(
		codeHash: string,
		now: number,
	): Promise<PendingLinkRow | null>;
	/**
	 * Deletes expired one-time records and old rotated sessions; returns how many rows went.
	 * Sessions go once past their `expiresAt` (rotated or not: an expired token is useless either way).
	 */
	purgeExpired(now: number): Promise<number>;

	// Revocation queue (work items are claimed by pushing `nextAttemptAt` forward)
	/**
	 * Claims due items (`nextAttemptAt <= now`), setting `nextAttemptAt = claimUntil` and counting
	 * the attempt (`attempts + 1`) in the same write; the rows come back as claimed. Counting at
	 * claim time means an attempt that crashed its process still counts. `reschedule…` then only
	 * sets the next time and the error. Concurrent claimers never receive the same row.
	 */
	claimRevocations(input: {
		now: number;
		limit: number;
		claimUntil: number;
	}): Promise<RevocationRow[]>;
	completeRevocation(id: string): Promise<void>;
	rescheduleRevocation(
		id: string,
		nextAttemptAt: number,
		lastError: string,
	): Promise<void>;

	// Event outbox
	/** As `claimRevocations`, over undelivered events (a new event is due at its `createdAt`). */
	claimEvents(input: {
		now: number;
		limit: number;
		claimUntil: number;
	}): Promise<EventRow[]>;
	markEventDelivered(id: string, now: number): Promise<void>;
	rescheduleEvent(
		id: string,
		nextAttemptAt: number,
		lastError: string,
	): Promise<void>;
	listEvents(input: {
		limit: number;
		beforeCreatedAt?: number;
	}): Promise<EventRow[]>;
	/**
	 * Makes an event due again (a replay): undelivered, attempts back to 0, next attempt `now`.
	 * Returns the event as it is now, or null when there is no such event.
	 */
	resetEvent(id: string, now: number): Promise<EventRow | null>;

	// Audit log (written in batches by an in-process buffer, read by the admin API)
	/** Inserts every row in one transaction (or one statement); an empty list writes nothing. */
	appendAudit(rows: NewAuditEvent[]): Promise<void>;
	/** Newest first (`at`, then `id`, descending); each filter given narrows the list. */
	listAudit(input: ListAuditInput): Promise<AuditEventRow[]>;
	/**
	 * Summed occurrences per bucket, kind, provider and reason, for rows with
	 * `since <= at < until` (`until` default: no end), optionally only of `kinds`. Buckets are
	 * aligned to the epoch; the list is ordered by bucket.
	 */
	auditCounts(input: {
		since: number;
		until?: number;
		bucketMs: number;
		kinds?: string[];
	}): Promise<AuditCount[]>;
	/** Deletes up to `limit` of the oldest rows with `at < before`; returns how many went. */
	pruneAudit(before: number, limit: number): Promise<number>;

	// Admin reads
	/**
	 * Users newest first (`createdAt`, then `id`, descending), each with how many accounts it has.
	 * `query` keeps the users one of whose identifiers equals it: id, external id, email, or the
	 * provider account id or email of one of its accounts (emails case-insensitively, ASCII at
	 * least). Exact, not substring: every lookup is an index read, at any number of users.
	 */
	listUsers(input: {
		limit: number;
		after?: UserCursor;
		query?: string;
	}): Promise<UserSummaryRow[]>;
	/**
	 * Connected accounts per provider and status, ordered by both (pairs with none are left out).
	 * Cheap at any number of accounts: metrics read it every 30 seconds.
	 */
	countAccounts(): Promise<AccountCount[]>;

	// Session-signing keys
	/** Newest first. */
	listSigningKeys(): Promise<SigningKeyRow[]>;
	insertSigningKey(row: SigningKeyRow): Promise<void>;
	retireSigningKey(kid: string, now: number): Promise<void>;

	// Key rotation support
	/**
	 * Rows of `table` (ordered by id, after `afterId`) holding at least one envelope whose key id is
	 * not `keyId`. A non-null value that is not an envelope counts as not under `keyId`.
	 */
	listEncryptedNotUnderKey(
		table: EncryptedTable,
		keyId: string,
		afterId: string,
		limit: number,
	): Promise<EncryptedRow[]>;
	/**
	 * Rewrites a row's envelopes only if they still equal `expected` (a concurrent refresh wins).
	 * Columns absent from `expected` are not compared, columns absent from `next` not written. It
	 * changes neither `version` nor `updatedAt`, so a refresh racing the rotation is never refused.
	 */
	replaceEncrypted(
		table: EncryptedTable,
		id: string,
		expected: Record<string, string | null>,
		next: Record<string, string | null>,
	): Promise<boolean>;
	/** How many rows of `table` hold an envelope not under `keyId` (progress bars). */
	countEncryptedNotUnderKey(
		table: EncryptedTable,
		keyId: string,
	): Promise<number>;
}

/** A unique constraint said no. `constraint` names the model rule (e.g. `connected_account_identity`). */
export class StoreConflictError extends Error {
	override readonly name = "StoreConflictError";
	constructor(readonly constraint: string) {
		super(`unique constraint violated: ${constraint}`);
	}
}

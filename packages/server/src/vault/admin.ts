import type {
	AdminAuditEvent,
	AdminEvent,
	AdminForceRefreshResult,
	AdminPage,
	AdminProvider,
	AdminRefreshHealth,
	AdminStats,
	AdminStatsBucket,
	AdminUserDetail,
	AdminUserSummary,
	RefreshFailureKind,
} from "@tether/api";
import { TetherError } from "../errors.ts";
import type { AuditCount, ConnectedAccountRow } from "../store/index.ts";
import { unlinkAccount } from "./accounts.ts";
import {
	decodeCursor,
	encodeCursor,
	iso,
	toAdminAccount,
	toAdminAuditEvent,
	toAdminEvent,
	toAdminUser,
} from "./admin-views.ts";
import type { VaultDeps } from "./deps.ts";
import type { RefreshEngine } from "./refresh-engine.ts";

/**
 * The operator's operations behind the admin API: provider health, users and their accounts, the
 * audit log and its time series, and the actions (force refresh, unlink, webhook replay). Nothing
 * here ever returns a token.
 */
export interface AdminDeps extends VaultDeps {
	refresh: RefreshEngine;
	/** This process's refresh circuit per provider (metrics keep it). */
	circuitOpenUntil(provider: string): number | null;
}

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;
const failureKinds: readonly RefreshFailureKind[] = [
	"transient",
	"permanent",
	"misconfigured",
];
const refreshKinds = ["token.refresh", "token.refresh_failed"];
/** Charts ask for at most this many buckets per series. */
export const maxStatsBuckets = 1_000;

const isFailureKind = (value: string | null): value is RefreshFailureKind =>
	failureKinds.some((kind) => kind === value);

function noFailures(): Record<RefreshFailureKind, number> {
	return { transient: 0, permanent: 0, misconfigured: 0 };
}

function health(counts: AuditCount[], provider: string): AdminRefreshHealth {
	let refreshes = 0;
	const failures = noFailures();
	for (const c of counts) {
		if (c.providerConfigId !== provider) continue;
		if (c.kind === "token.refresh") refreshes += c.count;
		else if (c.kind === "token.refresh_failed" && isFailureKind(c.reason))
			failures[c.reason] += c.count;
	}
	const failed =
		failures.transient + failures.permanent + failures.misconfigured;
	return {
		refreshes,
		failures,
		successRate:
			refreshes + failed === 0 ? null : refreshes / (refreshes + failed),
	};
}

/** Every configured provider with its accounts and refresh health over the last hour and day. */
export async function providerOverview(
	deps: AdminDeps,
): Promise<AdminProvider[]> {
	const now = deps.now();
	const providers = deps.providers.list();
	const [lastHour, lastDay, accounts, lastFailures] = await Promise.all([
		deps.store.auditCounts({
			since: now - hourMs,
			bucketMs: hourMs,
			kinds: refreshKinds,
		}),
		deps.store.auditCounts({
			since: now - dayMs,
			bucketMs: dayMs,
			kinds: refreshKinds,
		}),
		deps.store.countAccounts(),
		Promise.all(
			providers.map(async (p) => {
				const [row] = await deps.store.listAudit({
					limit: 1,
					provider: p.id,
					kind: "token.refresh_failed",
				});
				return row;
			}),
		),
	]);
	return providers.map((p, i) => {
		const count = (status: string) =>
			accounts.find((a) => a.providerConfigId === p.id && a.status === status)
				?.count ?? 0;
		const failure = lastFailures[i];
		const openUntil = deps.circuitOpenUntil(p.id);
		const status = failure?.detail.status;
		return {
			id: p.id,
			type: p.entry.type,
			displayName: p.entry.displayName,
			accounts: {
				active: count("active"),
				reauthRequired: count("reauth_required"),
			},
			lastHour: health(lastHour, p.id),
			lastDay: health(lastDay, p.id),
			circuit: {
				open: openUntil !== null,
				openUntil: openUntil === null ? null : iso(openUntil),
			},
			lastFailure:
				failure === undefined
					? null
					: {
							at: iso(failure.at),
							kind: failure.reason,
							error:
								typeof failure.detail.error === "string"
									? failure.detail.error
									: null,
							status: typeof status === "number" ? status : null,
						},
		};
	});
}

export async function listUsersPage(
	deps: AdminDeps,
	input: { limit: number; cursor?: string; query?: string },
): Promise<AdminPage<AdminUserSummary>> {
	const after =
		input.cursor === undefined
			? undefined
			: decodeCursor(input.cursor, "after");
	const rows = await deps.store.listUsers({
		limit: input.limit + 1,
		...(after === undefined
			? {}
			: { after: { createdAt: after.ms, id: after.id } }),
		...(input.query === undefined ? {} : { query: input.query }),
	});
	const items = rows.slice(0, input.limit);
	const last = items.at(-1);
	return {
		items: items.map((row) => toAdminUser(row, row.accountCount)),
		nextCursor:
			rows.length > input.limit && last !== undefined
				? encodeCursor(last.createdAt, last.id)
				: null,
	};
}

/** A user by Tether id or the app's external id, with every account (and no tokens). */
export async function userDetail(
	deps: AdminDeps,
	id: string,
): Promise<AdminUserDetail> {
	const user =
		(await deps.store.getUser(id)) ??
		(await deps.store.findUserByExternalId(id));
	if (user === null) throw new TetherError("USER_NOT_FOUND", "No such user.");
	const accounts = await deps.store.listConnectedAccounts(user.id);
	return {
		user: toAdminUser(user, accounts.length),
		accounts: accounts.map(toAdminAccount),
	};
}

export async function auditPage(
	deps: AdminDeps,
	input: {
		limit: number;
		cursor?: string;
		userId?: string;
		provider?: string;
		kind?: string;
	},
): Promise<AdminPage<AdminAuditEvent>> {
	const before =
		input.cursor === undefined
			? undefined
			: decodeCursor(input.cursor, "before");
	const rows = await deps.store.listAudit({
		limit: input.limit + 1,
		...(before === undefined
			? {}
			: { before: { at: before.ms, id: before.id } }),
		...(input.userId === undefined ? {} : { userId: input.userId }),
		...(input.provider === undefined ? {} : { provider: input.provider }),
		...(input.kind === undefined ? {} : { kind: input.kind }),
	});
	const items = rows.slice(0, input.limit);
	const last = items.at(-1);
	return {
		items: items.map(toAdminAuditEvent),
		nextCursor:
			rows.length > input.limit && last !== undefined
				? encodeCursor(last.at, last.id)
				: null,
	};
}

/**
 * Dense, epoch-aligned buckets from `since` (rounded down) to `until`, for charts: occurrences per
 * audit kind, and refresh failures per kind, optionally for one provider.
 */
export async function statsSeries(
	deps: AdminDeps,
	input: {
		since: number;
		until: number;
		bucketSeconds: number;
		provider?: string;
	},
): Promise<AdminStats> {
	const bucketMs = input.bucketSeconds * 1000;
	const start = Math.floor(input.since / bucketMs) * bucketMs;
	const size = Math.max(1, Math.ceil((input.until - start) / bucketMs));
	if (input.until <= input.since || size > maxStatsBuckets)
		throw new TetherError(
			"INVALID_REQUEST",
			`Ask for a range after since, in at most ${maxStatsBuckets} buckets.`,
			{ details: { field: "since", buckets: size } },
		);
	const buckets: AdminStatsBucket[] = Array.from({ length: size }, (_, i) => ({
		start: iso(start + i * bucketMs),
		counts: { "token.read": 0, "token.refresh": 0, "token.refresh_failed": 0 },
		refreshFailures: noFailures(),
	}));
	const counts = await deps.store.auditCounts({
		since: start,
		until: input.until,
		bucketMs,
	});
	for (const c of counts) {
		if (input.provider !== undefined && c.providerConfigId !== input.provider)
			continue;
		const bucket = buckets[(c.bucketStart - start) / bucketMs];
		if (bucket === undefined) continue;
		bucket.counts[c.kind] = (bucket.counts[c.kind] ?? 0) + c.count;
		if (c.kind === "token.refresh_failed" && isFailureKind(c.reason))
			bucket.refreshFailures[c.reason] += c.count;
	}
	return {
		since: iso(start),
		until: iso(input.until),
		bucketSeconds: input.bucketSeconds,
		provider: input.provider ?? null,
		buckets,
	};
}

async function findAccount(
	deps: AdminDeps,
	input: { provider: string; providerAccountId: string },
): Promise<ConnectedAccountRow> {
	const row = await deps.store.findConnectedAccount(
		input.provider,
		input.providerAccountId,
	);
	if (row === null)
		throw new TetherError(
			"CONNECTED_ACCOUNT_NOT_FOUND",
			"No such connected account.",
		);
	return row;
}

/**
 * Refreshes now, through the same single-flight engine as every caller, so the provider's backoff
 * and an open circuit still hold: then nothing is sent and `refreshed` is false.
 */
export async function forceRefresh(
	deps: AdminDeps,
	input: { provider: string; providerAccountId: string },
): Promise<AdminForceRefreshResult> {
	const row = await findAccount(deps, input);
	const record = (detail: Record<string, unknown>) =>
		deps.audit?.record({
			kind: "account.refresh_forced",
			userId: row.userId,
			provider: row.providerConfigId,
			providerAccountId: row.providerAccountId,
			detail,
		});
	try {
		const { row: after } = await deps.refresh.fresh(row, { force: true });
		const refreshed =
			after.lastRefreshAt !== null && after.lastRefreshAt !== row.lastRefreshAt;
		record({ refreshed });
		return { refreshed, account: toAdminAccount(after) };
	} catch (error) {
		record({
			refreshed: false,
			error: error instanceof TetherError ? error.code : "INTERNAL_ERROR",
		});
		throw error;
	}
}

/** Unlinks like the user would (tokens deleted now, revoked at the provider), audited as the admin's. */
export async function unlinkAsAdmin(
	deps: AdminDeps,
	input: { provider: string; providerAccountId: string },
): Promise<void> {
	const row = await findAccount(deps, input);
	await unlinkAccount(deps, {
		userId: row.userId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		by: "admin",
	});
}

export async function eventsPage(
	deps: AdminDeps,
	input: { limit: number; cursor?: string },
): Promise<AdminPage<AdminEvent>> {
	const before =
		input.cursor === undefined
			? undefined
			: decodeCursor(input.cursor, "before").ms;
	const rows = await deps.store.listEvents({
		limit: input.limit + 1,
		...(before === undefined ? {} : { beforeCreatedAt: before }),
	});
	const items = rows.slice(0, input.limit);
	const last = items.at(-1);
	return {
		items: items.map(toAdminEvent),
		nextCursor:
			rows.length > input.limit && last !== undefined
				? encodeCursor(last.createdAt, last.id)
				: null,
	};
}

/** Makes a webhook event due again; the outbox worker delivers it on its next pass. */
export async function replayEvent(
	deps: AdminDeps,
	id: string,
): Promise<AdminEvent> {
	const row = await deps.store.resetEvent(id, deps.now());
	if (row === null) throw new TetherError("NOT_FOUND", "No such event.");
	const text = (v: unknown) => (typeof v === "string" ? v : null);
	deps.audit?.record({
		kind: "webhook.replayed",
		userId: text(row.payload.userId),
		provider: text(row.payload.provider),
		providerAccountId: text(row.payload.providerAccountId),
		detail: { eventId: row.id, type: row.type },
	});
	return toAdminEvent(row);
}

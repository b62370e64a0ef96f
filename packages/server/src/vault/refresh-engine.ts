import {
	normalizeScopes,
	type OAuthFailure,
	refreshTokens,
} from "@tether/oauth";
import { newId } from "../auth/random.ts";
import { TetherError } from "../errors.ts";
import {
	type ConnectedAccountRow,
	isDatabaseUnavailable,
} from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";
import {
	openAccessToken,
	openRefreshToken,
	sealTokens,
	withRefreshTokenHash,
} from "./sealed-tokens.ts";

/** Without a `Retry-After` from the provider, wait this long before the next refresh attempt. */
const defaultRetryAfterSeconds = 5;
/** A provider that says our client is wrong is left alone this long (per process). */
const circuitOpenMs = 30_000;
/** How often a process waiting on another process's lease looks at the row again. */
const pollMs = 40;
/** How long the write of a refresh's result is retried while the database is unreachable. */
const resultWriteRetryMs = 30_000;

export interface FreshToken {
	row: ConnectedAccountRow;
	accessToken: string;
}

export interface RefreshEngine {
	/**
	 * The account's access token, refreshed first when it expires within the refresh margin (or
	 * always, with `force`). One refresh per account at a time across every process sharing the
	 * database; callers that arrive meanwhile get the same result.
	 */
	fresh(
		row: ConnectedAccountRow,
		options?: { force?: boolean },
	): Promise<FreshToken>;
	/**
	 * Until when (epoch ms) `fresh` serves this row's access token as it is, without a refresh:
	 * the start of its refresh margin; Infinity for a token without an expiry.
	 */
	freshUntil(row: ConnectedAccountRow): number;
	/** A process identity, for lease ownership (and logs). */
	readonly owner: string;
	/** How long a refresh lease lasts: longer than any provider's timeout, plus database slack. */
	readonly leaseMs: number;
}

export function reauthRequired(provider: string): TetherError {
	return new TetherError(
		"OAUTH_ACCESS_TOKEN_NOT_AVAILABLE",
		"The user must reconnect this account: the provider no longer accepts its refresh token.",
		{ details: { reason: "reauth_required", provider } },
	);
}

function unavailable(
	provider: string,
	retryAfterSeconds: number,
	error?: string,
): TetherError {
	return new TetherError(
		"PROVIDER_UNAVAILABLE",
		`Provider "${provider}" is unavailable; try again later.`,
		{
			details: {
				provider,
				...(error === undefined ? {} : { error }),
				retryAfterSeconds,
			},
			headers: { "Retry-After": String(retryAfterSeconds) },
		},
	);
}

/** Data kept on the row about the last failed refresh; never a token, only the provider's words. */
function failureRecord(
	failure: OAuthFailure,
	now: number,
	retryAt: number | null,
): Record<string, unknown> {
	return {
		kind: failure.kind,
		error: failure.error,
		...(failure.status === undefined ? {} : { status: failure.status }),
		at: now,
		...(retryAt === null ? {} : { retryAt }),
	};
}

function retryAtOf(row: ConnectedAccountRow): number | null {
	const value = row.lastRefreshError?.retryAt;
	return typeof value === "number" ? value : null;
}

export function createRefreshEngine(deps: VaultDeps): RefreshEngine {
	const owner = newId("proc");
	// A lease that expires under a live holder lets another process spend the same refresh token,
	// which a rotating provider punishes by revoking the grant. So it must outlast the slowest token
	// call of any provider (a provider's own providerTimeoutSeconds may exceed the global one); and the
	// holder renews it after discovery, which has its own timeout, just before that call.
	const slack = 5_000;
	const longestTimeoutMs = Math.max(
		deps.config.providerTimeoutSeconds * 1000,
		...deps.providers.list().map((p) => p.timeoutMs),
	);
	const leaseMs = longestTimeoutMs + slack;
	const inflight = new Map<string, Promise<FreshToken>>();
	const circuitOpenUntil = new Map<string, number>();
	const sleep = (ms: number) =>
		new Promise((resolve) => setTimeout(resolve, ms));

	function marginOf(row: ConnectedAccountRow): number {
		return (
			deps.providers.get(row.providerConfigId)?.refreshMarginMs ??
			deps.config.refreshMarginSeconds * 1000
		);
	}

	function freshUntil(row: ConnectedAccountRow): number {
		if (row.accessTokenEnc === null) return Number.NEGATIVE_INFINITY;
		return row.accessTokenExpiresAt === null
			? Number.POSITIVE_INFINITY
			: row.accessTokenExpiresAt - marginOf(row);
	}

	function isFresh(row: ConnectedAccountRow, now: number): boolean {
		return freshUntil(row) > now;
	}

	/** Still usable, if not fresh: served when a refresh cannot happen right now. */
	function isUnexpired(row: ConnectedAccountRow, now: number): boolean {
		return (
			row.accessTokenEnc !== null &&
			(row.accessTokenExpiresAt === null ||
				row.accessTokenExpiresAt > now + 1000)
		);
	}

	function serve(row: ConnectedAccountRow): FreshToken {
		const accessToken = openAccessToken(deps.ring, row);
		if (accessToken === null) throw reauthRequired(row.providerConfigId);
		return { row, accessToken };
	}

	/** Writes with compare-and-set, re-reading and re-applying on a version race. */
	async function write(
		row: ConnectedAccountRow,
		patch: Parameters<VaultDeps["store"]["updateConnectedAccount"]>[2],
		effects?: Parameters<VaultDeps["store"]["updateConnectedAccount"]>[4],
	): Promise<ConnectedAccountRow | null> {
		let current: ConnectedAccountRow | null = row;
		for (let attempt = 0; attempt < 5 && current !== null; attempt++) {
			const updated = await deps.store.updateConnectedAccount(
				current.id,
				current.version,
				patch,
				deps.now(),
				effects,
			);
			if (updated !== null) return updated;
			current = await deps.store.getConnectedAccount(row.id);
		}
		return null;
	}

	/**
	 * The write that stores a refresh's result. The rotated refresh token exists only in this
	 * process until it is written, and the provider has already spent the old one: dropping it on a
	 * database blip (a restart, a dead connection) would cost the account at a rotating provider. So
	 * it is retried, quickly, until the database answers; the lease still holds off the others.
	 */
	async function writeResult(
		row: ConnectedAccountRow,
		patch: Parameters<VaultDeps["store"]["updateConnectedAccount"]>[2],
	): Promise<ConnectedAccountRow | null> {
		const giveUpAt = Date.now() + resultWriteRetryMs;
		for (let attempt = 0; ; attempt++) {
			try {
				return await write(row, patch);
			} catch (error) {
				if (!isDatabaseUnavailable(error) || Date.now() > giveUpAt) throw error;
				if (attempt === 0)
					deps.logger.warn(
						{ account: row.id, provider: row.providerConfigId },
						"database unreachable while storing a refresh; retrying",
					);
				await sleep(Math.min(500, 50 * 2 ** attempt));
			}
		}
	}

	async function refreshHolding(
		row: ConnectedAccountRow,
		force: boolean,
	): Promise<FreshToken> {
		const providerId = row.providerConfigId;
		const provider = deps.providers.get(providerId);
		const now = deps.now();
		const release = () => deps.store.releaseLease(row.id, owner);

		if (row.status !== "active") {
			await release();
			throw reauthRequired(providerId);
		}
		// Freshness is checked again under the lease: another process may have refreshed meanwhile.
		if (!force && isFresh(row, now)) {
			await release();
			return serve(row);
		}
		const refreshToken = openRefreshToken(deps.ring, row);
		if (provider === undefined || refreshToken === null) {
			await release();
			if (isUnexpired(row, now)) return serve(row);
			if (provider === undefined)
				throw unavailable(providerId, 60, "provider_not_configured");
			// Nothing to refresh with and the token is dead: only the user can fix this.
			const marked = await write(
				row,
				{
					status: "reauth_required",
					lastRefreshError: {
						kind: "permanent",
						error: "no_refresh_token",
						at: now,
					},
				},
				{ events: [reauthEvent(row, now, "no_refresh_token")] },
			);
			if (marked === null) throw unavailable(providerId, 1);
			audit(deps, row, "account.reauth_required", null, {
				error: "no_refresh_token",
			});
			throw reauthRequired(providerId);
		}

		const endpoints = await provider
			.endpoints()
			.catch(async (error: unknown) => {
				await release();
				throw error;
			});
		// Discovery may have eaten into the lease: renew it (acquireLease is re-entrant for its owner)
		// so it covers the whole token call. Losing it means someone else may be refreshing now.
		const renewedAt = deps.now();
		const renewed = await deps.store.acquireLease(
			row.id,
			owner,
			renewedAt,
			renewedAt + provider.timeoutMs + slack,
		);
		if (renewed === null || renewed.version !== row.version)
			throw unavailable(providerId, 1, "refresh_in_progress");
		const result = await refreshTokens(
			{
				endpoints,
				client: provider.credentials(),
				refreshToken,
			},
			{
				fetch: provider.tokenFetch,
				timeoutMs: provider.timeoutMs,
				now: () => new Date(deps.now()),
				...(provider.entry.errorKinds === undefined
					? {}
					: { errorKinds: provider.entry.errorKinds }),
			},
		);
		const after = deps.now();

		if (result.ok) {
			const { tokens } = result;
			const sealed = sealTokens(deps.ring, row.id, tokens, after);
			const scopes =
				tokens.scope === undefined
					? row.scopes
					: normalizeScopes(provider.entry, tokens.scope);
			const updated = await writeResult(row, {
				accessTokenEnc: sealed.accessTokenEnc,
				tokenType: sealed.tokenType,
				accessTokenExpiresAt: sealed.accessTokenExpiresAt,
				// A rotated refresh token is stored in the same write as the access token; an answer
				// without one keeps the old (RFC 6749 §6).
				...(sealed.refreshTokenEnc === undefined
					? {}
					: {
							refreshTokenEnc: sealed.refreshTokenEnc,
							refreshTokenHashes: withRefreshTokenHash(
								row.refreshTokenHashes,
								sealed.refreshTokenHash,
							),
						}),
				...(sealed.idTokenEnc === undefined
					? {}
					: { idTokenEnc: sealed.idTokenEnc }),
				scopes,
				lastRefreshAt: after,
				lastRefreshError: null,
				releaseLease: true,
			});
			if (updated === null) {
				// The row vanished (unlinked mid-refresh). The new tokens die with it.
				throw new TetherError(
					"CONNECTED_ACCOUNT_NOT_FOUND",
					"No such connected account.",
				);
			}
			deps.logger.info({ account: row.id, provider: providerId }, "refreshed");
			audit(deps, row, "token.refresh", null, { forced: force });
			return { row: updated, accessToken: tokens.accessToken };
		}

		const { failure } = result;
		if (failure.kind === "permanent") {
			// Believe a refusal only after re-reading: another process may have rotated the token
			// (a lease that outlived its holder), and then our copy was simply stale.
			const current = await deps.store.getConnectedAccount(row.id);
			if (current === null)
				throw new TetherError(
					"CONNECTED_ACCOUNT_NOT_FOUND",
					"No such connected account.",
				);
			if (
				current.refreshTokenEnc !== row.refreshTokenEnc ||
				current.version !== row.version
			) {
				await release();
				if (isFresh(current, after) || isUnexpired(current, after))
					return serve(current);
				throw unavailable(providerId, 1);
			}
			const marked = await write(
				current,
				{
					status: "reauth_required",
					lastRefreshError: failureRecord(failure, after, null),
					releaseLease: true,
				},
				{ events: [reauthEvent(row, after, failure.error)] },
			);
			deps.logger.warn(
				{ account: row.id, provider: providerId, error: failure.error },
				"refresh token refused",
			);
			if (marked === null) throw unavailable(providerId, 1);
			audit(
				deps,
				row,
				"token.refresh_failed",
				"permanent",
				failureDetail(failure),
			);
			audit(deps, row, "account.reauth_required", null, {
				error: failure.error,
			});
			throw reauthRequired(providerId);
		}

		if (failure.kind === "misconfigured") {
			if ((circuitOpenUntil.get(providerId) ?? 0) < after) {
				deps.logger.error(
					{
						provider: providerId,
						error: failure.error,
						status: failure.status,
					},
					"provider rejects our client credentials; refreshes paused for this provider",
				);
			}
			circuitOpenUntil.set(providerId, after + circuitOpenMs);
		}
		const retryAfterSeconds = Math.ceil(
			failure.retryAfterSeconds ?? defaultRetryAfterSeconds,
		);
		const jitterMs = Math.floor(Math.random() * 1000);
		const retryAt = after + retryAfterSeconds * 1000 + jitterMs;
		const recorded = await write(row, {
			lastRefreshError: failureRecord(failure, after, retryAt),
			releaseLease: true,
		});
		if (recorded === null) await release();
		audit(deps, row, "token.refresh_failed", failure.kind, {
			...failureDetail(failure),
			retryAt,
			...(failure.kind === "misconfigured"
				? { pausedUntil: circuitOpenUntil.get(providerId) }
				: {}),
		});
		deps.logger.warn(
			{
				account: row.id,
				provider: providerId,
				kind: failure.kind,
				error: failure.error,
				status: failure.status,
			},
			"refresh failed; account kept",
		);
		if (isUnexpired(row, after)) return serve(recorded ?? row);
		throw unavailable(
			providerId,
			Math.max(1, Math.ceil((retryAt - after) / 1000)),
			failure.error,
		);
	}

	async function refreshShared(
		accountId: string,
		force: boolean,
	): Promise<FreshToken> {
		const deadline = deps.now() + 2 * leaseMs + 5_000;
		for (;;) {
			const now = deps.now();
			const leased = await deps.store.acquireLease(
				accountId,
				owner,
				now,
				now + leaseMs,
			);
			if (leased !== null) {
				const waitUntil = retryAtOf(leased);
				// Forced refreshes respect the backoff too: the provider asked us to wait.
				if (waitUntil !== null && waitUntil > now) {
					// Backing off after a provider failure: serve what still works, else say when to retry.
					await deps.store.releaseLease(accountId, owner);
					if (isFresh(leased, now) || isUnexpired(leased, now))
						return serve(leased);
					throw unavailable(
						leased.providerConfigId,
						Math.max(1, Math.ceil((waitUntil - now) / 1000)),
					);
				}
				const open = circuitOpenUntil.get(leased.providerConfigId) ?? 0;
				if (open > now && !isFresh(leased, now)) {
					await deps.store.releaseLease(accountId, owner);
					if (isUnexpired(leased, now)) return serve(leased);
					throw unavailable(
						leased.providerConfigId,
						Math.ceil((open - now) / 1000),
						"provider_misconfigured",
					);
				}
				try {
					return await refreshHolding(leased, force);
				} finally {
					// Every path above releases or clears the lease in its final write; this catches the
					// unexpected (a throw mid-refresh) so the account is not stuck until the lease expires.
					await deps.store.releaseLease(accountId, owner).catch(() => {});
				}
			}
			// Another process holds the lease: wait for its result by reading, never by refreshing.
			await sleep(pollMs + Math.floor(Math.random() * pollMs));
			const current = await deps.store.getConnectedAccount(accountId);
			if (current === null)
				throw new TetherError(
					"CONNECTED_ACCOUNT_NOT_FOUND",
					"No such connected account.",
				);
			if (current.status !== "active")
				throw reauthRequired(current.providerConfigId);
			if (!force && isFresh(current, deps.now())) return serve(current);
			if (deps.now() > deadline)
				throw unavailable(current.providerConfigId, 1, "refresh_in_progress");
		}
	}

	return {
		owner,
		leaseMs,
		freshUntil,
		async fresh(row, options = {}) {
			const force = options.force === true;
			if (row.status !== "active") throw reauthRequired(row.providerConfigId);
			if (!force && isFresh(row, deps.now())) return serve(row);
			// One in-flight refresh per account per process, whoever asks: the database lease is
			// re-entrant for this process's owner id, so a forced (proactive) refresh and a request's
			// refresh under separate keys would both pass it and spend the same refresh token twice —
			// which a rotating provider answers by revoking the grant. A forced caller that finds a
			// refresh already under way takes its result: that token is as new as a forced one.
			let pending = inflight.get(row.id);
			if (pending === undefined) {
				pending = refreshShared(row.id, force).finally(() =>
					inflight.delete(row.id),
				);
				inflight.set(row.id, pending);
			}
			return pending;
		},
	};
}

/** The audit log's view of a refresh outcome; `pausedUntil` tells metrics the circuit opened. */
function audit(
	deps: VaultDeps,
	row: ConnectedAccountRow,
	kind: "token.refresh" | "token.refresh_failed" | "account.reauth_required",
	reason: string | null,
	detail: Record<string, unknown>,
) {
	deps.audit?.record({
		kind,
		userId: row.userId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		reason,
		detail,
	});
}

function failureDetail(failure: OAuthFailure): Record<string, unknown> {
	return {
		error: failure.error,
		...(failure.status === undefined ? {} : { status: failure.status }),
	};
}

function reauthEvent(row: ConnectedAccountRow, now: number, reason: string) {
	return {
		id: newId("evt"),
		type: "connected_account.reauth_required",
		payload: {
			userId: row.userId,
			provider: row.providerConfigId,
			providerAccountId: row.providerAccountId,
			reason,
		},
		createdAt: now,
	};
}

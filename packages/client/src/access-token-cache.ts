import type { OAuthAccessTokenNotAvailable } from "./errors.ts";
import type { Result } from "./result.ts";

/** What `getAccessToken` hands out. `expiresAt` is ISO 8601, or null when the provider gave none. */
export interface AccessTokenData {
	accessToken: string;
	expiresAt: string | null;
	scopes: string[];
}

export type AccessTokenResult = Result<
	AccessTokenData,
	OAuthAccessTokenNotAvailable
>;

/** A cached token is handed out until this long before it expires. */
const expiryMarginMs = 30_000;
/** Tokens without an expiry (GitHub's) are re-asked for after this long, to notice revocation. */
const noExpiryTtlMs = 5 * 60_000;

interface Entry {
	data: AccessTokenData;
	validUntil: number;
}

interface AccountSlot {
	/** Bumped on invalidation, so an answer that was in flight then is not cached. */
	generation: number;
	entries: Map<string, Entry>;
	inflight: Map<string, Promise<AccessTokenResult>>;
}

/**
 * Provider access tokens per account and scope set, handed out again until shortly before
 * they expire; concurrent asks for the same account and scopes share one request.
 */
export interface AccessTokenCache {
	get(
		account: string,
		scopes: readonly string[],
		load: () => Promise<AccessTokenResult>,
	): Promise<AccessTokenResult>;
	/** Forgets one account's tokens (unlink) or every account of a provider (link, upgrade). */
	invalidate(filter: { account: string } | { provider: string }): void;
	clear(): void;
}

/** `user/provider/providerAccountId`: the cache key of an account. */
export function accountKey(
	user: string,
	provider: string,
	providerAccountId: string,
): string {
	return [user, provider, providerAccountId].map(encodeURIComponent).join("/");
}

export function scopeKey(scopes: readonly string[]): string {
	return [...new Set(scopes)].sort().join(" ");
}

export function createAccessTokenCache(now: () => number): AccessTokenCache {
	const slots = new Map<string, AccountSlot>();
	const slotOf = (account: string): AccountSlot => {
		let slot = slots.get(account);
		if (slot === undefined) {
			slot = { generation: 0, entries: new Map(), inflight: new Map() };
			slots.set(account, slot);
		}
		return slot;
	};
	const forget = (slot: AccountSlot) => {
		slot.generation += 1;
		slot.entries.clear();
		slot.inflight.clear();
	};

	return {
		async get(account, scopes, load) {
			const slot = slotOf(account);
			const key = scopeKey(scopes);
			const cached = slot.entries.get(key);
			if (cached !== undefined && cached.validUntil > now())
				return { status: "ok", data: cached.data };
			const pending = slot.inflight.get(key);
			if (pending !== undefined) return pending;
			const generation = slot.generation;
			const request = load().then((result) => {
				if (result.status === "ok" && slot.generation === generation) {
					const issuedAt = now();
					const validUntil =
						result.data.expiresAt === null
							? issuedAt + noExpiryTtlMs
							: Date.parse(result.data.expiresAt) - expiryMarginMs;
					if (validUntil > issuedAt)
						slot.entries.set(key, { data: result.data, validUntil });
				}
				return result;
			});
			slot.inflight.set(key, request);
			try {
				return await request;
			} finally {
				if (slot.inflight.get(key) === request) slot.inflight.delete(key);
			}
		},
		invalidate(filter) {
			if ("account" in filter) {
				const slot = slots.get(filter.account);
				if (slot !== undefined) forget(slot);
				return;
			}
			const provider = encodeURIComponent(filter.provider);
			for (const [account, slot] of slots)
				if (account.split("/")[1] === provider) forget(slot);
		},
		clear() {
			for (const slot of slots.values()) forget(slot);
		},
	};
}

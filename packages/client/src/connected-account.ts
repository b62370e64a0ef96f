import type { ConnectedAccount, ConnectedAccountStatus } from "@tether/api";
import {
	type AccessTokenCache,
	type AccessTokenData,
	type AccessTokenResult,
	accountKey,
} from "./access-token-cache.ts";
import { OAuthAccessTokenNotAvailable } from "./errors.ts";
import type { Transport } from "./http.ts";
import { parseAccessToken } from "./parse.ts";
import type { Result } from "./result.ts";

/** What account objects need: how to call Tether, for which user, and the shared token cache. */
export interface AccountContext {
	transport: Transport;
	/** The `:user` path segment: `me` with a session, a user id with the secret key. */
	user: string;
	cache: AccessTokenCache;
}

/**
 * A connected account (the reference's `OAuthConnection`): its data, a fresh provider access
 * token on demand, and unlinking.
 */
export interface ConnectedAccountHandle {
	/** The provider config id, equal to `provider` (kept for compatibility with the reference). */
	readonly id: string;
	readonly provider: string;
	/** The provider's stable subject id for the account (never the email). */
	readonly providerAccountId: string;
	/** The scopes the provider granted. */
	readonly scopes: readonly string[];
	readonly status: ConnectedAccountStatus;
	readonly email?: string;
	readonly displayName?: string;
	readonly createdAt: string;
	readonly updatedAt: string;
	/**
	 * A provider access token carrying at least `scopes`. Expected failures (missing scopes, a
	 * revoked grant) are the `Result`'s error; a provider outage throws
	 * `ProviderUnavailableError` (retryable); anything else throws `TetherClientError`. Tokens
	 * are cached per scope set until 30 seconds before they expire.
	 */
	getAccessToken(options?: {
		scopes?: string[];
	}): Promise<Result<AccessTokenData, OAuthAccessTokenNotAvailable>>;
	/** Unlinks the account: Tether deletes its tokens and revokes them at the provider. */
	unlink(): Promise<void>;
}

/** `/v1/connected-accounts/:user/:provider/:providerAccountId`. */
export function accountPath(
	user: string,
	provider: string,
	providerAccountId: string,
): string {
	return `/v1/connected-accounts/${[user, provider, providerAccountId].map(encodeURIComponent).join("/")}`;
}

export function createConnectedAccountHandle(
	context: AccountContext,
	data: ConnectedAccount,
): ConnectedAccountHandle {
	const path = accountPath(context.user, data.provider, data.providerAccountId);
	const key = accountKey(context.user, data.provider, data.providerAccountId);

	async function load(scopes: string[]): Promise<AccessTokenResult> {
		try {
			const response = await context.transport.send({
				method: "POST",
				path: `${path}/access-token`,
				body: scopes.length === 0 ? {} : { scopes },
			});
			const token = parseAccessToken(response.body);
			return {
				status: "ok",
				data: {
					accessToken: token.accessToken,
					expiresAt: token.expiresAt,
					scopes: token.scopes,
				},
			};
		} catch (error) {
			if (error instanceof OAuthAccessTokenNotAvailable)
				return { status: "error", error };
			throw error;
		}
	}

	return {
		id: data.id,
		provider: data.provider,
		providerAccountId: data.providerAccountId,
		scopes: [...data.scopes],
		status: data.status,
		...(data.email === undefined ? {} : { email: data.email }),
		...(data.displayName === undefined
			? {}
			: { displayName: data.displayName }),
		createdAt: data.createdAt,
		updatedAt: data.updatedAt,
		getAccessToken(options = {}) {
			const scopes = [...new Set(options.scopes ?? [])];
			return context.cache.get(key, scopes, () => load(scopes));
		},
		async unlink() {
			context.cache.invalidate({ account: key });
			await context.transport.send({ method: "DELETE", path });
			context.cache.invalidate({ account: key });
		},
	};
}

import type {
	AccessTokenData,
	ConnectedAccountHandle,
	OAuthAccessTokenNotAvailable,
	Result,
} from "@tether/client";
import { useSyncExternalStore } from "react";
import { useTetherContext } from "./context.ts";
import { accountKey } from "./keys.ts";

/**
 * Ask again this long before the token expires: the client keeps a token until 30 s before, so
 * by then it fetches a fresh one from Tether, which refreshes it at the provider if needed.
 */
const renewBeforeMs = 25_000;

/**
 * `account.useAccessToken()`: a token carrying `scopes`, as the `Result` `getAccessToken` gives.
 * Suspends until the first answer; re-renders with a new token before the old one expires. A
 * provider outage (`ProviderUnavailableError`) is thrown to the nearest error boundary — except
 * during a renewal while the current token still works: then the hook keeps that token and tries
 * again every few seconds.
 */
export function useAccessToken(
	userId: string,
	account: ConnectedAccountHandle,
	options: { scopes?: string[] } = {},
): Result<AccessTokenData, OAuthAccessTokenNotAvailable> {
	const { cache } = useTetherContext();
	useSyncExternalStore(cache.subscribe, cache.getVersion, cache.getVersion);
	const scopes = [...(options.scopes ?? [])].sort();
	return cache.read(
		`token:${accountKey(userId, account.provider, account.providerAccountId)}:${scopes.join(" ")}`,
		() => account.getAccessToken({ scopes }),
		{
			refreshAt: (result) =>
				result.status === "ok" && result.data.expiresAt !== null
					? Date.parse(result.data.expiresAt) - renewBeforeMs
					: null,
			// A failed renewal (provider outage) keeps a token that has not expired yet.
			usableUntil: (result) =>
				result.status === "ok" && result.data.expiresAt !== null
					? Date.parse(result.data.expiresAt)
					: null,
		},
	);
}

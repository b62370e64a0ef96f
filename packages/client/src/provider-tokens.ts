import type { ProviderSession } from "@tether/api";
import { TetherClientError } from "./errors.ts";
import type { Transport } from "./http.ts";
import { parseProviderSession } from "./parse.ts";

/** The guide's response shape: the provider session is `resp.body`. */
export interface ProviderTokensResponse {
	body: ProviderSession;
	status: number;
	headers: Headers;
}

/** The provider-tokens guide's two calls, under `client.auth`. */
export interface ProviderTokensApi {
	/**
	 * The provider tokens of the sign-in that just finished, readable once (then, or after 10
	 * minutes, `PROVIDER_SESSION_NOT_FOUND`). Call it right after `handleRedirectCallback`.
	 */
	getProviderTokens(provider: string): Promise<ProviderTokensResponse>;
	/**
	 * Refreshes through Tether. The refresh token only says which of your accounts is meant;
	 * the answer is that account's current tokens, so store the `refreshToken` it returns.
	 * `null` is accepted (so `localStorage.getItem(…)` can be passed as the guide does) and
	 * refused with `INVALID_REQUEST` without a request.
	 */
	refreshProviderToken(
		provider: string,
		input: { refreshToken: string | null },
	): Promise<ProviderTokensResponse>;
}

export function createProviderTokensApi(
	transport: Transport,
): ProviderTokensApi {
	const wrap = (response: Awaited<ReturnType<Transport["send"]>>) => ({
		body: parseProviderSession(response.body),
		status: response.status,
		headers: response.headers,
	});
	return {
		async getProviderTokens(provider) {
			return wrap(
				await transport.send({
					method: "GET",
					path: `/v1/signin/provider/${encodeURIComponent(provider)}/callback/tokens`,
				}),
			);
		},
		async refreshProviderToken(provider, { refreshToken }) {
			if (refreshToken === null || refreshToken === "")
				throw new TetherClientError(
					"INVALID_REQUEST",
					"No refresh token to refresh with; sign in with the provider again.",
					{ details: { field: "refreshToken" } },
				);
			return wrap(
				await transport.send({
					method: "POST",
					path: `/v1/token/provider/${encodeURIComponent(provider)}`,
					body: { refreshToken },
				}),
			);
		},
	};
}

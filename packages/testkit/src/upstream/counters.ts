import type { ProviderContext } from "oidc-provider";

/** What the upstream has seen since start (or `resetCounters`). Read live. */
export interface UpstreamCounters {
	/** Token-endpoint calls by `grant_type`, whatever their outcome. */
	tokenRequests: {
		authorization_code: number;
		refresh_token: number;
		other: number;
	};
	/** Refresh-token grants answered 200. */
	refreshSuccesses: number;
	/** Token-endpoint answers with `invalid_grant`. */
	invalidGrants: number;
	/** Calls to the RFC 7009 revocation endpoint. */
	revocationRequests: number;
	/** Grants revoked: by refresh-token reuse, by RFC 7009 revocation, or by `revokeGrant`. */
	grantsRevoked: number;
	userinfoRequests: number;
}

export function emptyCounters(): UpstreamCounters {
	return {
		tokenRequests: { authorization_code: 0, refresh_token: 0, other: 0 },
		refreshSuccesses: 0,
		invalidGrants: 0,
		revocationRequests: 0,
		grantsRevoked: 0,
		userinfoRequests: 0,
	};
}

function errorCode(body: unknown): string | undefined {
	if (typeof body !== "object" || body === null || !("error" in body)) {
		return undefined;
	}
	return typeof body.error === "string" ? body.error : undefined;
}

/**
 * Koa middleware counting what reached the token, revocation and userinfo endpoints. It runs
 * after oidc-provider's own handling, so it sees the parsed `grant_type` and the answer.
 */
export function countRequests(
	current: () => UpstreamCounters,
): (ctx: ProviderContext, next: () => Promise<void>) => Promise<void> {
	return async (ctx, next) => {
		await next();
		const counters = current();
		switch (ctx.oidc?.route) {
			case "token": {
				const grantType = ctx.oidc.params?.grant_type;
				if (
					grantType === "authorization_code" ||
					grantType === "refresh_token"
				) {
					counters.tokenRequests[grantType] += 1;
				} else {
					counters.tokenRequests.other += 1;
				}
				if (grantType === "refresh_token" && ctx.status === 200) {
					counters.refreshSuccesses += 1;
				}
				if (errorCode(ctx.body) === "invalid_grant") {
					counters.invalidGrants += 1;
				}
				break;
			}
			case "revocation":
				counters.revocationRequests += 1;
				break;
			case "userinfo":
				counters.userinfoRequests += 1;
				break;
		}
	};
}

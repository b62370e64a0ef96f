import type { AccessTokenResponse } from "@tether/api";
import { missingScopes } from "@tether/oauth";
import { TetherError } from "../errors.ts";
import { findOwnedAccount } from "./accounts.ts";
import type { VaultDeps } from "./deps.ts";
import { type RefreshEngine, reauthRequired } from "./refresh-engine.ts";
import type { UsageTracker } from "./usage.ts";

/**
 * A fresh provider access token with at least the requested scopes. A fresh stored token is one
 * read and one decrypt; only a token inside the refresh margin reaches the provider, through the
 * single-flight refresh engine.
 */
export async function issueAccessToken(
	deps: VaultDeps & { refresh: RefreshEngine; usage: UsageTracker },
	input: {
		userId: string;
		provider: string;
		providerAccountId: string;
		scopes: string[];
	},
): Promise<AccessTokenResponse> {
	const row = await findOwnedAccount(deps, input);
	// A dead grant first: reconnecting (with any extra scopes) is what fixes both problems.
	if (row.status !== "active") throw reauthRequired(row.providerConfigId);
	const provider = deps.providers.get(row.providerConfigId);
	if (input.scopes.length > 0 && provider !== undefined) {
		const missing = missingScopes(provider.entry, row.scopes, input.scopes);
		if (missing.length > 0) {
			throw new TetherError(
				"OAUTH_ACCESS_TOKEN_NOT_AVAILABLE",
				"The account was not granted every requested scope.",
				{
					details: {
						reason: "insufficient_scopes",
						missingScopes: missing,
						provider: row.providerConfigId,
					},
				},
			);
		}
	}
	const { row: current, accessToken } = await deps.refresh.fresh(row);
	deps.usage.touch(current.id);
	deps.audit?.record({
		kind: "token.read",
		userId: current.userId,
		provider: current.providerConfigId,
		providerAccountId: current.providerAccountId,
		reason: "access_token",
	});
	return {
		accessToken,
		tokenType: current.tokenType ?? "Bearer",
		expiresAt:
			current.accessTokenExpiresAt === null
				? null
				: new Date(current.accessTokenExpiresAt).toISOString(),
		scopes: current.scopes,
	};
}

import type { AccessTokenResponse } from "@tether/api";
import { missingScopes } from "@tether/oauth";
import { TetherError } from "../errors.ts";
import type { ConnectedAccountRow } from "../store/index.ts";
import { findOwnedAccount } from "./accounts.ts";
import type { VaultDeps } from "./deps.ts";
import type { HotTokens } from "./hot-tokens.ts";
import { type RefreshEngine, reauthRequired } from "./refresh-engine.ts";
import type { UsageTracker } from "./usage.ts";

type IssueDeps = VaultDeps & {
	refresh: RefreshEngine;
	usage: UsageTracker;
	hotTokens?: HotTokens;
};

interface IssueInput {
	/** The caller's user id: the account must be theirs. */
	userId: string;
	/**
	 * When `userId` is only a name for the user (the secret key's `:user`, a Tether id or the app's
	 * external id): its Tether id. Called only when the account's owner is not `userId` itself,
	 * so the common case costs no user lookup.
	 */
	resolveUser?: () => Promise<string>;
	provider: string;
	providerAccountId: string;
	scopes: string[];
}

/**
 * A fresh provider access token with at least the requested scopes. A token this process served
 * lately and still fresh comes from memory (vault/hot-tokens.ts); otherwise a fresh stored token
 * is one read and one decrypt; only a token inside the refresh margin reaches the provider,
 * through the single-flight refresh engine.
 */
export async function issueAccessToken(
	deps: IssueDeps,
	input: IssueInput,
): Promise<AccessTokenResponse> {
	const hot = deps.hotTokens?.get(input.provider, input.providerAccountId);
	if (
		hot !== undefined &&
		hot.freshUntil > deps.now() &&
		!lacksScopes(deps, hot.row, input.scopes) &&
		(hot.row.userId === input.userId ||
			(input.resolveUser !== undefined &&
				hot.row.userId === (await input.resolveUser())))
	) {
		served(deps, hot.row);
		deps.hotTokens?.count(true);
		return hot.response;
	}
	const ticket = deps.hotTokens?.ticket();
	const row = await findOwnedAccount(deps, input);
	// A dead grant first: reconnecting (with any extra scopes) is what fixes both problems.
	if (row.status !== "active") throw reauthRequired(row.providerConfigId);
	const missing = lacksScopes(deps, row, input.scopes);
	if (missing) {
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
	const { row: current, accessToken } = await deps.refresh.fresh(row);
	served(deps, current);
	const response: AccessTokenResponse = {
		accessToken,
		tokenType: current.tokenType ?? "Bearer",
		expiresAt:
			current.accessTokenExpiresAt === null
				? null
				: new Date(current.accessTokenExpiresAt).toISOString(),
		scopes: current.scopes,
	};
	deps.hotTokens?.count(false);
	if (ticket !== undefined)
		deps.hotTokens?.put(ticket, {
			row: current,
			response,
			freshUntil: deps.refresh.freshUntil(current),
		});
	return response;
}

/** The requested scopes the account was not granted, or null when it has them all. */
function lacksScopes(
	deps: IssueDeps,
	row: ConnectedAccountRow,
	scopes: string[],
): string[] | null {
	if (scopes.length === 0) return null;
	const provider = deps.providers.get(row.providerConfigId);
	if (provider === undefined) return null;
	const missing = missingScopes(provider.entry, row.scopes, scopes);
	return missing.length > 0 ? missing : null;
}

/** A token left the vault: last use (batched) and the audit log (reads coalesced per account). */
function served(deps: IssueDeps, row: ConnectedAccountRow): void {
	deps.usage.touch(row.id, row.lastUsedAt);
	deps.audit?.record({
		kind: "token.read",
		userId: row.userId,
		provider: row.providerConfigId,
		providerAccountId: row.providerAccountId,
		reason: "access_token",
	});
}

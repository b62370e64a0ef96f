import type { ProviderSession } from "@tether/api";
import { hashToken } from "../auth/random.ts";
import { TetherError } from "../errors.ts";
import type { VaultDeps } from "./deps.ts";
import type { RefreshEngine } from "./refresh-engine.ts";
import { openRefreshToken } from "./sealed-tokens.ts";

/**
 * The guide's refresh (`POST /v1/token/provider/:provider`). The presented refresh token only
 * identifies which of the caller's accounts is meant — Tether may have rotated it already, which is
 * fine — and the answer is that account's current tokens, refreshed through the shared engine when
 * due. A token that is not one of the caller's is refused the same way as garbage.
 */
export async function refreshProviderSession(
	deps: VaultDeps & { refresh: RefreshEngine },
	input: { userId: string; provider: string; refreshToken: string },
): Promise<ProviderSession> {
	deps.providers.require(input.provider);
	const hash = hashToken(input.refreshToken);
	const accounts = await deps.store.listConnectedAccounts(input.userId);
	const row = accounts.find(
		(a) =>
			a.providerConfigId === input.provider &&
			a.refreshTokenHashes.includes(hash),
	);
	if (row === undefined) {
		throw new TetherError(
			"INVALID_REQUEST",
			"This refresh token does not belong to any of your accounts.",
			{
				details: { reason: "unknown_refresh_token" },
			},
		);
	}
	const { row: current, accessToken } = await deps.refresh.fresh(row);
	deps.audit?.record({
		kind: "token.read",
		userId: current.userId,
		provider: current.providerConfigId,
		providerAccountId: current.providerAccountId,
		reason: "provider_refresh",
	});
	const now = deps.now();
	const expiresAt = current.accessTokenExpiresAt;
	return {
		accessToken,
		expiresIn:
			expiresAt === null
				? null
				: Math.max(0, Math.floor((expiresAt - now) / 1000)),
		expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
		refreshToken: deps.config.exposeProviderRefreshTokens
			? openRefreshToken(deps.ring, current)
			: null,
	};
}

import type { ProviderSession } from "@tether/api";
import type { SessionPrincipal } from "../auth/sessions.ts";
import { decrypt } from "../crypto/index.ts";
import { TetherError } from "../errors.ts";
import type { VaultDeps } from "./deps.ts";

const notFound = () =>
	new TetherError(
		"PROVIDER_SESSION_NOT_FOUND",
		"No provider session to read: it was read already or has expired.",
	);

function isStoredPayload(value: unknown): value is {
	accessToken: string;
	refreshToken: string | null;
	expiresAt: number | null;
} {
	if (typeof value !== "object" || value === null) return false;
	const { accessToken, refreshToken, expiresAt } = value as Record<
		string,
		unknown
	>;
	return (
		typeof accessToken === "string" &&
		(refreshToken === null || typeof refreshToken === "string") &&
		(expiresAt === null || typeof expiresAt === "number")
	);
}

/**
 * The guide's one-time read of a sign-in's provider tokens: deleted as it is read (one atomic
 * statement, so of many parallel reads exactly one succeeds), and only by the session that the
 * sign-in created.
 */
export async function readProviderSession(
	deps: VaultDeps,
	input: { session: SessionPrincipal; provider: string },
): Promise<ProviderSession> {
	const now = deps.now();
	const row = await deps.store.consumeProviderSession({
		userId: input.session.userId,
		providerConfigId: input.provider,
		sessionFamilyId: input.session.familyId,
		now,
	});
	if (row === null) throw notFound();
	const payload: unknown = JSON.parse(
		decrypt(deps.ring, row.payloadEnc, {
			table: "provider_sessions",
			rowId: row.id,
			field: "payload_enc",
		}),
	);
	if (!isStoredPayload(payload)) throw notFound();
	deps.audit?.record({
		kind: "token.read",
		userId: row.userId,
		provider: row.providerConfigId,
		reason: "provider_session",
	});
	return {
		accessToken: payload.accessToken,
		expiresIn:
			payload.expiresAt === null
				? null
				: Math.max(0, Math.floor((payload.expiresAt - now) / 1000)),
		expiresAt:
			payload.expiresAt === null
				? null
				: new Date(payload.expiresAt).toISOString(),
		refreshToken: deps.config.exposeProviderRefreshTokens
			? payload.refreshToken
			: null,
	};
}

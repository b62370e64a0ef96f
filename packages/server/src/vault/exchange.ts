import { createHash } from "node:crypto";
import type { Session } from "@tether/api";
import { hashToken } from "../auth/random.ts";
import type { Sessions } from "../auth/sessions.ts";
import { TetherError } from "../errors.ts";
import { getUserView } from "./accounts.ts";
import type { VaultDeps } from "./deps.ts";

const invalidCode = () =>
	new TetherError(
		"INVALID_REQUEST",
		"The code is invalid, expired or already used.",
		{
			details: { reason: "invalid_code" },
		},
	);

/**
 * Swaps the callback's one-time code for a session. When the app started sign-in with a PKCE
 * challenge, only the holder of the matching verifier can (RFC 7636 §4.6), so a code leaked from
 * the URL is worthless on its own.
 */
export async function exchangeCode(
	deps: VaultDeps & { sessions: Sessions },
	input: { code: string; codeVerifier?: string | undefined },
): Promise<Session> {
	if (input.code.length > 128) throw invalidCode();
	const now = deps.now();
	const row = await deps.store.consumeAuthCode(hashToken(input.code), now);
	if (row === null) throw invalidCode();
	if (row.appCodeChallenge !== null) {
		if (input.codeVerifier === undefined) throw invalidCode();
		const challenge = createHash("sha256")
			.update(input.codeVerifier)
			.digest("base64url");
		if (challenge !== row.appCodeChallenge) throw invalidCode();
	}
	const session = await deps.sessions.issue({
		userId: row.userId,
		familyId: row.sessionFamilyId,
		now,
	});
	return {
		accessToken: session.accessToken,
		accessTokenExpiresIn: session.accessTokenExpiresIn,
		refreshToken: session.refreshToken,
		user: await getUserView(deps, row.userId),
	};
}

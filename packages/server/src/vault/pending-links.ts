import type { ProviderProfile, TokenSet } from "@tether/oauth";
import { hashToken, randomToken } from "../auth/random.ts";
import { decrypt, encrypt } from "../crypto/index.ts";
import { TetherError } from "../errors.ts";
import type { ConnectedAccountRow } from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";
import { storeAuthorizedAccount } from "./link-account.ts";
import type { RuntimeProvider } from "./providers.ts";

/**
 * How long a finished link flow waits for its owner. The app redeems the code on the page the
 * browser lands on, so seconds are normal; minutes cover a slow page.
 */
const pendingLinkTtlMs = 5 * 60 * 1000;

/** What the provider said, kept (encrypted) between the callback and the redemption. */
interface PendingPayload {
	profile: ProviderProfile;
	tokens: {
		accessToken: string;
		tokenType: string;
		refreshToken?: string;
		/** Epoch milliseconds, fixed at the callback so waiting does not stretch the token's life. */
		expiresAt?: number;
		scope?: string;
		idToken?: string;
	};
	requestedScopes: string[];
}

const aadOf = (codeHash: string) => ({
	table: "pending_links",
	rowId: codeHash,
	field: "payload_enc",
});

/**
 * Parks a finished link flow and returns the one-time code for the app's landing URL. Attaching
 * the account here would let anyone who finishes someone else's link URL in their own browser
 * give that person their provider account (forced linking); only the intent's owner, redeeming
 * the code with their own credentials, can attach it.
 */
export async function parkLink(
	deps: VaultDeps,
	input: {
		provider: RuntimeProvider;
		userId: string;
		profile: ProviderProfile;
		tokens: TokenSet;
		requestedScopes: string[];
	},
): Promise<string> {
	const now = deps.now();
	const code = randomToken();
	const codeHash = hashToken(code);
	const { tokens } = input;
	const payload: PendingPayload = {
		profile: input.profile,
		tokens: {
			accessToken: tokens.accessToken,
			tokenType: tokens.tokenType,
			...(tokens.refreshToken === undefined
				? {}
				: { refreshToken: tokens.refreshToken }),
			...(tokens.expiresIn === undefined
				? {}
				: { expiresAt: now + tokens.expiresIn * 1000 }),
			...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
			...(tokens.idToken === undefined ? {} : { idToken: tokens.idToken }),
		},
		requestedScopes: input.requestedScopes,
	};
	await deps.store.putPendingLink({
		codeHash,
		userId: input.userId,
		providerConfigId: input.provider.id,
		payloadEnc: encrypt(deps.ring, JSON.stringify(payload), aadOf(codeHash)),
		expiresAt: now + pendingLinkTtlMs,
		createdAt: now,
	});
	return code;
}

const notFound = () =>
	new TetherError(
		"LINK_NOT_FOUND",
		"No such link to complete: unknown, already used, expired, or another user's.",
	);

/**
 * Attaches a parked link's account to `userId`, who must be the user the link intent was made
 * for. The code is used up by any attempt, so a stolen code is worth one guess at most.
 */
export async function redeemLink(
	deps: VaultDeps,
	input: { code: string; userId: string },
): Promise<ConnectedAccountRow> {
	const now = deps.now();
	const codeHash = hashToken(input.code);
	const row = await deps.store.consumePendingLink(codeHash, now);
	if (row === null || row.userId !== input.userId) {
		if (row !== null)
			deps.logger.warn(
				{ provider: row.providerConfigId },
				"a link code was presented by another user; the link is dropped",
			);
		throw notFound();
	}
	const provider = deps.providers.get(row.providerConfigId);
	if (provider === undefined) throw notFound();
	const payload = JSON.parse(
		decrypt(deps.ring, row.payloadEnc, aadOf(codeHash)),
	) as PendingPayload;
	const { expiresAt, ...tokens } = payload.tokens;
	const stored = await storeAuthorizedAccount(deps, {
		provider,
		profile: payload.profile,
		tokens: {
			...tokens,
			...(expiresAt === undefined
				? {}
				: { expiresIn: Math.max(0, (expiresAt - now) / 1000) }),
			raw: {},
		},
		requestedScopes: payload.requestedScopes,
		userId: row.userId,
	});
	return stored.account;
}

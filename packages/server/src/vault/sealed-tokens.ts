import type { TokenSet } from "@tether/oauth";
import { hashToken } from "../auth/random.ts";
import { decrypt, encrypt, type KeyRing } from "../crypto/index.ts";
import type { ConnectedAccountRow } from "../store/index.ts";

/** AAD for an account's token column: the value only opens in this row and this field. */
function aad(
	accountId: string,
	field: "access_token_enc" | "refresh_token_enc" | "id_token_enc",
) {
	return { table: "connected_accounts", rowId: accountId, field };
}

/** Enough history for an app that missed a few rotations; older tokens are simply unknown. */
const rememberedRefreshTokens = 10;

export interface SealedTokens {
	accessTokenEnc: string;
	/** Present only when the provider sent a refresh token; absent means keep the stored one. */
	refreshTokenEnc?: string;
	/** The new refresh token's hash, to put in front of the account's `refreshTokenHashes`. */
	refreshTokenHash?: string;
	idTokenEnc?: string;
	tokenType: string;
	accessTokenExpiresAt: number | null;
}

/** Encrypts a token response for an account row. */
export function sealTokens(
	ring: KeyRing,
	accountId: string,
	tokens: TokenSet,
	now: number,
): SealedTokens {
	const sealed: SealedTokens = {
		accessTokenEnc: encrypt(
			ring,
			tokens.accessToken,
			aad(accountId, "access_token_enc"),
		),
		tokenType: tokens.tokenType,
		accessTokenExpiresAt:
			tokens.expiresIn === undefined ? null : now + tokens.expiresIn * 1000,
	};
	if (tokens.refreshToken !== undefined) {
		sealed.refreshTokenEnc = encrypt(
			ring,
			tokens.refreshToken,
			aad(accountId, "refresh_token_enc"),
		);
		sealed.refreshTokenHash = hashToken(tokens.refreshToken);
	}
	if (tokens.idToken !== undefined)
		sealed.idTokenEnc = encrypt(
			ring,
			tokens.idToken,
			aad(accountId, "id_token_enc"),
		);
	return sealed;
}

export function openAccessToken(
	ring: KeyRing,
	row: ConnectedAccountRow,
): string | null {
	return row.accessTokenEnc === null
		? null
		: decrypt(ring, row.accessTokenEnc, aad(row.id, "access_token_enc"));
}

export function openRefreshToken(
	ring: KeyRing,
	row: ConnectedAccountRow,
): string | null {
	return row.refreshTokenEnc === null
		? null
		: decrypt(ring, row.refreshTokenEnc, aad(row.id, "refresh_token_enc"));
}

/** The account's refresh-token history with `hash` in front (newest first, bounded). */
export function withRefreshTokenHash(
	hashes: string[],
	hash: string | undefined,
): string[] {
	if (hash === undefined) return hashes;
	return [hash, ...hashes.filter((h) => h !== hash)].slice(
		0,
		rememberedRefreshTokens,
	);
}

import { OAuthError } from "./errors.ts";
import { base64url, type RandomSource, webCryptoRandom } from "./random.ts";

// RFC 7636 §4.1: unreserved characters only, 43 to 128 of them.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * A PKCE code verifier (RFC 7636 §4.1): 32 random bytes give 43 base64url characters, the
 * minimum length the RFC allows and 256 bits of entropy.
 */
export function generateCodeVerifier(
	random: RandomSource = webCryptoRandom,
): string {
	return base64url(random(32));
}

/** The S256 code challenge for a verifier: BASE64URL(SHA-256(ASCII(verifier))) (RFC 7636 §4.2). */
export async function computeCodeChallenge(verifier: string): Promise<string> {
	if (!VERIFIER.test(verifier)) {
		throw new OAuthError(
			"INVALID_ARGUMENT",
			"code verifier must be 43-128 unreserved characters (RFC 7636 §4.1)",
		);
	}
	const digest = await globalThis.crypto.subtle.digest(
		"SHA-256",
		new TextEncoder().encode(verifier),
	);
	return base64url(new Uint8Array(digest));
}

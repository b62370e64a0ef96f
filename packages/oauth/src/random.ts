/** Fills a byte array with random bytes; defaults to WebCrypto's CSPRNG. Inject for tests. */
export type RandomSource = (byteLength: number) => Uint8Array;

export const webCryptoRandom: RandomSource = (byteLength) =>
	globalThis.crypto.getRandomValues(new Uint8Array(byteLength));

/** Unpadded base64url (RFC 4648 §5), the alphabet OAuth uses for verifiers and challenges. */
export function base64url(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary)
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}

// 32 bytes = 256 bits, comfortably above the 128 bits RFC 6749 §10.10 asks of guessable values.
const DEFAULT_BYTES = 32;

/** A random `state` value for CSRF protection (RFC 6749 §10.12), 256 bits, base64url. */
export function generateState(random: RandomSource = webCryptoRandom): string {
	return base64url(random(DEFAULT_BYTES));
}

/** A random OIDC `nonce` binding the ID token to this flow (OIDC Core §3.1.2.1), 256 bits. */
export function generateNonce(random: RandomSource = webCryptoRandom): string {
	return base64url(random(DEFAULT_BYTES));
}

/**
 * Stable codes of the crypto layer. None maps to a client-facing HTTP status: a stored value that
 * cannot be opened, or a bad key ring, is a server fault the boundary wraps once.
 */
export const envelopeErrorCodes = {
	/** Not a `v1.<keyId>.<iv>.<ciphertext>` string (wrong shape, version, encoding or length). */
	ENVELOPE_MALFORMED: "ENVELOPE_MALFORMED",
	/** Well formed, but its key id is not in the ring (a key was removed before rotating). */
	ENVELOPE_UNKNOWN_KEY: "ENVELOPE_UNKNOWN_KEY",
	/** The tag did not verify: the value was altered, or copied to another row or field. */
	ENVELOPE_AUTH_FAILED: "ENVELOPE_AUTH_FAILED",
	/** A key-ring entry (or a requested key id) is unusable. */
	KEY_INVALID: "KEY_INVALID",
} as const;

export type EnvelopeErrorCode = keyof typeof envelopeErrorCodes;

/**
 * The crypto layer's one error class. Its message may name a key id, a key's position in the ring
 * or a table/field, but never plaintext, ciphertext or key material, so it is safe to log.
 */
export class EnvelopeError extends Error {
	override readonly name = "EnvelopeError";
	readonly code: EnvelopeErrorCode;
	/** Position of the offending entry in the key list (`KEY_INVALID` only). */
	readonly keyIndex: number | undefined;
	/** The key id involved, when one is known and safe to show. */
	readonly keyId: string | undefined;

	constructor(
		code: EnvelopeErrorCode,
		message: string,
		options: { keyIndex?: number; keyId?: string } = {},
	) {
		super(message);
		this.code = code;
		this.keyIndex = options.keyIndex;
		this.keyId = options.keyId;
	}
}

import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { EnvelopeError } from "./errors.ts";
import { type KeyRing, keyIdPattern, keyOf } from "./key-ring.ts";

/**
 * Where a value lives. Bound into the envelope as additional authenticated data, so a ciphertext
 * copied to another row, or to another field of the same row, fails to decrypt instead of
 * silently handing out someone else's token.
 */
export interface EnvelopeAad {
	/** Table name, e.g. `connected_accounts`. */
	table: string;
	/** The row's primary key. */
	rowId: string;
	/** Column name, e.g. `refresh_token_enc`. */
	field: string;
}

const version = "v1";
const algorithm = "aes-256-gcm";
// 96-bit IVs are GCM's native size. With random IVs, NIST SP 800-38D §8.3 caps one key at 2^32
// encryptions; every refresh re-encrypts, so a large install should add a key and rotate well
// before that (1M accounts refreshed hourly reach it in months), which `tether keys rotate` makes cheap.
const ivBytes = 12;
const tagBytes = 16;

/**
 * Encrypts `plaintext` under the ring's primary key, bound to `aad`.
 * Returns `v1.<keyId>.<iv base64url>.<ciphertext‖tag base64url>`.
 *
 * Synchronous on purpose: node:crypto's one-shot GCM costs microseconds, and the access-token path
 * must not pay for WebCrypto's promise and thread-pool hop on every token.
 */
export function encrypt(
	ring: KeyRing,
	plaintext: string,
	aad: EnvelopeAad,
): string {
	const keyId = ring.primaryKeyId;
	const key = keyOf(ring, keyId);
	if (key === undefined) throw new Error("unreachable: primary key missing");
	const iv = freshIv();
	const cipher = createCipheriv(algorithm, key, iv, {
		authTagLength: tagBytes,
	});
	cipher.setAAD(aadBytes(keyId, aad));
	const body = Buffer.concat([
		cipher.update(plaintext, "utf8"),
		cipher.final(),
		cipher.getAuthTag(),
	]);
	return `${version}.${keyId}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

// Each randomBytes(12) call is a separate trip into OpenSSL (~2-4 µs, a third of an encryption).
// Drawing IVs from a buffer refilled 512 at a time is what crypto.randomUUID does for the same
// reason; every IV is still fresh CSPRNG output, handed out once and copied out of the pool.
const ivPool = Buffer.alloc(ivBytes * 512);
let ivPoolOffset = ivPool.length;

function freshIv(): Buffer {
	if (ivPoolOffset === ivPool.length) {
		randomFillSync(ivPool);
		ivPoolOffset = 0;
	}
	const iv = Buffer.from(ivPool.subarray(ivPoolOffset, ivPoolOffset + ivBytes));
	ivPoolOffset += ivBytes;
	return iv;
}

/**
 * Opens an envelope made by `encrypt` with the same `aad`, using whichever ring key its header
 * names. Throws `EnvelopeError`: `ENVELOPE_MALFORMED`, `ENVELOPE_UNKNOWN_KEY` or
 * `ENVELOPE_AUTH_FAILED` (altered, or bound to another row or field).
 */
export function decrypt(
	ring: KeyRing,
	envelope: string,
	aad: EnvelopeAad,
): string {
	const parts = parse(envelope);
	const key = keyOf(ring, parts.keyId);
	if (key === undefined) {
		throw new EnvelopeError(
			"ENVELOPE_UNKNOWN_KEY",
			`envelope key "${parts.keyId}" is not in the key ring`,
			{ keyId: parts.keyId },
		);
	}
	const iv = Buffer.from(parts.iv, "base64url");
	const body = Buffer.from(parts.body, "base64url");
	const decipher = createDecipheriv(algorithm, key, iv, {
		authTagLength: tagBytes,
	});
	decipher.setAAD(aadBytes(parts.keyId, aad));
	decipher.setAuthTag(body.subarray(body.length - tagBytes));
	const head = decipher.update(body.subarray(0, body.length - tagBytes));
	try {
		const tail = decipher.final();
		return tail.length === 0
			? head.toString("utf8")
			: Buffer.concat([head, tail]).toString("utf8");
	} catch {
		// OpenSSL's message says nothing useful; the caller needs where, not why.
		throw new EnvelopeError(
			"ENVELOPE_AUTH_FAILED",
			`envelope for ${aad.table}.${aad.field} of row ${aad.rowId} failed authentication`,
			{ keyId: parts.keyId },
		);
	}
}

/**
 * The key id in an envelope's header, without decrypting (rotation and `doctor` use it).
 * Throws `EnvelopeError` (`ENVELOPE_MALFORMED`) when the value is not an envelope.
 */
export function keyIdOf(envelope: string): string {
	return parse(envelope).keyId;
}

interface EnvelopeParts {
	keyId: string;
	iv: string;
	body: string;
}

function parse(envelope: string): EnvelopeParts {
	// One anchored pattern checks the whole shape; `explain` runs only on failure, to say which part.
	const match = envelopePattern.exec(envelope);
	const keyId = match?.[1];
	const iv = match?.[2];
	const body = match?.[3];
	if (
		keyId === undefined ||
		iv === undefined ||
		body === undefined ||
		!hasNoSpareBits(body)
	) {
		throw malformed(explain(envelope));
	}
	return { keyId, iv, body };
}

// The body holds at least the tag (22 characters for 16 bytes): an empty plaintext is legitimate.
// A 12-byte IV is exactly 16 characters with no spare bits, so the pattern alone makes it canonical.
const envelopePattern =
	/^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const base64urlAlphabet =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Node's decoder ignores the unused low bits of the last character (and a dangling sixth-bit
 * character), so several strings decode to the same bytes. Accepting only the canonical spelling
 * keeps one value one string: an envelope cannot be altered in the database and still verify.
 */
function hasNoSpareBits(text: string): boolean {
	const rest = text.length % 4;
	if (rest === 0) return true;
	if (rest === 1) return false;
	const last = base64urlAlphabet.indexOf(text.charAt(text.length - 1));
	return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/** Why `envelope` failed to parse, naming the part and never quoting it. */
function explain(envelope: string): string {
	const parts = envelope.split(".");
	if (parts.length !== 4) return "expected four dot-separated parts";
	const [head, keyId = "", iv = ""] = parts;
	if (head !== version) return "unsupported version";
	if (!keyIdPattern.test(keyId)) return "invalid key id";
	if (!/^[A-Za-z0-9_-]{16}$/.test(iv)) return "invalid iv";
	return "invalid ciphertext";
}

/**
 * The canonical AAD. A JSON array of strings is unambiguous (no choice of separator can be forged
 * by a row id that contains it) and includes the header's version and key id, so editing the
 * header fails authentication rather than changing how the value is read.
 */
function aadBytes(keyId: string, aad: EnvelopeAad): Buffer {
	return Buffer.from(
		JSON.stringify([version, keyId, aad.table, aad.rowId, aad.field]),
		"utf8",
	);
}

function malformed(reason: string): EnvelopeError {
	// The reason names the broken part, never its content.
	return new EnvelopeError(
		"ENVELOPE_MALFORMED",
		`malformed envelope: ${reason}`,
	);
}

import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { EnvelopeError } from "./errors.ts";

/**
 * The configured encryption keys. The first key encrypts; every key decrypts, so values written
 * under an older key stay readable until `tether keys rotate` has moved them to the primary.
 *
 * The object holds only ids. The key bytes live in a module-private map (below), so a ring can be
 * logged, inspected or passed through any code without carrying its secrets along.
 */
export interface KeyRing {
	/** Id of the key new envelopes are written under (the first configured key). */
	readonly primaryKeyId: string;
	/** Every key id, primary first, in configuration order. */
	readonly keyIds: readonly string[];
}

/** Key ids are written into every envelope header and split on `.`, so the alphabet is narrow. */
export const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

const keyBytes = 32;
// Standard or URL-safe alphabet, padding optional: operators paste keys from many tools.
const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/;

// A WeakMap rather than a field or closure on the ring: nothing reachable from the ring object
// yields the key bytes, and a ring that is dropped takes its keys with it.
const secrets = new WeakMap<KeyRing, ReadonlyMap<string, KeyObject>>();

/**
 * Builds a key ring from `"<keyId>:<base64 of exactly 32 bytes>"` entries (config `encryptionKeys`
 * or `TETHER_ENCRYPTION_KEYS`). Throws `EnvelopeError` (`KEY_INVALID`) naming the entry's index and,
 * when it is well formed, its id; the message never repeats key material.
 */
export function createKeyRing(keys: readonly string[]): KeyRing {
	if (keys.length === 0) {
		throw new EnvelopeError(
			"KEY_INVALID",
			"encryption keys: at least one key is required",
		);
	}
	const byId = new Map<string, KeyObject>();
	keys.forEach((entry, index) => {
		const where = `encryption key [${index}]`;
		const colon = entry.indexOf(":");
		if (colon < 0) {
			throw new EnvelopeError(
				"KEY_INVALID",
				`${where}: expected "<keyId>:<base64 of 32 bytes>"`,
				{ keyIndex: index },
			);
		}
		const keyId = entry.slice(0, colon).trim();
		// An id that fails the pattern is not echoed: the entry may be a key pasted the wrong way round.
		// One that passes cannot be a whole key (32 bytes of base64 is 43+ characters).
		if (!keyIdPattern.test(keyId)) {
			throw new EnvelopeError(
				"KEY_INVALID",
				`${where}: key id must match ${keyIdPattern.source}`,
				{ keyIndex: index },
			);
		}
		const named = `${where} ("${keyId}")`;
		if (byId.has(keyId)) {
			throw new EnvelopeError("KEY_INVALID", `${named}: duplicate key id`, {
				keyIndex: index,
				keyId,
			});
		}
		const encoded = entry.slice(colon + 1).trim();
		if (!base64Pattern.test(encoded)) {
			throw new EnvelopeError("KEY_INVALID", `${named}: key is not base64`, {
				keyIndex: index,
				keyId,
			});
		}
		const bytes = Buffer.from(encoded, "base64");
		if (bytes.length !== keyBytes) {
			// The length is safe to say and tells a hex key (48 bytes decoded) from a short one.
			throw new EnvelopeError(
				"KEY_INVALID",
				`${named}: key must be exactly ${keyBytes} bytes, got ${bytes.length}`,
				{ keyIndex: index, keyId },
			);
		}
		byId.set(keyId, createSecretKey(bytes));
		// The KeyObject keeps its own copy; small Buffers share a pool, so don't leave one behind there.
		bytes.fill(0);
	});
	const keyIds = Object.freeze([...byId.keys()]);
	const primaryKeyId = keyIds[0];
	if (primaryKeyId === undefined) throw new Error("unreachable: empty ring");
	const ring: KeyRing = Object.freeze({ primaryKeyId, keyIds });
	secrets.set(ring, byId);
	return ring;
}

/** The key for `keyId`, or undefined when the ring lacks it. Internal to the crypto folder. */
export function keyOf(ring: KeyRing, keyId: string): KeyObject | undefined {
	const keys = secrets.get(ring);
	if (keys === undefined) {
		// Only createKeyRing makes usable rings; a look-alike object has no keys to give.
		throw new TypeError("not a key ring made by createKeyRing");
	}
	return keys.get(keyId);
}

/**
 * Splits `TETHER_ENCRYPTION_KEYS` (comma-separated entries, surrounding spaces ignored) into the
 * list `createKeyRing` takes. Validation is left to `createKeyRing`, which reports by index.
 */
export function parseKeyList(value: string): string[] {
	return value
		.split(",")
		.map((entry) => entry.trim())
		.filter((entry) => entry.length > 0);
}

/**
 * A new `"<keyId>:<base64>"` entry from 32 random bytes (`tether keys generate`). The default id,
 * `k<yyyymmdd>-<4 hex>`, sorts by creation day and rarely collides with an existing one.
 */
export function generateKey(id?: string): string {
	const keyId = id ?? defaultKeyId(new Date());
	if (!keyIdPattern.test(keyId)) {
		throw new EnvelopeError(
			"KEY_INVALID",
			`key id must match ${keyIdPattern.source}`,
		);
	}
	return `${keyId}:${randomBytes(keyBytes).toString("base64")}`;
}

function defaultKeyId(now: Date): string {
	const day = now.toISOString().slice(0, 10).replaceAll("-", "");
	return `k${day}-${randomBytes(2).toString("hex")}`;
}

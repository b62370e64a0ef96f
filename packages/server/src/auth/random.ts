import { createHash, randomBytes, randomFillSync } from "node:crypto";

/** An opaque, URL-safe secret with `bytes` of entropy (default 256 bits). */
export function randomToken(bytes = 32): string {
	return randomBytes(bytes).toString("base64url");
}

/**
 * Random bytes for ids (not secrets), drawn from one buffer refilled 4 KiB at a time: a call into
 * the CSPRNG costs microseconds, and the audit log takes an id for nearly every request when many
 * accounts are in use.
 */
const idPool = Buffer.alloc(4096);
let idPoolAt = idPool.length;
function idBytes(count: number): string {
	if (idPoolAt + count > idPool.length) {
		randomFillSync(idPool);
		idPoolAt = 0;
	}
	idPoolAt += count;
	return idPool.toString("base64url", idPoolAt - count, idPoolAt);
}

/** A prefixed random id for rows (`usr_…`, `ca_…`); not a secret. */
export function newId(prefix: string): string {
	return `${prefix}_${idBytes(12)}`;
}

/**
 * A prefixed id that sorts by its time (epoch ms, base 36, fixed width) and is random after it:
 * rows written in time order land at the end of their id index, not on a random page of it.
 */
export function newTimeOrderedId(prefix: string, at: number): string {
	const time = Math.max(0, Math.floor(at)).toString(36).padStart(9, "0");
	return `${prefix}_${time}${idBytes(9)}`;
}

/**
 * Refresh tokens, one-time codes, states and link intents are stored only as this hash: a leaked
 * database row cannot be replayed. They carry 256 random bits, so a plain SHA-256 suffices (no salt,
 * no stretching: there is nothing to guess).
 */
export function hashToken(token: string): string {
	return createHash("sha256").update(token).digest("base64url");
}

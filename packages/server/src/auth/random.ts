import { createHash, randomBytes } from "node:crypto";

/** An opaque, URL-safe secret with `bytes` of entropy (default 256 bits). */
export function randomToken(bytes = 32): string {
	return randomBytes(bytes).toString("base64url");
}

/** A prefixed random id for rows (`usr_…`, `ca_…`); not a secret. */
export function newId(prefix: string): string {
	return `${prefix}_${randomBytes(12).toString("base64url")}`;
}

/**
 * A prefixed id that sorts by its time (epoch ms, base 36, fixed width) and is random after it:
 * rows written in time order land at the end of their id index, not on a random page of it.
 */
export function newTimeOrderedId(prefix: string, at: number): string {
	const time = Math.max(0, Math.floor(at)).toString(36).padStart(9, "0");
	return `${prefix}_${time}${randomBytes(9).toString("base64url")}`;
}

/**
 * Refresh tokens, one-time codes, states and link intents are stored only as this hash: a leaked
 * database row cannot be replayed. They carry 256 random bits, so a plain SHA-256 suffices (no salt,
 * no stretching: there is nothing to guess).
 */
export function hashToken(token: string): string {
	return createHash("sha256").update(token).digest("base64url");
}

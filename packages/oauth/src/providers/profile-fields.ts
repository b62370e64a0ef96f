import type { JsonObject } from "../response-body.ts";
import type { ProviderProfile } from "./types.ts";

/** Narrows an unknown value to a plain object, or undefined. */
export function objectField(value: unknown): JsonObject | undefined {
	return typeof value === "object" && value !== null && !Array.isArray(value)
		? Object.fromEntries(Object.entries(value))
		: undefined;
}

/** A non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
	return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/**
 * An account id from a string or an integer. GitHub, GitLab's REST API and others send numeric
 * ids; they are stored as strings, and a fractional or unsafe number is refused rather than
 * rounded into someone else's id.
 */
export function idText(value: unknown): string | undefined {
	if (typeof value === "number") {
		return Number.isSafeInteger(value) && value >= 0
			? String(value)
			: undefined;
	}
	return text(value);
}

/**
 * A claim that is true only when the provider says so plainly. Apple sends `email_verified` as
 * the string "true"; anything unclear counts as unverified, because a verified email may be
 * used to match accounts.
 */
export function isTrue(value: unknown): boolean {
	return value === true || value === "true";
}

/**
 * Reads OIDC standard claims (OIDC Core §5.1) from userinfo or ID-token claims: `sub`, or `id`
 * for plain OAuth 2.0 servers that do not speak OIDC; `email`, `email_verified`, `name` (or
 * `preferred_username`). Returns null without an id.
 */
export function readStandardClaims(body: JsonObject): ProviderProfile | null {
	const id = idText(body.sub) ?? idText(body.id);
	if (id === undefined) return null;
	const email = text(body.email);
	return {
		id,
		email,
		emailVerified: email !== undefined && isTrue(body.email_verified),
		name: text(body.name) ?? text(body.preferred_username),
	};
}

/** The same claims with `email_verified` ignored, for providers whose email proves nothing. */
export function readClaimsUnverified(body: JsonObject): ProviderProfile | null {
	const profile = readStandardClaims(body);
	return profile && { ...profile, emailVerified: false };
}

import type {
	AccessTokenResponse,
	ConnectedAccount,
	ProviderSession,
	Session,
	User,
} from "@tether/api";
import { TetherClientError } from "./errors.ts";

// Everything from the network is `unknown` until these checks pass; a failure names the field.

function fail(what: string, field: string): never {
	throw new TetherClientError(
		"INTERNAL_ERROR",
		`Unexpected ${what} from Tether: bad "${field}".`,
		{ details: { field } },
	);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Record<string, unknown> {
	return isRecord(value) ? value : fail(what, "(body)");
}

function string(o: Record<string, unknown>, field: string, what: string) {
	const value = o[field];
	return typeof value === "string" ? value : fail(what, field);
}

function optionalString(
	o: Record<string, unknown>,
	field: string,
	what: string,
): string | undefined {
	const value = o[field];
	if (value === undefined || value === null) return undefined;
	return typeof value === "string" ? value : fail(what, field);
}

function nullableString(
	o: Record<string, unknown>,
	field: string,
	what: string,
): string | null {
	const value = o[field];
	if (value === null || value === undefined) return null;
	return typeof value === "string" ? value : fail(what, field);
}

function strings(o: Record<string, unknown>, field: string, what: string) {
	const value = o[field];
	if (!Array.isArray(value)) return fail(what, field);
	return value.map((item) =>
		typeof item === "string" ? item : fail(what, field),
	);
}

function number(o: Record<string, unknown>, field: string, what: string) {
	const value = o[field];
	return typeof value === "number" && Number.isFinite(value)
		? value
		: fail(what, field);
}

/** Adds optional string fields only when present, keeping objects free of `undefined` keys. */
function optionals<K extends string>(
	o: Record<string, unknown>,
	fields: readonly K[],
	what: string,
): Partial<Record<K, string>> {
	const out: Partial<Record<K, string>> = {};
	for (const field of fields) {
		const value = optionalString(o, field, what);
		if (value !== undefined) out[field] = value;
	}
	return out;
}

export function parseConnectedAccount(value: unknown): ConnectedAccount {
	const what = "connected account";
	const o = record(value, what);
	const id = string(o, "id", what);
	const provider = string(o, "provider", what);
	const providerAccountId = string(o, "providerAccountId", what);
	const scopes = strings(o, "scopes", what);
	const status = o.status;
	if (status !== "active" && status !== "reauth_required")
		return fail(what, "status");
	return {
		id,
		provider,
		providerAccountId,
		scopes,
		status,
		...optionals(o, ["email", "displayName"], what),
		createdAt: string(o, "createdAt", what),
		updatedAt: string(o, "updatedAt", what),
	};
}

export function parseAccountList(value: unknown): ConnectedAccount[] {
	const o = record(value, "account list");
	const items = o.items;
	if (!Array.isArray(items)) return fail("account list", "items");
	return items.map(parseConnectedAccount);
}

export function parseUser(value: unknown): User {
	const what = "user";
	const o = record(value, what);
	const accounts = o.connectedAccounts;
	if (!Array.isArray(accounts)) return fail(what, "connectedAccounts");
	return {
		id: string(o, "id", what),
		...optionals(o, ["externalId", "email", "displayName"], what),
		createdAt: string(o, "createdAt", what),
		connectedAccounts: accounts.map(parseConnectedAccount),
	};
}

export function parseSession(value: unknown): Session {
	const what = "session";
	const o = record(value, what);
	return {
		accessToken: string(o, "accessToken", what),
		accessTokenExpiresIn: number(o, "accessTokenExpiresIn", what),
		refreshToken: string(o, "refreshToken", what),
		user: parseUser(o.user),
	};
}

export function parseAccessToken(value: unknown): AccessTokenResponse {
	const what = "access token";
	const o = record(value, what);
	return {
		accessToken: string(o, "accessToken", what),
		tokenType: optionalString(o, "tokenType", what) ?? "Bearer",
		expiresAt: nullableString(o, "expiresAt", what),
		scopes: strings(o, "scopes", what),
	};
}

export function parseProviderSession(value: unknown): ProviderSession {
	const what = "provider session";
	const o = record(value, what);
	const expiresIn = o.expiresIn;
	return {
		accessToken: string(o, "accessToken", what),
		expiresIn:
			expiresIn === null || expiresIn === undefined
				? null
				: number(o, "expiresIn", what),
		expiresAt: nullableString(o, "expiresAt", what),
		refreshToken: nullableString(o, "refreshToken", what),
	};
}

export function parseLinkUrl(value: unknown): string {
	return string(record(value, "link intent"), "url", "link intent");
}

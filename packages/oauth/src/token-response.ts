import {
	describeUnreadable,
	type ErrorKinds,
	invalidResponse,
	networkFailure,
	type OAuthFailure,
	providerFailure,
} from "./failure.ts";
import type { HttpOutcome } from "./http.ts";
import {
	type JsonObject,
	parseResponseBody,
	stringField,
} from "./response-body.ts";

/** Tokens from a successful grant. `raw` holds every field, secrets included: never log it. */
export interface TokenSet {
	accessToken: string;
	/** As sent (`Bearer`, GitHub's `bearer`); `Bearer` when the provider left it out. */
	tokenType: string;
	/** Absent when the provider did not issue or rotate one; keep the previous token then. */
	refreshToken?: string;
	/** Seconds; absent for providers whose tokens do not expire (GitHub OAuth apps). */
	expiresIn?: number;
	/** `expiresIn` from the clock the step was given. */
	expiresAt?: Date;
	/** Granted scopes as sent, in the provider's separator; absent means "as requested" (RFC 6749 §5.1). */
	scope?: string;
	idToken?: string;
	raw: Readonly<JsonObject>;
}

export type TokenResult =
	| { ok: true; tokens: TokenSet }
	| { ok: false; failure: OAuthFailure };

export interface ProcessOptions {
	/** Default `() => new Date()`. */
	now?: () => Date;
	/** Per-provider overrides of the error-code table. */
	errorKinds?: ErrorKinds;
}

// Some providers send numbers as strings ("3600"), and form bodies only have strings.
function secondsField(body: JsonObject, key: string): number | undefined {
	const value = body[key];
	const seconds =
		typeof value === "number"
			? value
			: typeof value === "string" && /^\d+$/.test(value.trim())
				? Number(value)
				: undefined;
	return seconds !== undefined && Number.isFinite(seconds) && seconds >= 0
		? seconds
		: undefined;
}

// Twitch sends `scope` as a JSON array; join it so `scope` is always one string.
function scopeField(body: JsonObject): string | undefined {
	const value = body.scope;
	if (typeof value === "string") return value;
	if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
		return value.join(" ");
	}
	return undefined;
}

/**
 * Reads a token endpoint's answer (RFC 6749 §5.1 and §5.2) into a result. Never throws for
 * provider behaviour: error bodies at any status (GitHub's 200 + `error`), HTML pages and
 * network failures all become a classified `failure`.
 */
export function processTokenResponse(
	outcome: HttpOutcome,
	options: ProcessOptions = {},
): TokenResult {
	if (!outcome.ok) return { ok: false, failure: networkFailure(outcome) };
	const { response } = outcome;
	const now = options.now?.() ?? new Date();
	const body = parseResponseBody(response);

	const error = body ? stringField(body, "error") : undefined;
	if (body && error !== undefined) {
		return {
			ok: false,
			failure: providerFailure(response, body, error, now, options.errorKinds),
		};
	}
	if (response.status < 200 || response.status >= 300 || !body) {
		return {
			ok: false,
			failure: invalidResponse(response, describeUnreadable(response), now),
		};
	}

	const accessToken = stringField(body, "access_token");
	if (accessToken === undefined) {
		return {
			ok: false,
			failure: invalidResponse(
				response,
				"access_token is missing from a successful response",
				now,
			),
		};
	}
	const expiresIn = secondsField(body, "expires_in");
	return {
		ok: true,
		tokens: {
			accessToken,
			tokenType: stringField(body, "token_type") ?? "Bearer",
			refreshToken: stringField(body, "refresh_token"),
			expiresIn,
			expiresAt:
				expiresIn === undefined
					? undefined
					: new Date(now.getTime() + expiresIn * 1000),
			scope: scopeField(body),
			idToken: stringField(body, "id_token"),
			raw: body,
		},
	};
}

import {
	type HttpOutcome,
	type HttpResponse,
	parseRetryAfter,
} from "./http.ts";
import { type JsonObject, stringField } from "./response-body.ts";

/**
 * What a failed provider call means for the caller:
 * - `permanent`: the grant or token is dead; only the user can fix it (reconnect).
 * - `transient`: try again later; nothing about the grant is known to be wrong.
 * - `misconfigured`: our request or client credentials are wrong; an operator must fix it.
 */
export type FailureKind = "permanent" | "transient" | "misconfigured";

/** A provider failure kept as data. `error` is the provider's own code whenever it sent one. */
export interface OAuthFailure {
	kind: FailureKind;
	/**
	 * `provider`: an OAuth error body; `http`: an answer without one (HTML page, bad JSON,
	 * unexpected status); `network`: no answer at all (reset, refused, timeout, aborted).
	 */
	source: "provider" | "http" | "network";
	/** The provider's `error`, or for other sources `invalid_response`, `timeout`, `network_error`, `aborted`. */
	error: string;
	errorDescription?: string;
	errorUri?: string;
	/** HTTP status; absent when no answer arrived. */
	status?: number;
	/** From `Retry-After`, in seconds from the clock the step was given. */
	retryAfterSeconds?: number;
}

/** Overrides for the error-code table, e.g. from a catalog entry for a provider with odd codes. */
export type ErrorKinds = Readonly<Record<string, FailureKind>>;

/**
 * The default reading of error codes seen at token and revocation endpoints. Codes not listed
 * here are read as `permanent`: a provider refusing in words we do not know most often means
 * this grant is finished, and the user can always reconnect.
 */
export const defaultErrorKinds: ErrorKinds = {
	// RFC 6749 §5.2: the grant (code or refresh token) is invalid, expired or revoked.
	invalid_grant: "permanent",
	// GitHub answers 200 {"error":"bad_refresh_token"} / "bad_verification_code".
	bad_refresh_token: "permanent",
	bad_verification_code: "permanent",
	// Slack's own refresh failure code.
	invalid_refresh_token: "permanent",
	// Several providers answer this once the user withdrew the app's access, and a real
	// misconfiguration would already have failed the first code exchange.
	unauthorized_client: "permanent",
	access_denied: "permanent",
	// RFC 6749 §5.2: our client authentication failed.
	invalid_client: "misconfigured",
	// RFC 6749 §5.2: missing/duplicate parameters or several auth mechanisms — the request we
	// built is wrong, not the user's grant. Catalog entries override this for providers that
	// use it for dead tokens.
	invalid_request: "misconfigured",
	unsupported_grant_type: "misconfigured",
	invalid_scope: "misconfigured",
	// RFC 7009 §2.2.1.
	unsupported_token_type: "misconfigured",
	// GitHub and Slack client-credential errors.
	incorrect_client_credentials: "misconfigured",
	redirect_uri_mismatch: "misconfigured",
	invalid_client_id: "misconfigured",
	bad_client_secret: "misconfigured",
	// RFC 6749 §4.1.2.1 codes some servers also send from the token endpoint.
	temporarily_unavailable: "transient",
	server_error: "transient",
	slow_down: "transient",
};

function isOverloaded(status: number): boolean {
	return status === 429 || status >= 500;
}

/** Reads one OAuth error code at one status, with optional per-provider overrides. */
export function classifyOAuthError(
	error: string,
	status: number,
	overrides: ErrorKinds = {},
): FailureKind {
	// Rate limits and server errors are worth retrying whatever words come with them.
	if (isOverloaded(status)) return "transient";
	return overrides[error] ?? defaultErrorKinds[error] ?? "permanent";
}

/** The failure for an exchange that produced no answer. */
export function networkFailure(
	outcome: Extract<HttpOutcome, { ok: false }>,
): OAuthFailure {
	return {
		kind: "transient",
		source: "network",
		error: outcome.reason === "network" ? "network_error" : outcome.reason,
		errorDescription: outcome.message,
	};
}

/** A failure from an OAuth error body (`{"error": …}`), whatever the status, 200 included. */
export function providerFailure(
	response: HttpResponse,
	body: JsonObject,
	error: string,
	now: Date,
	overrides?: ErrorKinds,
): OAuthFailure {
	return {
		kind: classifyOAuthError(error, response.status, overrides),
		source: "provider",
		error,
		errorDescription: stringField(body, "error_description"),
		errorUri: stringField(body, "error_uri"),
		status: response.status,
		retryAfterSeconds: parseRetryAfter(
			response.headers.get("retry-after"),
			now,
		),
	};
}

/**
 * A failure for an answer we cannot read as OAuth. Always transient: only an error the
 * provider states in OAuth's terms is trusted to mean "permanent" or "misconfigured".
 */
export function invalidResponse(
	response: HttpResponse,
	description: string,
	now: Date,
): OAuthFailure {
	return {
		kind: "transient",
		source: "http",
		error: "invalid_response",
		errorDescription: description,
		status: response.status,
		retryAfterSeconds: parseRetryAfter(
			response.headers.get("retry-after"),
			now,
		),
	};
}

/** Describes a body we could not use, without echoing it (it may hold secrets). */
export function describeUnreadable(response: HttpResponse): string {
	const type = response.headers.get("content-type") ?? "no content type";
	return `HTTP ${response.status} with an unusable body (${type}, ${response.body.length} bytes)`;
}

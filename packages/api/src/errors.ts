/**
 * The error-code table shared by the server and every SDK. Each code fixes its HTTP status,
 * so a client can branch on `code` alone and the server renders every failure the same way.
 */
export const errorCodes = {
	INVALID_REQUEST: 400,
	UNAUTHENTICATED: 401,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	USER_NOT_FOUND: 404,
	CONNECTED_ACCOUNT_NOT_FOUND: 404,
	PROVIDER_NOT_FOUND: 404,
	PROVIDER_SESSION_NOT_FOUND: 404,
	LINK_NOT_FOUND: 404,
	METHOD_NOT_ALLOWED: 405,
	ACCOUNT_ALREADY_LINKED: 409,
	OAUTH_ACCESS_TOKEN_NOT_AVAILABLE: 409,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	RATE_LIMITED: 429,
	REQUEST_HEADERS_TOO_LARGE: 431,
	INTERNAL_ERROR: 500,
	PROVIDER_UNAVAILABLE: 503,
	SERVICE_UNAVAILABLE: 503,
} as const;

/** A stable, UPPER_SNAKE error code. */
export type ErrorCode = keyof typeof errorCodes;

/** The JSON body of every error response. */
export interface ErrorBody {
	code: ErrorCode;
	message: string;
	details?: Record<string, unknown>;
}

/** The HTTP status that goes with a code. */
export function statusOf(code: ErrorCode): number {
	return errorCodes[code];
}

/** Narrows an unknown string to a known code (SDKs use this on response bodies). */
export function isErrorCode(value: unknown): value is ErrorCode {
	return typeof value === "string" && Object.hasOwn(errorCodes, value);
}

/** Why an access token could not be handed out (`details.reason` of `OAUTH_ACCESS_TOKEN_NOT_AVAILABLE`). */
export type AccessTokenUnavailableReason =
	| "insufficient_scopes"
	| "reauth_required";

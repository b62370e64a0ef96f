import {
	type AccessTokenUnavailableReason,
	type ErrorCode,
	errorCodes,
	isErrorCode,
	statusOf,
} from "@tether/api";

/**
 * The SDK's one error class. `code` comes from the shared table in `@tether/api`, so callers
 * branch on it exactly as on the server's answers; `status` is the HTTP status that came back
 * (0 when Tether could not be reached at all).
 */
export class TetherClientError extends Error {
	override readonly name: string = "TetherClientError";
	readonly code: ErrorCode;
	readonly status: number;
	readonly details: Record<string, unknown> | undefined;

	constructor(
		code: ErrorCode,
		message: string,
		options: {
			status?: number;
			details?: Record<string, unknown>;
			cause?: unknown;
		} = {},
	) {
		super(message, { cause: options.cause });
		this.code = code;
		this.status = options.status ?? statusOf(code);
		this.details = options.details;
	}
}

/**
 * The provider is down, slow or rate-limiting (`PROVIDER_UNAVAILABLE`, 503). Not a `Result`
 * error: nothing is wrong with the account, so the call is worth retrying after
 * `retryAfterSeconds`.
 */
export class ProviderUnavailableError extends TetherClientError {
	override readonly name: string = "ProviderUnavailableError";
	readonly retryable = true;
	readonly retryAfterSeconds: number;
	readonly provider: string | undefined;

	constructor(
		message: string,
		options: {
			retryAfterSeconds: number;
			provider?: string;
			details?: Record<string, unknown>;
			status?: number;
		},
	) {
		super("PROVIDER_UNAVAILABLE", message, options);
		this.retryAfterSeconds = options.retryAfterSeconds;
		this.provider = options.provider;
	}
}

/**
 * Why `getAccessToken` could not hand out a token (`OAUTH_ACCESS_TOKEN_NOT_AVAILABLE`, 409):
 * the account lacks `missingScopes` (`insufficient_scopes`; link again with the union), or the
 * provider no longer accepts its refresh token (`reauth_required`; the user must reconnect).
 * Returned as the `error` of a `Result`, never thrown by `getAccessToken`.
 */
export class OAuthAccessTokenNotAvailable extends TetherClientError {
	override readonly name: string = "OAuthAccessTokenNotAvailable";
	readonly reason: AccessTokenUnavailableReason;
	readonly missingScopes: string[];
	readonly provider: string | undefined;

	constructor(
		message: string,
		options: {
			reason: AccessTokenUnavailableReason;
			missingScopes?: string[];
			provider?: string;
			details?: Record<string, unknown>;
		},
	) {
		super("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE", message, {
			details: options.details ?? {
				reason: options.reason,
				missingScopes: options.missingScopes ?? [],
			},
		});
		this.reason = options.reason;
		this.missingScopes = options.missingScopes ?? [];
		this.provider = options.provider;
	}
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A code for a status when the body names none we know (a proxy's page, a newer server). */
function codeForStatus(status: number): ErrorCode {
	for (const [code, codeStatus] of Object.entries(errorCodes)) {
		if (codeStatus === status && isErrorCode(code)) return code;
	}
	return status >= 500 ? "INTERNAL_ERROR" : "INVALID_REQUEST";
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterOf(
	headers: Headers,
	details: Record<string, unknown> | undefined,
): number {
	const header = headers.get("retry-after");
	if (header !== null) {
		if (/^\d+$/.test(header.trim())) return Number(header.trim());
		const date = Date.parse(header);
		if (!Number.isNaN(date))
			return Math.max(0, Math.ceil((date - Date.now()) / 1000));
	}
	const fromDetails = details?.retryAfterSeconds;
	return typeof fromDetails === "number" && fromDetails >= 0 ? fromDetails : 30;
}

function stringsOf(value: unknown): string[] {
	return Array.isArray(value)
		? value.filter((item): item is string => typeof item === "string")
		: [];
}

/** Turns a non-2xx answer into the matching error class; the body is narrowed, never trusted. */
export function errorFromResponse(
	status: number,
	headers: Headers,
	body: unknown,
): TetherClientError {
	const rawCode = isRecord(body) ? body.code : undefined;
	const code = isErrorCode(rawCode) ? rawCode : codeForStatus(status);
	const message =
		isRecord(body) && typeof body.message === "string"
			? body.message
			: `Tether answered HTTP ${status}.`;
	const details =
		isRecord(body) && isRecord(body.details) ? body.details : undefined;
	const provider =
		typeof details?.provider === "string" ? details.provider : undefined;
	if (code === "PROVIDER_UNAVAILABLE") {
		return new ProviderUnavailableError(message, {
			retryAfterSeconds: retryAfterOf(headers, details),
			status,
			...(provider === undefined ? {} : { provider }),
			...(details === undefined ? {} : { details }),
		});
	}
	if (code === "OAUTH_ACCESS_TOKEN_NOT_AVAILABLE") {
		return new OAuthAccessTokenNotAvailable(message, {
			reason:
				details?.reason === "insufficient_scopes"
					? "insufficient_scopes"
					: "reauth_required",
			missingScopes: stringsOf(details?.missingScopes),
			...(provider === undefined ? {} : { provider }),
			...(details === undefined ? {} : { details }),
		});
	}
	// A code this SDK does not know (a newer server) is kept beside the one it maps to.
	const unknownCode =
		typeof rawCode === "string" && rawCode !== code ? rawCode : undefined;
	const allDetails =
		unknownCode === undefined
			? details
			: { ...details, serverCode: unknownCode };
	return new TetherClientError(code, message, {
		status,
		...(allDetails === undefined ? {} : { details: allDetails }),
	});
}

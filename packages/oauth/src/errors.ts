/**
 * Stable codes for programmer and configuration mistakes. Provider answers are never thrown:
 * they come back as data (`OAuthFailure`), because a provider saying "no" is an expected outcome.
 */
export const oauthErrorCodes = {
	INVALID_ARGUMENT: "a step was called with a value it cannot use",
	INVALID_ENDPOINT: "an endpoint is not an absolute http(s) URL",
	MISSING_ENDPOINT: "the endpoints object lacks the endpoint this step needs",
	MISSING_CLIENT_SECRET:
		"the client authentication method needs a client secret and none was given",
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorCodes;

/** The one error class of `@tether/oauth`; thrown only for misuse, never for provider answers. */
export class OAuthError extends Error {
	override readonly name = "OAuthError";
	readonly code: OAuthErrorCode;

	constructor(code: OAuthErrorCode, message?: string, options?: ErrorOptions) {
		super(message ?? oauthErrorCodes[code], options);
		this.code = code;
	}
}

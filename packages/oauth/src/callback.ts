export interface AuthorizationResponseInput {
	/** The callback URL the provider redirected to, or its query (or form_post body) params. */
	response: URL | URLSearchParams;
	/** The `state` stored when the flow started. */
	expectedState: string;
	/** The provider's issuer, when known; checked against `iss` (RFC 9207 §2.4). */
	expectedIssuer?: string;
	/**
	 * The provider advertises `authorization_response_iss_parameter_supported`; a response
	 * without `iss` is then refused (RFC 9207 §2.4). Default false.
	 */
	requireIssuer?: boolean;
}

export type AuthorizationResponseProblem =
	| "duplicate_parameter"
	| "issuer_mismatch"
	| "issuer_missing"
	| "state_mismatch"
	| "code_missing"
	| "provider_error";

export type AuthorizationResponseResult =
	| { ok: true; code: string; iss?: string }
	| {
			ok: false;
			problem: AuthorizationResponseProblem;
			/** The provider's `error` (e.g. `access_denied`) for `provider_error`. */
			error?: string;
			errorDescription?: string;
	  };

const SINGLE = ["code", "state", "iss", "error", "error_description"];

// Constant-time comparison: `state` is a secret bearer of the flow.
function sameString(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let difference = 0;
	for (let i = 0; i < a.length; i++) {
		difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
	}
	return difference === 0;
}

/**
 * Checks a provider's redirect back to us (RFC 6749 §4.1.2). The order matters: the issuer is
 * checked before anything else so a mix-up attacker's error cannot be mistaken for ours
 * (RFC 9207 §2.4), then `state` (RFC 6749 §10.12), then the error or code.
 */
export function validateAuthorizationResponse(
	input: AuthorizationResponseInput,
): AuthorizationResponseResult {
	const params =
		input.response instanceof URL
			? input.response.searchParams
			: input.response;

	// RFC 6749 §3.1: response parameters must not repeat.
	for (const name of SINGLE) {
		if (params.getAll(name).length > 1) {
			return { ok: false, problem: "duplicate_parameter", error: name };
		}
	}

	const iss = params.get("iss");
	if (iss !== null) {
		if (input.expectedIssuer !== undefined && iss !== input.expectedIssuer) {
			return { ok: false, problem: "issuer_mismatch" };
		}
	} else if (input.requireIssuer === true) {
		return { ok: false, problem: "issuer_missing" };
	}

	const state = params.get("state");
	if (state === null || !sameString(state, input.expectedState)) {
		return { ok: false, problem: "state_mismatch" };
	}

	const error = params.get("error");
	if (error !== null) {
		return {
			ok: false,
			problem: "provider_error",
			error,
			errorDescription: params.get("error_description") ?? undefined,
		};
	}

	const code = params.get("code");
	if (code === null || code === "") {
		return { ok: false, problem: "code_missing" };
	}
	return iss === null ? { ok: true, code } : { ok: true, code, iss };
}

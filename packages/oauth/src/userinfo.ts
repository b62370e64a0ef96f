import { type ProviderEndpoints, requireEndpoint } from "./endpoints.ts";
import {
	describeUnreadable,
	invalidResponse,
	networkFailure,
	type OAuthFailure,
} from "./failure.ts";
import { type HttpOutcome, parseRetryAfter } from "./http.ts";
import { type JsonObject, parseResponseBody } from "./response-body.ts";
import type { ProcessOptions } from "./token-response.ts";

export interface UserinfoRequestInput {
	endpoints: Pick<ProviderEndpoints, "userinfoEndpoint">;
	accessToken: string;
}

export type UserinfoResult =
	| { ok: true; claims: Readonly<JsonObject> }
	| { ok: false; failure: OAuthFailure };

/** GET the userinfo endpoint with the access token as a bearer (OIDC Core §5.3.1). Pure. */
export function buildUserinfoRequest(input: UserinfoRequestInput): Request {
	return new Request(
		requireEndpoint(input.endpoints.userinfoEndpoint, "userinfoEndpoint"),
		{
			headers: {
				authorization: `Bearer ${input.accessToken}`,
				accept: "application/json",
			},
			redirect: "manual",
		},
	);
}

// RFC 6750 §3: the error code rides in WWW-Authenticate, e.g. `Bearer error="invalid_token"`.
function bearerError(header: string | null): string | undefined {
	const match = header?.match(/\berror="([^"]*)"/);
	return match?.[1];
}

/**
 * Reads a userinfo answer. A 401/403 means this access token is unusable (`permanent` for the
 * token, not necessarily for the grant: refreshing may help).
 */
export function processUserinfoResponse(
	outcome: HttpOutcome,
	options: ProcessOptions = {},
): UserinfoResult {
	if (!outcome.ok) return { ok: false, failure: networkFailure(outcome) };
	const { response } = outcome;
	const now = options.now?.() ?? new Date();
	if (response.status === 401 || response.status === 403) {
		return {
			ok: false,
			failure: {
				kind: "permanent",
				source: "provider",
				error:
					bearerError(response.headers.get("www-authenticate")) ??
					(response.status === 401 ? "invalid_token" : "insufficient_scope"),
				status: response.status,
				retryAfterSeconds: parseRetryAfter(
					response.headers.get("retry-after"),
					now,
				),
			},
		};
	}
	const body = parseResponseBody(response);
	if (response.status !== 200 || !body) {
		return {
			ok: false,
			failure: invalidResponse(response, describeUnreadable(response), now),
		};
	}
	return { ok: true, claims: body };
}

import type { ClientCredentials } from "./client-auth.ts";
import { type ProviderEndpoints, requireEndpoint } from "./endpoints.ts";
import {
	describeUnreadable,
	invalidResponse,
	networkFailure,
	type OAuthFailure,
	providerFailure,
} from "./failure.ts";
import type { HttpOutcome } from "./http.ts";
import { parseResponseBody, stringField } from "./response-body.ts";
import { buildClientFormRequest } from "./token-request.ts";
import type { ProcessOptions } from "./token-response.ts";

export interface RevocationRequestInput {
	endpoints: Pick<ProviderEndpoints, "revocationEndpoint">;
	client: ClientCredentials;
	token: string;
	/** Helps the server find the token faster (RFC 7009 §2.1); it may ignore the hint. */
	tokenTypeHint?: "refresh_token" | "access_token";
}

export type RevocationResult =
	| { ok: true }
	| { ok: false; failure: OAuthFailure };

/** The RFC 7009 §2.1 revocation request. Pure. */
export function buildRevocationRequest(input: RevocationRequestInput): Request {
	const params: Record<string, string> = { token: input.token };
	if (input.tokenTypeHint !== undefined) {
		params.token_type_hint = input.tokenTypeHint;
	}
	return buildClientFormRequest(
		requireEndpoint(input.endpoints.revocationEndpoint, "revocationEndpoint"),
		input.client,
		params,
	);
}

/**
 * Reads a revocation answer. RFC 7009 §2.2: 200 means done, also for tokens the server no
 * longer knows, so any 2xx is success; 503 asks us to retry later (§2.2.1).
 */
export function processRevocationResponse(
	outcome: HttpOutcome,
	options: ProcessOptions = {},
): RevocationResult {
	if (!outcome.ok) return { ok: false, failure: networkFailure(outcome) };
	const { response } = outcome;
	if (response.status >= 200 && response.status < 300) return { ok: true };
	const now = options.now?.() ?? new Date();
	const body = parseResponseBody(response);
	const error = body ? stringField(body, "error") : undefined;
	if (body && error !== undefined) {
		return {
			ok: false,
			failure: providerFailure(response, body, error, now, options.errorKinds),
		};
	}
	return {
		ok: false,
		failure: invalidResponse(response, describeUnreadable(response), now),
	};
}

import { endpointUrl, type ProviderEndpoints } from "./endpoints.ts";
import {
	describeUnreadable,
	invalidResponse,
	networkFailure,
	type OAuthFailure,
} from "./failure.ts";
import type { HttpOutcome } from "./http.ts";
import { type JsonObject, parseResponseBody } from "./response-body.ts";

/** The parts of OIDC provider metadata (OIDC Discovery §3, RFC 8414 §2) the steps use. */
export interface ServerMetadata extends ProviderEndpoints {
	issuer: string;
	scopesSupported?: string[];
	codeChallengeMethodsSupported?: string[];
	tokenEndpointAuthMethodsSupported?: string[];
	idTokenSigningAlgValuesSupported?: string[];
	raw: Readonly<JsonObject>;
}

export type DiscoveryResult =
	| { ok: true; metadata: ServerMetadata }
	| { ok: false; failure: OAuthFailure };

/**
 * GET `<issuer>/.well-known/openid-configuration` (OIDC Discovery §4.1: the suffix is appended
 * to the issuer, after removing a trailing slash, so issuers with a path work). Pure.
 */
export function buildDiscoveryRequest(issuer: string): Request {
	const base = endpointUrl(issuer, "issuer").href.replace(/\/$/, "");
	return new Request(`${base}/.well-known/openid-configuration`, {
		headers: { accept: "application/json" },
		redirect: "manual",
	});
}

function stringList(body: JsonObject, key: string): string[] | undefined {
	const value = body[key];
	return Array.isArray(value) && value.every((item) => typeof item === "string")
		? value
		: undefined;
}

// [field, required]
const ENDPOINT_FIELDS = [
	["authorization_endpoint", true],
	["token_endpoint", true],
	["revocation_endpoint", false],
	["userinfo_endpoint", false],
	["jwks_uri", false],
] as const;

function isHttpUrl(value: string): boolean {
	try {
		endpointUrl(value, "endpoint");
		return true;
	} catch {
		return false;
	}
}

function misconfigured(
	status: number,
	description: string,
): { ok: false; failure: OAuthFailure } {
	return {
		ok: false,
		failure: {
			kind: "misconfigured",
			source: "provider",
			error: "invalid_metadata",
			errorDescription: description,
			status,
		},
	};
}

/**
 * Reads discovery metadata and checks that `issuer` is exactly the expected one (OIDC
 * Discovery §4.3): a provider vouching for another issuer is a mix-up, not a typo to forgive.
 */
export function processDiscoveryResponse(
	outcome: HttpOutcome,
	options: { expectedIssuer: string; now?: () => Date },
): DiscoveryResult {
	if (!outcome.ok) return { ok: false, failure: networkFailure(outcome) };
	const { response } = outcome;
	const now = options.now?.() ?? new Date();
	const body = parseResponseBody(response);
	if (response.status !== 200 || !body) {
		return {
			ok: false,
			failure: invalidResponse(response, describeUnreadable(response), now),
		};
	}

	const issuer = body.issuer;
	if (issuer !== options.expectedIssuer) {
		return misconfigured(
			response.status,
			`issuer is ${JSON.stringify(issuer)}, expected ${JSON.stringify(options.expectedIssuer)}`,
		);
	}

	const endpoints = new Map<string, string>();
	for (const [field, required] of ENDPOINT_FIELDS) {
		const value = body[field];
		if (value === undefined && !required) continue;
		if (typeof value !== "string" || !isHttpUrl(value)) {
			return misconfigured(response.status, `${field} is not an http(s) URL`);
		}
		endpoints.set(field, value);
	}
	const authorizationEndpoint = endpoints.get("authorization_endpoint");
	const tokenEndpoint = endpoints.get("token_endpoint");
	// Unreachable after the loop above, but it lets the types say so without a cast.
	if (authorizationEndpoint === undefined || tokenEndpoint === undefined) {
		return misconfigured(response.status, "required endpoints are missing");
	}

	return {
		ok: true,
		metadata: {
			issuer: options.expectedIssuer,
			authorizationEndpoint,
			tokenEndpoint,
			revocationEndpoint: endpoints.get("revocation_endpoint"),
			userinfoEndpoint: endpoints.get("userinfo_endpoint"),
			jwksUri: endpoints.get("jwks_uri"),
			issParameterSupported:
				body.authorization_response_iss_parameter_supported === true,
			scopesSupported: stringList(body, "scopes_supported"),
			codeChallengeMethodsSupported: stringList(
				body,
				"code_challenge_methods_supported",
			),
			tokenEndpointAuthMethodsSupported: stringList(
				body,
				"token_endpoint_auth_methods_supported",
			),
			idTokenSigningAlgValuesSupported: stringList(
				body,
				"id_token_signing_alg_values_supported",
			),
			raw: body,
		},
	};
}

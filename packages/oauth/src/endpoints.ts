import { OAuthError } from "./errors.ts";

/**
 * Where a provider's steps live. Discovery fills this in for OIDC providers; plain OAuth 2.0
 * providers (GitHub, Slack…) come from the catalog with explicit URLs.
 */
export interface ProviderEndpoints {
	/** The issuer identifier, when the provider has one (OIDC, RFC 8414). */
	issuer?: string;
	authorizationEndpoint: string;
	tokenEndpoint: string;
	/** RFC 7009 revocation endpoint. */
	revocationEndpoint?: string;
	userinfoEndpoint?: string;
	jwksUri?: string;
	/** The provider promises the RFC 9207 `iss` callback parameter; default false. */
	issParameterSupported?: boolean;
}

/** Parses an endpoint URL, refusing anything but absolute http(s) URLs. */
export function endpointUrl(value: string, field: string): URL {
	let url: URL;
	try {
		url = new URL(value);
	} catch (cause) {
		throw new OAuthError("INVALID_ENDPOINT", `${field} is not a URL`, {
			cause,
		});
	}
	if (url.protocol !== "https:" && url.protocol !== "http:") {
		throw new OAuthError("INVALID_ENDPOINT", `${field} must use http or https`);
	}
	return url;
}

/** Reads an optional endpoint a step cannot do without. */
export function requireEndpoint(value: string | undefined, field: string): URL {
	if (value === undefined || value === "") {
		throw new OAuthError("MISSING_ENDPOINT", `${field} is not configured`);
	}
	return endpointUrl(value, field);
}

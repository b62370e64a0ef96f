import type { ProviderEndpoints } from "./endpoints.ts";
import { endpointUrl } from "./endpoints.ts";

export interface AuthorizationUrlInput {
	endpoints: Pick<ProviderEndpoints, "authorizationEndpoint">;
	clientId: string;
	redirectUri: string;
	scopes: readonly string[];
	/** Joins `scopes`; default " " (RFC 6749 §3.3). Some providers want "," or "+". */
	scopeSeparator?: string;
	state: string;
	/** S256 challenge from `computeCodeChallenge`; omit only for providers without PKCE. */
	codeChallenge?: string;
	/** OIDC nonce; send it whenever an ID token is expected. */
	nonce?: string;
	/** Provider-specific parameters (`access_type`, `prompt`, `login_hint`…). */
	extraParams?: Readonly<Record<string, string>>;
}

/**
 * Builds the URL that sends the user to the provider (RFC 6749 §4.1.1, RFC 7636 §4.3).
 * Query parameters already on the endpoint are kept; protocol parameters always win over
 * `extraParams`, so a catalog entry cannot silently drop state or PKCE.
 */
export function buildAuthorizationUrl(input: AuthorizationUrlInput): URL {
	const url = endpointUrl(
		input.endpoints.authorizationEndpoint,
		"authorizationEndpoint",
	);
	const params = url.searchParams;
	for (const [key, value] of Object.entries(input.extraParams ?? {})) {
		params.set(key, value);
	}
	params.set("response_type", "code");
	params.set("client_id", input.clientId);
	params.set("redirect_uri", input.redirectUri);
	if (input.scopes.length > 0) {
		params.set("scope", input.scopes.join(input.scopeSeparator ?? " "));
	}
	params.set("state", input.state);
	if (input.codeChallenge !== undefined) {
		params.set("code_challenge", input.codeChallenge);
		params.set("code_challenge_method", "S256");
	}
	if (input.nonce !== undefined) params.set("nonce", input.nonce);
	return url;
}

import { applyClientAuth, type ClientCredentials } from "./client-auth.ts";
import { endpointUrl, type ProviderEndpoints } from "./endpoints.ts";

/** A form POST with the client's credentials, shared by token and revocation requests. */
export function buildClientFormRequest(
	url: URL,
	client: ClientCredentials,
	params: Readonly<Record<string, string>>,
): Request {
	const body = new URLSearchParams(params);
	const headers = new Headers({
		"content-type": "application/x-www-form-urlencoded",
		// GitHub answers form-encoded unless asked for JSON.
		accept: "application/json",
	});
	applyClientAuth(client, headers, body);
	// A token endpoint that redirects is misbehaving; following it could leak credentials.
	return new Request(url, {
		method: "POST",
		headers,
		body,
		redirect: "manual",
	});
}

export interface AuthorizationCodeRequestInput {
	endpoints: Pick<ProviderEndpoints, "tokenEndpoint">;
	client: ClientCredentials;
	code: string;
	/** Must equal the one sent in the authorization request (RFC 6749 §4.1.3). */
	redirectUri: string;
	/** The PKCE verifier whose challenge went into the authorization URL. */
	codeVerifier?: string;
	extraParams?: Readonly<Record<string, string>>;
}

/** The authorization-code grant request (RFC 6749 §4.1.3, RFC 7636 §4.5). Pure. */
export function buildAuthorizationCodeRequest(
	input: AuthorizationCodeRequestInput,
): Request {
	const params: Record<string, string> = {
		...input.extraParams,
		grant_type: "authorization_code",
		code: input.code,
		redirect_uri: input.redirectUri,
	};
	if (input.codeVerifier !== undefined) {
		params.code_verifier = input.codeVerifier;
	}
	return buildClientFormRequest(
		endpointUrl(input.endpoints.tokenEndpoint, "tokenEndpoint"),
		input.client,
		params,
	);
}

export interface RefreshRequestInput {
	endpoints: Pick<ProviderEndpoints, "tokenEndpoint">;
	client: ClientCredentials;
	refreshToken: string;
	/** Narrows the new access token (RFC 6749 §6); omit to keep the granted scopes. */
	scopes?: readonly string[];
	/** Default " ". */
	scopeSeparator?: string;
	extraParams?: Readonly<Record<string, string>>;
}

/** The refresh-token grant request (RFC 6749 §6). Pure. */
export function buildRefreshRequest(input: RefreshRequestInput): Request {
	const params: Record<string, string> = {
		...input.extraParams,
		grant_type: "refresh_token",
		refresh_token: input.refreshToken,
	};
	if (input.scopes !== undefined && input.scopes.length > 0) {
		params.scope = input.scopes.join(input.scopeSeparator ?? " ");
	}
	return buildClientFormRequest(
		endpointUrl(input.endpoints.tokenEndpoint, "tokenEndpoint"),
		input.client,
		params,
	);
}

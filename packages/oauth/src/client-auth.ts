import { OAuthError } from "./errors.ts";

/**
 * How the client proves itself at the token and revocation endpoints (RFC 6749 §2.3.1).
 * `none` is for public clients, which rely on PKCE alone.
 */
export type ClientAuthMethod =
	| "client_secret_basic"
	| "client_secret_post"
	| "none";

export interface ClientCredentials {
	clientId: string;
	clientSecret?: string;
	/** Default `client_secret_basic`, the method every compliant server must support. */
	authMethod?: ClientAuthMethod;
}

// RFC 6749 §2.3.1 says id and secret are form-urlencoded before they are joined and base64'd;
// skipping this breaks secrets containing ':' or '%' at compliant servers.
function formEncode(value: string): string {
	return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Adds the client's credentials to a token or revocation request being built. */
export function applyClientAuth(
	client: ClientCredentials,
	headers: Headers,
	body: URLSearchParams,
): void {
	const method = client.authMethod ?? "client_secret_basic";
	if (method === "none") {
		body.set("client_id", client.clientId);
		return;
	}
	if (client.clientSecret === undefined || client.clientSecret === "") {
		throw new OAuthError(
			"MISSING_CLIENT_SECRET",
			`${method} needs a client secret`,
		);
	}
	if (method === "client_secret_post") {
		body.set("client_id", client.clientId);
		body.set("client_secret", client.clientSecret);
		return;
	}
	// After form-encoding the pair is plain ASCII, so btoa is safe.
	const pair = `${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`;
	headers.set("authorization", `Basic ${btoa(pair)}`);
}

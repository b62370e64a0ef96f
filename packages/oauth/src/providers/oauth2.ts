import { readStandardClaims } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/**
 * Any OAuth 2.0 server, configured with explicit endpoints (`authorizationEndpoint`,
 * `tokenEndpoint`, optional `revocationEndpoint` and `userinfoEndpoint`) in the provider config.
 */
export const oauth2: CatalogEntry = {
	type: "oauth2",
	displayName: "OAuth 2.0",
	protocol: "oauth2",
	endpoints: {},
	defaultScopes: [],
	scopeSeparator: " ",
	offlineAccess: {},
	// RFC 6749 §3.1 makes servers ignore unknown parameters, so sending PKCE is always safe.
	pkce: true,
	clientAuth: "client_secret_basic",
	// Used when the config names a revocationEndpoint; without one there is nothing to call.
	revocation: { method: "rfc7009" },
	profile: {
		// Deliberately empty: there is no fixed URL. The server requests the provider config's
		// `userinfoEndpoint` (buildProfileRequest({ url: config.userinfoEndpoint, … })) and
		// passes the JSON answer to `read`, which takes `sub`, or `id` for servers that are not
		// OIDC, plus `email`, `email_verified` and `name`.
		url: "",
		read: readStandardClaims,
	},
};

import type { CatalogEntry } from "./types.ts";

/**
 * Any OpenID Connect provider, configured by `issuer`: every endpoint comes from its discovery
 * document. Revocation uses the discovered `revocation_endpoint`; a provider that lists none
 * cannot revoke. Offline access differs between providers (`offline_access`, `access_type`,
 * nothing), so it is left to the config's scopes and extra params.
 */
export const oidc: CatalogEntry = {
	type: "oidc",
	displayName: "OpenID Connect",
	protocol: "oidc",
	endpoints: {},
	defaultScopes: ["openid", "email", "profile"],
	scopeSeparator: " ",
	offlineAccess: {},
	loginHintParam: "login_hint",
	// RFC 6749 §3.1 makes servers ignore unknown parameters, so sending PKCE is always safe.
	pkce: true,
	clientAuth: "client_secret_basic",
	revocation: { method: "rfc7009" },
};

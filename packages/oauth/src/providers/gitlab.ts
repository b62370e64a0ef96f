import { readStandardClaims } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/**
 * GitLab.com (OpenID Connect). A self-managed instance sets `issuer` (its base URL) in the
 * config; the config's issuer and discovered endpoints then replace these gitlab.com defaults.
 */
export const gitlab: CatalogEntry = {
	type: "gitlab",
	displayName: "GitLab",
	protocol: "oidc",
	issuer: "https://gitlab.com",
	endpoints: {
		issuer: "https://gitlab.com",
		authorizationEndpoint: "https://gitlab.com/oauth/authorize",
		tokenEndpoint: "https://gitlab.com/oauth/token",
		revocationEndpoint: "https://gitlab.com/oauth/revoke",
		userinfoEndpoint: "https://gitlab.com/oauth/userinfo",
		jwksUri: "https://gitlab.com/oauth/discovery/keys",
	},
	defaultScopes: ["openid", "profile", "email"],
	scopeSeparator: " ",
	// Access tokens expire after two hours and every grant comes with a (rotating) refresh
	// token; there is no offline scope to ask for.
	offlineAccess: {},
	pkce: true,
	clientAuth: "client_secret_basic",
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://gitlab.com/oauth/userinfo",
		read: readStandardClaims,
	},
};

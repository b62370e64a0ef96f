import { readStandardClaims } from "./profile-fields.ts";
import { spaceJoinedScope } from "./token-quirks.ts";
import type { CatalogEntry } from "./types.ts";

/** LinkedIn ("Sign In with LinkedIn using OpenID Connect"). */
export const linkedin: CatalogEntry = {
	type: "linkedin",
	displayName: "LinkedIn",
	protocol: "oidc",
	// Not the host root: LinkedIn publishes discovery under /oauth.
	issuer: "https://www.linkedin.com/oauth",
	endpoints: {
		issuer: "https://www.linkedin.com/oauth",
		authorizationEndpoint: "https://www.linkedin.com/oauth/v2/authorization",
		tokenEndpoint: "https://www.linkedin.com/oauth/v2/accessToken",
		userinfoEndpoint: "https://api.linkedin.com/v2/userinfo",
		jwksUri: "https://www.linkedin.com/oauth/openid/jwks",
	},
	defaultScopes: ["openid", "profile", "email"],
	scopeSeparator: " ",
	// The granted scope has been seen comma-joined (`email,openid,profile`); spaces either way.
	adaptTokenBody: spaceJoinedScope,
	// Refresh tokens go only to approved partners; everyone else gets a 60-day access token
	// and must send the user through consent again.
	offlineAccess: {},
	// LinkedIn offers PKCE only to native clients it has enabled.
	pkce: false,
	// LinkedIn reads the client credentials from the form body.
	clientAuth: "client_secret_post",
	revocation: { method: "none" },
	profile: {
		url: "https://api.linkedin.com/v2/userinfo",
		read: readStandardClaims,
	},
};

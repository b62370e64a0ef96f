import { readStandardClaims } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

// Twitch returns no email or username unless they are asked for by name (OIDC Core §5.5);
// the email also needs the user:read:email scope.
const claims = JSON.stringify({
	id_token: { email: null, email_verified: null, preferred_username: null },
	userinfo: { email: null, email_verified: null, preferred_username: null },
});

/** Twitch (OpenID Connect). */
export const twitch: CatalogEntry = {
	type: "twitch",
	displayName: "Twitch",
	protocol: "oidc",
	issuer: "https://id.twitch.tv/oauth2",
	endpoints: {
		issuer: "https://id.twitch.tv/oauth2",
		authorizationEndpoint: "https://id.twitch.tv/oauth2/authorize",
		tokenEndpoint: "https://id.twitch.tv/oauth2/token",
		revocationEndpoint: "https://id.twitch.tv/oauth2/revoke",
		userinfoEndpoint: "https://id.twitch.tv/oauth2/userinfo",
		jwksUri: "https://id.twitch.tv/oauth2/keys",
	},
	defaultScopes: ["openid", "user:read:email"],
	// Requested space-separated; granted as a JSON array, which processTokenResponse joins.
	scopeSeparator: " ",
	authorizationParams: { claims },
	// Every authorization-code grant includes a refresh token.
	offlineAccess: {},
	// Not documented for the authorization-code flow.
	pkce: false,
	// Twitch wants client_id and client_secret as form fields.
	clientAuth: "client_secret_post",
	// A dead refresh token comes back as 400 {"error": "Bad Request", "status": 400,
	// "message": "Invalid refresh token"}: the HTTP reason phrase stands in for an OAuth code.
	errorKinds: { "Bad Request": "permanent" },
	// RFC 7009-shaped (form POST with client_id and token). Revoking an already invalid token
	// answers 400 {"message": "Invalid token"} without an OAuth error code.
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://id.twitch.tv/oauth2/userinfo",
		read: readStandardClaims,
	},
};

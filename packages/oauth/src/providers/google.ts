import { readStandardClaims } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

// Google grants the short OIDC scopes under their long names: a request for `email` comes back
// as `https://www.googleapis.com/auth/userinfo.email` in the token response's `scope`.
const longScopeNames: ReadonlyMap<string, string> = new Map([
	["email", "https://www.googleapis.com/auth/userinfo.email"],
	["profile", "https://www.googleapis.com/auth/userinfo.profile"],
]);

/** Google (OpenID Connect). */
export const google: CatalogEntry = {
	type: "google",
	displayName: "Google",
	protocol: "oidc",
	issuer: "https://accounts.google.com",
	endpoints: {
		issuer: "https://accounts.google.com",
		authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
		tokenEndpoint: "https://oauth2.googleapis.com/token",
		revocationEndpoint: "https://oauth2.googleapis.com/revoke",
		userinfoEndpoint: "https://openidconnect.googleapis.com/v1/userinfo",
		jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
	},
	defaultScopes: ["openid", "email", "profile"],
	scopeSeparator: " ",
	normalizeScope: (scope) => longScopeNames.get(scope) ?? scope,
	offlineAccess: {
		// Google issues a refresh token only for access_type=offline, and only on a consent
		// screen; forcing consent on every sign-in would nag users, so it is asked for only
		// while Tether holds no refresh token for the account.
		params: { access_type: "offline" },
		paramsWhenNoRefreshToken: { prompt: "consent" },
	},
	// Without it, a token for newly added scopes would lose the ones granted before.
	incrementalConsentParams: { include_granted_scopes: "true" },
	loginHintParam: "login_hint",
	pkce: true,
	clientAuth: "client_secret_basic",
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://openidconnect.googleapis.com/v1/userinfo",
		read: readStandardClaims,
	},
};

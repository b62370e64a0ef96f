import type { CatalogEntry } from "./types.ts";

/**
 * Sign in with Apple (OpenID Connect). Identity comes only from the ID token: Apple has no
 * userinfo endpoint, its `email_verified` claim may be the string "true" (readStandardClaims
 * accepts both), and the user's name is sent once, in the `user` form field of the very first
 * authorization's callback, never again.
 */
export const apple: CatalogEntry = {
	type: "apple",
	displayName: "Apple",
	protocol: "oidc",
	issuer: "https://appleid.apple.com",
	endpoints: {
		issuer: "https://appleid.apple.com",
		authorizationEndpoint: "https://appleid.apple.com/auth/authorize",
		tokenEndpoint: "https://appleid.apple.com/auth/token",
		revocationEndpoint: "https://appleid.apple.com/auth/revoke",
		jwksUri: "https://appleid.apple.com/auth/keys",
	},
	defaultScopes: ["name", "email"],
	scopeSeparator: " ",
	// Apple requires form_post whenever scopes are requested: the callback is a POST.
	responseMode: "form_post",
	// The code grant returns a refresh token that does not expire; refreshing yields only a new
	// access token and ID token.
	offlineAccess: {},
	pkce: false,
	clientAuth: "client_secret_post",
	// The client secret is an ES256 JWT signed with the team's key, valid for at most 6 months.
	clientSecretJwt: true,
	// RFC 7009-shaped: client_id, client_secret, token and token_type_hint in the form body.
	revocation: { method: "rfc7009" },
};

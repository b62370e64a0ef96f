import { idText, objectField, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/** X, formerly Twitter (OAuth 2.0 authorization code with PKCE). */
export const x: CatalogEntry = {
	type: "x",
	displayName: "X",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://x.com/i/oauth2/authorize",
		tokenEndpoint: "https://api.x.com/2/oauth2/token",
		revocationEndpoint: "https://api.x.com/2/oauth2/revoke",
	},
	defaultScopes: ["tweet.read", "users.read"],
	scopeSeparator: " ",
	// Access tokens last two hours; only this scope brings a refresh token.
	offlineAccess: { scopes: ["offline.access"] },
	// X rejects authorization requests without a code challenge.
	pkce: true,
	// Confidential clients authenticate with Basic at the token endpoints.
	clientAuth: "client_secret_basic",
	// X answers a dead or already-used refresh token with invalid_request ("Value passed for
	// the token was invalid"), not invalid_grant.
	errorKinds: { invalid_request: "permanent" },
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://api.x.com/2/users/me",
		// The user sits under `data`; X shares no email with the standard scopes.
		read: (body) => {
			const user = objectField(body.data);
			const id = idText(user?.id);
			if (user === undefined || id === undefined) return null;
			return {
				id,
				emailVerified: false,
				name: text(user.name) ?? text(user.username),
			};
		},
	},
};

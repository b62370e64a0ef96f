import { text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/** Zoom (OAuth 2.0, user-managed apps). */
export const zoom: CatalogEntry = {
	type: "zoom",
	displayName: "Zoom",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://zoom.us/oauth/authorize",
		tokenEndpoint: "https://zoom.us/oauth/token",
		revocationEndpoint: "https://zoom.us/oauth/revoke",
	},
	// Scopes are chosen on the Marketplace app; an authorization request without `scope`
	// gets all of them.
	defaultScopes: [],
	scopeSeparator: " ",
	// Access tokens last an hour; each refresh returns a new refresh token and retires the old
	// one. A dead one is answered 400 {"reason": "Invalid Token!", "error": "invalid_grant"}.
	offlineAccess: {},
	pkce: true,
	// Zoom wants Basic client auth at the token and revoke endpoints.
	clientAuth: "client_secret_basic",
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://api.zoom.us/v2/users/me",
		// `verified` is 1 once the user confirmed their email address.
		read: (body) => {
			const id = text(body.id);
			if (id === undefined) return null;
			const email = text(body.email);
			const fullName = [text(body.first_name), text(body.last_name)]
				.filter((part) => part !== undefined)
				.join(" ");
			return {
				id,
				email,
				emailVerified: email !== undefined && body.verified === 1,
				name: text(body.display_name) ?? text(fullName),
			};
		},
	},
};

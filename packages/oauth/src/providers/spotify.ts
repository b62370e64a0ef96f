import { idText, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/** Spotify (OAuth 2.0). */
export const spotify: CatalogEntry = {
	type: "spotify",
	displayName: "Spotify",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://accounts.spotify.com/authorize",
		tokenEndpoint: "https://accounts.spotify.com/api/token",
	},
	defaultScopes: ["user-read-email", "user-read-private"],
	scopeSeparator: " ",
	// Code grants always include a refresh token; a refresh may omit a new one (keep the old).
	offlineAccess: {},
	pkce: true,
	clientAuth: "client_secret_basic",
	// Spotify offers no revocation API; users remove apps from their account page.
	revocation: { method: "none" },
	profile: {
		url: "https://api.spotify.com/v1/me",
		// Spotify says the account email is not verified, so it never counts as verified.
		read: (body) => {
			const id = idText(body.id);
			if (id === undefined) return null;
			return {
				id,
				email: text(body.email),
				emailVerified: false,
				name: text(body.display_name),
			};
		},
	},
};

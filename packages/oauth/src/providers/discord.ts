import { idText, isTrue, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/** Discord (OAuth 2.0; its RFC 8414 metadata lists S256 PKCE and an RFC 7009 endpoint). */
export const discord: CatalogEntry = {
	type: "discord",
	displayName: "Discord",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://discord.com/oauth2/authorize",
		tokenEndpoint: "https://discord.com/api/oauth2/token",
		revocationEndpoint: "https://discord.com/api/oauth2/token/revoke",
	},
	defaultScopes: ["identify", "email"],
	scopeSeparator: " ",
	// Every code grant returns a refresh token; access tokens last about a week.
	offlineAccess: {},
	pkce: true,
	clientAuth: "client_secret_basic",
	revocation: { method: "rfc7009" },
	profile: {
		url: "https://discord.com/api/users/@me",
		// `id` is a snowflake string; `verified` is about the account's email address and is
		// only present with the `email` scope. `global_name` is the display name, `username`
		// the unique handle.
		read: (body) => {
			const id = idText(body.id);
			if (id === undefined) return null;
			const email = text(body.email);
			return {
				id,
				email,
				emailVerified: email !== undefined && isTrue(body.verified),
				name: text(body.global_name) ?? text(body.username),
			};
		},
	},
};

import type { JsonObject } from "../response-body.ts";
import { isTrue, objectField, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

// Bitbucket names the granted scopes `scopes` (plural) in its token response.
function grantedScopes(body: JsonObject): JsonObject {
	if (body.scope !== undefined || typeof body.scopes !== "string") return body;
	return { ...body, scope: body.scopes };
}

/** Bitbucket Cloud (OAuth 2.0). */
export const bitbucket: CatalogEntry = {
	type: "bitbucket",
	displayName: "Bitbucket",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://bitbucket.org/site/oauth2/authorize",
		tokenEndpoint: "https://bitbucket.org/site/oauth2/access_token",
	},
	// Permissions are ticked on the OAuth consumer itself and every token gets all of them;
	// the authorization request does not choose scopes.
	defaultScopes: [],
	scopeSeparator: " ",
	adaptTokenBody: grantedScopes,
	// Access tokens last two hours and always come with a refresh token.
	offlineAccess: {},
	pkce: false,
	clientAuth: "client_secret_basic",
	// Bitbucket Cloud documents no token revocation endpoint.
	revocation: { method: "none" },
	profile: {
		url: "https://api.bitbucket.org/2.0/user",
		// `uuid` ("{…}") is the stable id; `username` can be changed by the user.
		read: (body) => {
			const id = text(body.uuid);
			if (id === undefined) return null;
			return {
				id,
				emailVerified: false,
				name: text(body.display_name) ?? text(body.username),
			};
		},
		// The account's addresses, one page of `values`; the primary one is the email.
		emails: {
			url: "https://api.bitbucket.org/2.0/user/emails",
			read: (body) => {
				const values = objectField(body)?.values;
				if (!Array.isArray(values)) return null;
				for (const item of values) {
					const entry = objectField(item);
					const email = text(entry?.email);
					if (entry && email && entry.is_primary === true) {
						return { email, verified: isTrue(entry.is_confirmed) };
					}
				}
				return null;
			},
		},
	},
};

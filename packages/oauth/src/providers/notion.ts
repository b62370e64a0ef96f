import { OAuthError } from "../errors.ts";
import { objectField, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

// Every Notion API call names the API version it was written against.
const notionVersion = { "notion-version": "2022-06-28" };

/**
 * Notion public integrations (OAuth 2.0). Notion documents its token call as Basic client auth
 * with a JSON body; its token endpoint also takes the RFC 6749 form body Tether sends.
 */
export const notion: CatalogEntry = {
	type: "notion",
	displayName: "Notion",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://api.notion.com/v1/oauth/authorize",
		tokenEndpoint: "https://api.notion.com/v1/oauth/token",
	},
	// Capabilities are set on the integration and pages are picked by the user; no scopes.
	defaultScopes: [],
	scopeSeparator: " ",
	// Required: the integration is installed for the user rather than the whole workspace.
	authorizationParams: { owner: "user" },
	// Public-integration tokens come without expires_in and, usually, without a refresh token:
	// they last until the user removes the integration.
	offlineAccess: {},
	pkce: false,
	clientAuth: "client_secret_basic",
	tokensMayNotExpire: true,
	revocation: {
		// Notion's own revoke call: Basic client auth and a JSON body.
		method: "custom",
		build: ({ token, clientId, clientSecret }) => {
			if (clientSecret === undefined || clientSecret === "") {
				throw new OAuthError(
					"MISSING_CLIENT_SECRET",
					"Notion revocation needs the client secret",
				);
			}
			return new Request("https://api.notion.com/v1/oauth/revoke", {
				method: "POST",
				headers: {
					...notionVersion,
					authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
					"content-type": "application/json",
				},
				body: JSON.stringify({ token }),
				redirect: "manual",
			});
		},
		okStatuses: [200],
	},
	profile: {
		// The token's bot user; the person who installed it is its owner. That person's id is
		// the account id, so one person connecting several workspaces updates one account.
		url: "https://api.notion.com/v1/users/me",
		headers: notionVersion,
		read: (body) => {
			const owner = objectField(objectField(body.bot)?.owner);
			const user = objectField(owner?.user);
			const id = text(user?.id);
			if (user === undefined || id === undefined) return null;
			return {
				id,
				email: text(objectField(user.person)?.email),
				emailVerified: false,
				name: text(user.name),
			};
		},
	},
};

import { isTrue, objectField, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

/** Dropbox (OAuth 2.0 with scoped apps). */
export const dropbox: CatalogEntry = {
	type: "dropbox",
	displayName: "Dropbox",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://www.dropbox.com/oauth2/authorize",
		tokenEndpoint: "https://api.dropboxapi.com/oauth2/token",
	},
	defaultScopes: ["account_info.read"],
	scopeSeparator: " ",
	// Access tokens last four hours; without this parameter no refresh token is issued.
	offlineAccess: { params: { token_access_type: "offline" } },
	pkce: true,
	clientAuth: "client_secret_basic",
	revocation: {
		// Dropbox's own call: the token to revoke authenticates the request, and revoking an
		// access token also revokes its refresh token. It needs a live access token, so the
		// caller refreshes an expired one first.
		method: "custom",
		build: ({ token }) =>
			new Request("https://api.dropboxapi.com/2/auth/token/revoke", {
				method: "POST",
				headers: { authorization: `Bearer ${token}` },
				redirect: "manual",
			}),
		okStatuses: [200],
	},
	profile: {
		// An RPC endpoint: Dropbox refuses GET, and with no arguments the POST carries neither a
		// body nor a Content-Type.
		url: "https://api.dropboxapi.com/2/users/get_current_account",
		method: "POST",
		read: (body) => {
			const id = text(body.account_id);
			if (id === undefined) return null;
			const email = text(body.email);
			return {
				id,
				email,
				emailVerified: email !== undefined && isTrue(body.email_verified),
				name: text(objectField(body.name)?.display_name),
			};
		},
	},
};

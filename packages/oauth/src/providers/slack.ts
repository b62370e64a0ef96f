import type { JsonObject } from "../response-body.ts";
import { objectField, readStandardClaims } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

// oauth.v2.access answers an install with the bot token at the top level and the user's token
// nested in `authed_user`. Tether acts for users, so the nested token is the one to keep; a
// refresh of a user token answers at the top level and passes through unchanged.
function userToken(body: JsonObject): JsonObject {
	const user = objectField(body.authed_user);
	if (user === undefined || typeof user.access_token !== "string") return body;
	return { ...user, ok: body.ok };
}

/** Slack (OAuth 2.0 v2 flow with user-token scopes). */
export const slack: CatalogEntry = {
	type: "slack",
	displayName: "Slack",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://slack.com/oauth/v2/authorize",
		tokenEndpoint: "https://slack.com/api/oauth.v2.access",
	},
	// The OpenID scopes make openid.connect.userInfo usable for the account id and email.
	defaultScopes: ["openid", "email", "profile"],
	scopeSeparator: ",",
	// `scope` would ask for a bot token; user-token scopes go in `user_scope`.
	scopeParam: "user_scope",
	// Refresh tokens exist only when the app turned on token rotation (access tokens then last
	// 12 hours); otherwise the user token never expires.
	offlineAccess: {},
	pkce: true,
	// Slack asks for Basic rather than credentials in the body.
	clientAuth: "client_secret_basic",
	adaptTokenBody: userToken,
	// Slack answers errors as 200 {"ok": false, "error": …}; invalid_refresh_token is in the
	// default table, and these mean our app credentials are wrong.
	errorKinds: {
		invalid_client_id: "misconfigured",
		bad_client_secret: "misconfigured",
		bad_redirect_uri: "misconfigured",
	},
	tokensMayNotExpire: true,
	revocation: {
		// auth.revoke is Slack's own API: the token to revoke is the bearer. It answers 200
		// even for errors, and the only likely one (invalid_auth) means the token is gone.
		method: "custom",
		build: ({ token }) =>
			new Request("https://slack.com/api/auth.revoke", {
				method: "POST",
				headers: { authorization: `Bearer ${token}` },
				redirect: "manual",
			}),
		okStatuses: [200],
	},
	profile: {
		// `sub` is the Slack user id; `https://slack.com/team_id` names the workspace.
		url: "https://slack.com/api/openid.connect.userInfo",
		read: readStandardClaims,
	},
};

import type { JsonObject } from "../response-body.ts";
import { idText, objectField, text } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

const graph = "https://graph.facebook.com/v23.0";

// Graph API error codes that mean "slow down" or "try later" (rate limits, temporary outage).
const retryLaterCodes = new Set([1, 2, 4, 17, 32, 341, 613]);

// Facebook reports failures as {"error": {"message", "type", "code"}} rather than an OAuth error
// string; turn that into RFC 6749 §5.2 fields so the failure is classified instead of unreadable.
function oauthError(body: JsonObject): JsonObject {
	const error = objectField(body.error);
	if (error === undefined) return body;
	const code = error.code;
	return {
		error:
			typeof code === "number" && retryLaterCodes.has(code)
				? "temporarily_unavailable"
				: (text(error.type) ?? "OAuthException"),
		error_description: text(error.message),
	};
}

/**
 * Facebook Login (OAuth 2.0 over the Graph API). There are no refresh tokens: a user token lasts
 * about 60 days and then the user must sign in again. Swapping short-lived tokens for long-lived
 * ones (`fb_exchange_token`) is out of scope here.
 */
export const facebook: CatalogEntry = {
	type: "facebook",
	displayName: "Facebook",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://www.facebook.com/v23.0/dialog/oauth",
		tokenEndpoint: `${graph}/oauth/access_token`,
	},
	defaultScopes: ["email", "public_profile"],
	// Facebook documents permissions comma-separated.
	scopeSeparator: ",",
	offlineAccess: {},
	pkce: false,
	// Graph reads client_id and client_secret as parameters; it does not take Basic.
	clientAuth: "client_secret_post",
	adaptTokenBody: oauthError,
	// Expired or used codes come back as OAuthException: the grant is finished.
	errorKinds: { OAuthException: "permanent" },
	revocation: {
		// Deleting the app's permissions logs the user out of the app and invalidates its tokens.
		method: "custom",
		build: ({ token }) =>
			new Request(`${graph}/me/permissions`, {
				method: "DELETE",
				headers: { authorization: `Bearer ${token}` },
				redirect: "manual",
			}),
		okStatuses: [200],
	},
	profile: {
		url: `${graph}/me?fields=id,name,email`,
		// Facebook says nothing about how it checked the email, so it is not taken as verified.
		read: (body) => {
			const id = idText(body.id);
			if (id === undefined) return null;
			return {
				id,
				email: text(body.email),
				emailVerified: false,
				name: text(body.name),
			};
		},
	},
};

import { OAuthError } from "../errors.ts";
import { idText, isTrue, objectField, text } from "./profile-fields.ts";
import { spaceJoinedScope } from "./token-quirks.ts";
import type { CatalogEntry } from "./types.ts";

const apiHeaders = {
	accept: "application/vnd.github+json",
	"x-github-api-version": "2022-11-28",
	// GitHub's REST API refuses requests without a User-Agent.
	"user-agent": "Tether",
};

/** GitHub OAuth apps and GitHub Apps acting for a user (plain OAuth 2.0). */
export const github: CatalogEntry = {
	type: "github",
	displayName: "GitHub",
	protocol: "oauth2",
	endpoints: {
		authorizationEndpoint: "https://github.com/login/oauth/authorize",
		tokenEndpoint: "https://github.com/login/oauth/access_token",
	},
	defaultScopes: ["read:user", "user:email"],
	// Requested space-separated; granted comma-joined (`repo,gist`), which adaptTokenBody fixes.
	scopeSeparator: " ",
	// GitHub grants the wider scope when asked for both, so the narrower one is never echoed.
	scopeImplies: {
		repo: [
			"repo:status",
			"repo_deployment",
			"public_repo",
			"repo:invite",
			"security_events",
		],
		user: ["read:user", "user:email", "user:follow"],
		"admin:org": ["write:org", "read:org"],
		"write:org": ["read:org"],
		"admin:public_key": ["write:public_key", "read:public_key"],
		"write:public_key": ["read:public_key"],
		"admin:repo_hook": ["write:repo_hook", "read:repo_hook"],
		"write:repo_hook": ["read:repo_hook"],
		"admin:gpg_key": ["write:gpg_key", "read:gpg_key"],
		"write:gpg_key": ["read:gpg_key"],
		"write:packages": ["read:packages"],
		project: ["read:project"],
	},
	// OAuth-app tokens last until revoked; GitHub Apps with expiring user tokens send a refresh
	// token and expires_in, which the generic steps handle.
	offlineAccess: {},
	loginHintParam: "login",
	// Supported (S256 only) since July 2025.
	pkce: true,
	clientAuth: "client_secret_post",
	// Without it GitHub answers form-encoded, and it reports failures as 200 + {"error": …}.
	tokenHeaders: { accept: "application/json" },
	adaptTokenBody: spaceJoinedScope,
	errorKinds: {
		bad_refresh_token: "permanent",
		bad_verification_code: "permanent",
		incorrect_client_credentials: "misconfigured",
	},
	tokensMayNotExpire: true,
	revocation: {
		// GitHub has no RFC 7009 endpoint. Deleting the grant revokes every token the user gave
		// this app, authenticated as the app itself (Basic) with the token in a JSON body.
		method: "custom",
		build: ({ token, clientId, clientSecret }) => {
			if (clientSecret === undefined || clientSecret === "") {
				throw new OAuthError(
					"MISSING_CLIENT_SECRET",
					"GitHub revocation needs the client secret",
				);
			}
			const url = `https://api.github.com/applications/${encodeURIComponent(clientId)}/grant`;
			return new Request(url, {
				method: "DELETE",
				headers: {
					...apiHeaders,
					authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
					"content-type": "application/json",
				},
				body: JSON.stringify({ access_token: token }),
				redirect: "manual",
			});
		},
		okStatuses: [204],
	},
	profile: {
		url: "https://api.github.com/user",
		headers: apiHeaders,
		// `email` here is the public profile email, which may be absent or unverified: the
		// verified primary address comes from /user/emails.
		read: (body) => {
			const id = idText(body.id);
			if (id === undefined) return null;
			return {
				id,
				email: text(body.email),
				emailVerified: false,
				name: text(body.name) ?? text(body.login),
			};
		},
		emails: {
			url: "https://api.github.com/user/emails",
			read: (body) => {
				if (!Array.isArray(body)) return null;
				for (const item of body) {
					const entry = objectField(item);
					const email = text(entry?.email);
					if (entry && email && entry.primary === true) {
						return { email, verified: isTrue(entry.verified) };
					}
				}
				return null;
			},
		},
	},
};

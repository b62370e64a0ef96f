import { readClaimsUnverified } from "./profile-fields.ts";
import type { CatalogEntry } from "./types.ts";

const graphPrefix = "https://graph.microsoft.com/";

/**
 * Microsoft identity platform v2.0 (Entra ID work/school and personal accounts), OpenID Connect.
 *
 * Endpoints default to the multi-tenant `common` authority. Its discovery document
 * (https://login.microsoftonline.com/common/v2.0) names the issuer with a literal `{tenantid}`,
 * which never equals the `iss` of a real ID token; that is why there is no fixed `issuer` and
 * `issuerTemplate` stands in for it: each ID token must carry the issuer of its own `tid`. For a single tenant, the config sets `issuer` to
 * `https://login.microsoftonline.com/<tenant-id>/v2.0`, and that tenant's authorization and
 * token endpoints so that other tenants are turned away before they consent.
 *
 * Token responses also carry `ext_expires_in`, a longer lifetime Entra honours only during its
 * own outages; `expires_in` is the one to plan refreshes by.
 */
export const microsoft: CatalogEntry = {
	type: "microsoft",
	displayName: "Microsoft",
	protocol: "oidc",
	issuerTemplate: "https://login.microsoftonline.com/{tenantid}/v2.0",
	endpoints: {
		authorizationEndpoint:
			"https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		tokenEndpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		userinfoEndpoint: "https://graph.microsoft.com/oidc/userinfo",
		jwksUri: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
	},
	defaultScopes: ["openid", "profile", "email"],
	scopeSeparator: " ",
	// Entra compares scopes case-insensitively and treats Graph's bare permission names
	// (`User.Read`) as short for `https://graph.microsoft.com/User.Read`.
	normalizeScope: (scope) => {
		const lower = scope.toLowerCase();
		return lower.startsWith(graphPrefix)
			? lower.slice(graphPrefix.length)
			: lower;
	},
	// No refresh token without it; it is never echoed in the granted `scope`.
	offlineAccess: { scopes: ["offline_access"] },
	loginHintParam: "login_hint",
	pkce: true,
	clientAuth: "client_secret_post",
	// Entra has no RFC 7009 endpoint; Graph's revokeSignInSessions would sign the user out of
	// every app, which unlinking one account must not do.
	revocation: { method: "none" },
	profile: {
		url: "https://graph.microsoft.com/oidc/userinfo",
		// The `email` claim is whatever the tenant admin typed and is not verified (the "nOAuth"
		// account-takeover class), so it never counts as verified.
		read: readClaimsUnverified,
	},
};

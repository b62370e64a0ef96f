import { randomBytes } from "node:crypto";
import type { Configuration } from "oidc-provider";
import { unboundedMemoryAdapter } from "./unbounded-store.ts";

const BASE_SCOPES = ["openid", "email", "profile", "offline_access"];

export function defaultClaims(accountId: string): Record<string, unknown> {
	return {
		email: `${accountId}@upstream.test`,
		email_verified: true,
		name: accountId.charAt(0).toUpperCase() + accountId.slice(1),
		preferred_username: accountId,
	};
}

async function signingKey(): Promise<Record<string, unknown>> {
	// RS256 because it is the ID-token algorithm clients get by default.
	const pair = await crypto.subtle.generateKey(
		{
			name: "RSASSA-PKCS1-v1_5",
			modulusLength: 2048,
			publicExponent: new Uint8Array([1, 0, 1]),
			hash: "SHA-256",
		},
		true,
		["sign", "verify"],
	);
	// WebCrypto exports `key_ops: ["sign"]`, which oidc-provider copies into the public JWKS;
	// verifiers (jose) then refuse the key for "verify". Drop it with `ext`.
	const {
		key_ops: _keyOps,
		ext: _ext,
		...jwk
	} = await crypto.subtle.exportKey("jwk", pair.privateKey);
	return { ...jwk, kid: "upstream-1", alg: "RS256", use: "sig" };
}

/**
 * oidc-provider set up like a strict production provider. Every option whose default would
 * print a "you SHOULD/MUST change this" notice at runtime is set here on purpose.
 */
export async function providerConfiguration(input: {
	accessTokenTtlSeconds: number;
	extraScopes: readonly string[];
	accountClaims: (accountId: string) => Record<string, unknown>;
}): Promise<Configuration> {
	return {
		// Not the default LRU, which forgets grants once a run has made a thousand entries.
		adapter: unboundedMemoryAdapter(0),
		jwks: { keys: [await signingKey()] },
		cookies: { keys: [randomBytes(32).toString("base64url")] },
		async findAccount(_ctx, sub) {
			return {
				accountId: sub,
				claims: () => ({ ...input.accountClaims(sub), sub }),
			};
		},
		claims: {
			email: ["email", "email_verified"],
			profile: ["name", "preferred_username"],
		},
		// A scope listed here is one oidc-provider asks consent for, records in the grant and
		// puts into the access token — and so into the token response's `scope`.
		scopes: [...new Set([...BASE_SCOPES, ...input.extraScopes])],
		features: {
			devInteractions: { enabled: false },
			revocation: { enabled: true, allowedPolicy: () => true },
			userinfo: { enabled: true },
			rpInitiatedLogout: { enabled: false },
			// Off, so scopes stay plain OIDC scopes on an opaque token for userinfo, as at
			// most real providers, instead of being split per resource server.
			resourceIndicators: { enabled: false },
		},
		interactions: {
			url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
		},
		// By default only `offline_access` with prompt=consent earns a refresh token.
		issueRefreshToken: () => true,
		// Each refresh returns a new refresh token; presenting a used one gets invalid_grant
		// and revokes the whole grant.
		rotateRefreshToken: true,
		// Refresh tokens outlive the provider's browser session, as at real providers.
		expiresWithSession: () => false,
		// Put scope claims (email, name) into the ID token too, as Google does.
		conformIdTokenClaims: false,
		// The default 15 s keeps just-expired tokens valid; tests need exact expiry.
		clockTolerance: 0,
		pkce: { required: () => true },
		ttl: {
			AccessToken: input.accessTokenTtlSeconds,
			AuthorizationCode: 60,
			IdToken: 3600,
			RefreshToken: 14 * 24 * 3600,
			Interaction: 600,
			Session: 24 * 3600,
			Grant: 14 * 24 * 3600,
		},
		renderError(ctx, out) {
			ctx.type = "text/plain";
			ctx.body = `${String(out.error)}: ${String(out.error_description ?? "")}`;
		},
		clientBasedCORS: () => false,
	};
}

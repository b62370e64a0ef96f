import {
	buildAuthorizationUrl,
	computeCodeChallenge,
	createRemoteJwks,
	discover,
	exchangeAuthorizationCode,
	fetchUserinfo,
	generateCodeVerifier,
	generateNonce,
	generateState,
	refreshTokens,
	revokeToken,
	type ServerMetadata,
	type TokenSet,
	validateAuthorizationResponse,
	validateIdToken,
} from "@tether/oauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize } from "./authorize.ts";
import { startUpstream, type Upstream } from "./start-upstream.ts";

const redirectUri = "http://127.0.0.1:1/v1/signin/provider/acme/callback";

interface Target {
	upstream: Upstream;
	metadata: ServerMetadata;
}

async function start(
	options: { accessTokenTtlSeconds?: number } = {},
): Promise<Target> {
	const upstream = await startUpstream({
		redirectUris: [redirectUri],
		extraScopes: ["read", "write", "drive.readonly"],
		...options,
	});
	const discovered = await discover(upstream.issuer);
	if (!discovered.ok) throw new Error(discovered.failure.error);
	return { upstream, metadata: discovered.metadata };
}

let upstream: Upstream;
let metadata: ServerMetadata;

beforeAll(async () => {
	({ upstream, metadata } = await start());
});

afterAll(() => upstream?.close());

function client(target: Target = { upstream, metadata }) {
	return {
		clientId: target.upstream.clientId,
		clientSecret: target.upstream.clientSecret,
	};
}

/** Runs the authorization-code + PKCE flow with @tether/oauth's steps, as the server will. */
async function signIn(
	account: string,
	scopes: string[],
	grantScopes?: string[],
	target: Target = { upstream, metadata },
): Promise<{ tokens: TokenSet; nonce: string }> {
	const { metadata } = target;
	const verifier = generateCodeVerifier();
	const state = generateState();
	const nonce = generateNonce();
	const url = buildAuthorizationUrl({
		endpoints: metadata,
		clientId: target.upstream.clientId,
		redirectUri,
		scopes,
		state,
		nonce,
		codeChallenge: await computeCodeChallenge(verifier),
	});
	const callback = await authorize(url, { account, grantScopes });
	expect(callback.origin + callback.pathname).toBe(redirectUri);
	const checked = validateAuthorizationResponse({
		response: callback,
		expectedState: state,
		expectedIssuer: metadata.issuer,
		requireIssuer: metadata.issParameterSupported,
	});
	if (!checked.ok) throw new Error(`callback refused: ${checked.problem}`);
	const result = await exchangeAuthorizationCode({
		endpoints: metadata,
		client: client(target),
		code: checked.code,
		redirectUri,
		codeVerifier: verifier,
	});
	if (!result.ok)
		throw new Error(`code exchange failed: ${result.failure.error}`);
	return { tokens: result.tokens, nonce };
}

describe("startUpstream", () => {
	it("advertises what Tether relies on", () => {
		expect(metadata.issParameterSupported).toBe(true);
		expect(metadata.codeChallengeMethodsSupported).toEqual(["S256"]);
		expect(metadata.revocationEndpoint).toBe(
			upstream.endpoints.revocationEndpoint,
		);
		expect(metadata.scopesSupported).toEqual(
			expect.arrayContaining([
				"openid",
				"offline_access",
				"read",
				"drive.readonly",
			]),
		);
	});

	it("runs code + PKCE, validates the ID token, and refreshes", async () => {
		upstream.resetCounters();
		const { tokens, nonce } = await signIn("alice", [
			"openid",
			"email",
			"offline_access",
			"read",
			"drive.readonly",
		]);
		expect(tokens.accessToken).not.toBe("");
		expect(tokens.refreshToken).toBeDefined();
		expect(tokens.expiresIn).toBe(3600);
		// offline_access only survives with prompt=consent (OIDC Core §11); the refresh token
		// comes anyway because the upstream always issues one.
		expect(tokens.scope?.split(" ").sort()).toEqual([
			"drive.readonly",
			"email",
			"openid",
			"read",
		]);

		const idToken = await validateIdToken({
			idToken: tokens.idToken ?? "",
			issuer: metadata.issuer,
			clientId: upstream.clientId,
			jwks: createRemoteJwks(metadata.jwksUri ?? ""),
			nonce,
			clockToleranceSeconds: 0,
		});
		expect(idToken).toMatchObject({
			ok: true,
			claims: { sub: "alice", email: "alice@upstream.test" },
		});

		const refreshed = await refreshTokens({
			endpoints: metadata,
			client: { ...client(), authMethod: "client_secret_post" },
			refreshToken: tokens.refreshToken ?? "",
		});
		expect(refreshed).toMatchObject({ ok: true });
		if (!refreshed.ok) return;
		expect(refreshed.tokens.accessToken).not.toBe(tokens.accessToken);
		expect(refreshed.tokens.refreshToken).toBeDefined();
		expect(refreshed.tokens.refreshToken).not.toBe(tokens.refreshToken);
		expect(refreshed.tokens.scope).toBe(tokens.scope);

		expect(upstream.counters.tokenRequests).toEqual({
			authorization_code: 1,
			refresh_token: 1,
			other: 0,
		});
		expect(upstream.counters.refreshSuccesses).toBe(1);
		expect(upstream.counters.invalidGrants).toBe(0);
	});

	it("signs in different users and honours unticked scopes", async () => {
		const { tokens } = await signIn(
			"bob",
			["openid", "email", "offline_access", "read", "write"],
			["email", "offline_access", "read"],
		);
		expect(tokens.scope?.split(" ").sort()).toEqual([
			"email",
			"openid",
			"read",
		]);
		expect(tokens.refreshToken).toBeDefined();
		const me = await fetchUserinfo({
			endpoints: metadata,
			accessToken: tokens.accessToken,
		});
		expect(me).toMatchObject({
			ok: true,
			claims: { sub: "bob", email: "bob@upstream.test" },
		});
	});

	it("revokes the whole grant when a rotated refresh token is reused", async () => {
		const { tokens } = await signIn("carol", ["openid", "email", "read"]);
		upstream.resetCounters();
		const r0 = tokens.refreshToken ?? "";
		const refresh = (refreshToken: string) =>
			refreshTokens({ endpoints: metadata, client: client(), refreshToken });

		const first = await refresh(r0);
		if (!first.ok) throw new Error(first.failure.error);
		const r1 = first.tokens.refreshToken ?? "";
		expect(r1).not.toBe(r0);

		const reuse = await refresh(r0);
		expect(reuse).toMatchObject({
			ok: false,
			failure: {
				kind: "permanent",
				source: "provider",
				error: "invalid_grant",
				status: 400,
			},
		});
		// Reuse detection revoked the grant: the newest refresh token and access token die too.
		expect(await refresh(r1)).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant" },
		});
		expect(
			await fetchUserinfo({
				endpoints: metadata,
				accessToken: first.tokens.accessToken,
			}),
		).toMatchObject({ ok: false, failure: { status: 401 } });

		expect(upstream.counters).toMatchObject({
			tokenRequests: { authorization_code: 0, refresh_token: 3, other: 0 },
			refreshSuccesses: 1,
			invalidGrants: 2,
			grantsRevoked: 1,
		});
	});

	it("revokes grants through RFC 7009 and from the test", async () => {
		const viaRfc = await signIn("dave", ["openid", "read"]);
		const fromTest = await signIn("erin", ["openid", "read"]);
		upstream.resetCounters();

		const revoked = await revokeToken({
			endpoints: metadata,
			client: client(),
			token: viaRfc.tokens.refreshToken ?? "",
			tokenTypeHint: "refresh_token",
		});
		expect(revoked).toEqual({ ok: true });
		expect(await upstream.revokeGrant({ account: "erin" })).toBe(1);

		for (const { tokens } of [viaRfc, fromTest]) {
			expect(
				await refreshTokens({
					endpoints: metadata,
					client: client(),
					refreshToken: tokens.refreshToken ?? "",
				}),
			).toMatchObject({
				ok: false,
				failure: { kind: "permanent", error: "invalid_grant" },
			});
		}
		expect(upstream.counters).toMatchObject({
			revocationRequests: 1,
			grantsRevoked: 2,
		});
	});

	it("lets an access token die on time (no clock tolerance)", async () => {
		const short = await start({ accessTokenTtlSeconds: 2 });
		try {
			const { tokens } = await signIn(
				"frank",
				["openid", "email"],
				undefined,
				short,
			);
			const issuedAt = Date.now();
			expect(tokens.expiresIn).toBe(2);
			const read = () =>
				fetchUserinfo({
					endpoints: short.metadata,
					accessToken: tokens.accessToken,
				});
			expect(await read()).toMatchObject({ ok: true });
			await new Promise((resolve) =>
				setTimeout(resolve, issuedAt + 2_100 - Date.now()),
			);
			expect(await read()).toMatchObject({
				ok: false,
				failure: { kind: "permanent", error: "invalid_token", status: 401 },
			});
		} finally {
			await short.upstream.close();
		}
	});

	it("accepts redirect URIs added after start", async () => {
		const later = "http://127.0.0.1:2/late/callback";
		await upstream.addRedirectUri(later);
		expect(upstream.redirectUris).toContain(later);
		const url = buildAuthorizationUrl({
			endpoints: metadata,
			clientId: upstream.clientId,
			redirectUri: later,
			scopes: ["openid"],
			state: "s",
			codeChallenge: await computeCodeChallenge(generateCodeVerifier()),
		});
		const callback = await authorize(url, { account: "gina" });
		expect(callback.origin + callback.pathname).toBe(later);
		expect(callback.searchParams.get("code")).toBeTruthy();
	});

	it("signs in the login_hint, else the next-login account, when authorize names none", async () => {
		async function subjectFor(
			extraParams: Record<string, string>,
		): Promise<unknown> {
			const verifier = generateCodeVerifier();
			const url = buildAuthorizationUrl({
				endpoints: metadata,
				clientId: upstream.clientId,
				redirectUri,
				scopes: ["openid"],
				state: "s",
				codeChallenge: await computeCodeChallenge(verifier),
				extraParams,
			});
			const callback = await authorize(url);
			const exchanged = await exchangeAuthorizationCode({
				endpoints: metadata,
				client: client(),
				code: callback.searchParams.get("code") ?? "",
				redirectUri,
				codeVerifier: verifier,
			});
			if (!exchanged.ok) throw new Error(exchanged.failure.error);
			const me = await fetchUserinfo({
				endpoints: metadata,
				accessToken: exchanged.tokens.accessToken,
			});
			return me.ok ? me.claims.sub : me.failure.error;
		}

		upstream.login("hank");
		expect(await subjectFor({})).toBe("hank");
		expect(await subjectFor({ login_hint: "ivy" })).toBe("ivy");
		upstream.login("alice");
	});
});

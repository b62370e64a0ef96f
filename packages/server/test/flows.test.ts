import { refreshTokens } from "@tether/oauth";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	appUrl,
	completeLink,
	createBrowser,
	databases,
	postgresSkipReason,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
} from "./harness.ts";

describe.each(databases)(
	`sign-in, sessions and linking on %s${postgresSkipReason}`,
	(database) => {
		let tether: TestTether;
		beforeAll(async () => {
			tether = await startTestTether({ database });
		});
		afterAll(async () => {
			await tether?.close();
		});

		it("signs in, exchanges the code once, and shows the user with the account", async () => {
			const browser = createBrowser(tether);
			const start = new URL(`${tether.baseUrl}/v1/signin/provider/upstream`);
			start.searchParams.set("redirectTo", `${appUrl}after`);
			const landed = await browser.follow(start.toString(), {
				account: "alice",
			});
			expect(landed.origin + landed.pathname).toBe(`${appUrl}after`);
			const code = landed.searchParams.get("code");
			expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect([...landed.searchParams.keys()]).toEqual(["code"]);

			const first = await api(tether, "POST", "/v1/token/exchange", {
				body: { code },
			});
			expect(first.status).toBe(200);
			const session = first.body as SessionBody;
			expect(session.user.connectedAccounts).toEqual([
				expect.objectContaining({
					provider: "upstream",
					providerAccountId: "alice",
					status: "active",
				}),
			]);
			const again = await api(tether, "POST", "/v1/token/exchange", {
				body: { code },
			});
			expect(again.status).toBe(400);
			expect(again.body.code).toBe("INVALID_REQUEST");

			const me = await api(tether, "GET", "/v1/user", {
				token: session.accessToken,
			});
			expect(me.status).toBe(200);
			expect(me.body.id).toBe(session.user.id);
			expect(me.body.connectedAccounts[0].scopes).toEqual(
				expect.arrayContaining(["openid", "email"]),
			);
		});

		it("rotates session refresh tokens, revokes the family on reuse, and signs out", async () => {
			const browser = createBrowser(tether);
			const session = await browser.signIn("alice");
			const rotated = await api(tether, "POST", "/v1/token", {
				body: { refreshToken: session.refreshToken },
			});
			expect(rotated.status).toBe(200);
			expect(rotated.body.refreshToken).not.toBe(session.refreshToken);
			expect(
				(
					await api(tether, "GET", "/v1/user", {
						token: rotated.body.accessToken,
					})
				).status,
			).toBe(200);

			// Presenting the old token again means it leaked: the whole family ends.
			const reuse = await api(tether, "POST", "/v1/token", {
				body: { refreshToken: session.refreshToken },
			});
			expect(reuse.status).toBe(401);
			const afterReuse = await api(tether, "POST", "/v1/token", {
				body: { refreshToken: rotated.body.refreshToken },
			});
			expect(afterReuse.status).toBe(401);

			const other = await browser.signIn("alice");
			expect(
				(await api(tether, "POST", "/v1/signout", { token: other.accessToken }))
					.status,
			).toBe(204);
			expect(
				(await api(tether, "GET", "/v1/user", { token: other.accessToken }))
					.status,
			).toBe(401);
			expect(
				(
					await api(tether, "POST", "/v1/token", {
						body: { refreshToken: other.refreshToken },
					})
				).status,
			).toBe(401);
		});

		it("links a second account at the same provider, then upgrades scopes without a duplicate", async () => {
			const browser = createBrowser(tether);
			const session = await browser.signIn("dora");
			const intent = await api(tether, "POST", "/v1/link/upstream", {
				token: session.accessToken,
				body: { redirectTo: appUrl },
			});
			expect(intent.status).toBe(200);
			const linked = await browser.follow(intent.body.url, {
				account: "dora-work",
			});
			expect(linked.searchParams.get("linked")).toBe("upstream");
			// Nothing is attached until the intent's owner redeems the landing's code.
			let accounts = await api(tether, "GET", "/v1/connected-accounts/me", {
				token: session.accessToken,
			});
			expect(accounts.body.items).toHaveLength(1);
			const completed = await completeLink(tether, linked, session.accessToken);
			expect(completed.status).toBe(200);
			expect(completed.body).toMatchObject({
				provider: "upstream",
				providerAccountId: "dora-work",
			});
			expect(
				(await completeLink(tether, linked, session.accessToken)).body.code,
			).toBe("LINK_NOT_FOUND");
			accounts = await api(tether, "GET", "/v1/connected-accounts/me", {
				token: session.accessToken,
			});
			expect(
				accounts.body.items
					.map((a: { providerAccountId: string }) => a.providerAccountId)
					.sort(),
			).toEqual(["dora", "dora-work"]);

			const upgrade = await api(tether, "POST", "/v1/link/upstream", {
				token: session.accessToken,
				body: {
					redirectTo: appUrl,
					scopes: ["read"],
					providerAccountId: "dora",
				},
			});
			const upgraded = await browser.follow(upgrade.body.url, {
				account: "dora",
			});
			expect(upgraded.searchParams.get("linked")).toBe("upstream");
			expect(
				(await completeLink(tether, upgraded, session.accessToken)).status,
			).toBe(200);
			accounts = await api(tether, "GET", "/v1/connected-accounts/me", {
				token: session.accessToken,
			});
			expect(accounts.body.items).toHaveLength(2);
			const dora = accounts.body.items.find(
				(a: { providerAccountId: string }) => a.providerAccountId === "dora",
			);
			expect(dora.scopes).toEqual(expect.arrayContaining(["openid", "read"]));

			const token = await api(
				tether,
				"POST",
				"/v1/connected-accounts/me/upstream/dora/access-token",
				{
					token: session.accessToken,
					body: { scopes: ["read"] },
				},
			);
			expect(token.status).toBe(200);
			const missing = await api(
				tether,
				"POST",
				"/v1/connected-accounts/me/upstream/dora-work/access-token",
				{
					token: session.accessToken,
					body: { scopes: ["read", "write"] },
				},
			);
			expect(missing.status).toBe(409);
			expect(missing.body.details).toMatchObject({
				reason: "insufficient_scopes",
				missingScopes: ["read", "write"],
			});
		});

		it("refuses to link an account that belongs to another user, without naming them", async () => {
			const owner = await createBrowser(tether).signIn("erin");
			const intruderBrowser = createBrowser(tether);
			const intruder = await intruderBrowser.signIn("frank");
			const intent = await api(tether, "POST", "/v1/link/upstream", {
				token: intruder.accessToken,
				body: {},
			});
			const landed = await intruderBrowser.follow(intent.body.url, {
				account: "erin",
			});
			const refused = await completeLink(tether, landed, intruder.accessToken);
			expect(refused.status).toBe(409);
			expect(refused.body.code).toBe("ACCOUNT_ALREADY_LINKED");
			expect(JSON.stringify(refused.body)).not.toContain(owner.user.id);
			expect(landed.toString()).not.toContain(owner.user.id);
			const frankAccounts = await api(
				tether,
				"GET",
				"/v1/connected-accounts/me",
				{ token: intruder.accessToken },
			);
			expect(
				frankAccounts.body.items.map(
					(a: { providerAccountId: string }) => a.providerAccountId,
				),
			).toEqual(["frank"]);
		});

		it("unlinks: tokens gone at once, revocation reaches the provider", async () => {
			const browser = createBrowser(tether);
			const session = await browser.signIn("gina");
			const provided = await api(
				tether,
				"GET",
				"/v1/signin/provider/upstream/callback/tokens",
				{
					token: session.accessToken,
				},
			);
			const before = tether.upstream.counters.revocationRequests;
			const removed = await api(
				tether,
				"DELETE",
				"/v1/connected-accounts/me/upstream/gina",
				{
					token: session.accessToken,
				},
			);
			expect(removed.status).toBe(204);
			const gone = await api(
				tether,
				"POST",
				"/v1/connected-accounts/me/upstream/gina/access-token",
				{
					token: session.accessToken,
				},
			);
			expect(gone.status).toBe(404);
			expect(await tether.server.processRevocations()).toBe(2);
			expect(tether.upstream.counters.revocationRequests).toBe(before + 2);
			// The provider no longer honours the grant.
			const refused = await refreshTokens(
				{
					endpoints: tether.upstream.endpoints,
					client: {
						clientId: tether.upstream.clientId,
						clientSecret: tether.upstream.clientSecret,
					},
					refreshToken: provided.body.refreshToken,
				},
				{},
			);
			expect(refused.ok).toBe(false);
		});

		it("hands the provider session out exactly once, even to 20 parallel reads", async () => {
			const first = await createBrowser(tether).signIn("hank");
			const path = "/v1/signin/provider/upstream/callback/tokens";
			const read = await api(tether, "GET", path, { token: first.accessToken });
			expect(read.status).toBe(200);
			expect(read.headers.get("cache-control")).toBe("no-store");
			expect(read.body).toMatchObject({
				accessToken: expect.any(String),
				refreshToken: expect.any(String),
			});
			expect(read.body.expiresIn).toBeGreaterThan(0);
			const second = await api(tether, "GET", path, {
				token: first.accessToken,
			});
			expect(second.status).toBe(404);
			expect(second.body.code).toBe("PROVIDER_SESSION_NOT_FOUND");

			const racer = await createBrowser(tether).signIn("hank");
			const results = await Promise.all(
				Array.from({ length: 20 }, () =>
					api(tether, "GET", path, { token: racer.accessToken }),
				),
			);
			expect(results.filter((r) => r.status === 200)).toHaveLength(1);
			expect(results.filter((r) => r.status === 404)).toHaveLength(19);

			// The guide's refresh: the refresh token from the provider session identifies the account.
			const refreshed = await api(
				tether,
				"POST",
				"/v1/token/provider/upstream",
				{
					token: first.accessToken,
					body: { refreshToken: read.body.refreshToken },
				},
			);
			expect(refreshed.status).toBe(200);
			expect(refreshed.body.accessToken).toEqual(expect.any(String));
			const foreign = await api(tether, "POST", "/v1/token/provider/upstream", {
				token: first.accessToken,
				body: { refreshToken: "not-a-token-of-yours" },
			});
			expect(foreign.status).toBe(400);
		});

		it("keeps every account invisible to other users, and visible to the secret key", async () => {
			const ivy = await createBrowser(tether).signIn("ivy");
			const jack = await createBrowser(tether).signIn("jack");
			const paths = [
				["GET", "/v1/connected-accounts/me/upstream/ivy"],
				["POST", "/v1/connected-accounts/me/upstream/ivy/access-token"],
				["DELETE", "/v1/connected-accounts/me/upstream/ivy"],
			] as const;
			for (const [method, path] of paths) {
				const response = await api(tether, method, path, {
					token: jack.accessToken,
				});
				expect(response.status).toBe(404);
				expect(response.body.code).toBe("CONNECTED_ACCOUNT_NOT_FOUND");
			}
			const named = await api(
				tether,
				"GET",
				`/v1/connected-accounts/${ivy.user.id}`,
				{ token: jack.accessToken },
			);
			expect(named.status).toBe(403);
			const bySecret = await api(
				tether,
				"GET",
				`/v1/connected-accounts/${ivy.user.id}/upstream/ivy`,
				{
					token: secretKey,
				},
			);
			expect(bySecret.status).toBe(200);
			const tokenBySecret = await api(
				tether,
				"POST",
				`/v1/connected-accounts/${ivy.user.id}/upstream/ivy/access-token`,
				{
					token: secretKey,
				},
			);
			expect(tokenBySecret.status).toBe(200);
			expect(
				(
					await api(tether, "GET", "/v1/connected-accounts/me", {
						token: ivy.accessToken,
					})
				).body.items,
			).toHaveLength(1);
		});

		it("verifies sessions through the JWKS and rotates signing keys without signing anyone out", async () => {
			const before = await createBrowser(tether).signIn("kai");
			const jwks = await api(tether, "GET", "/.well-known/jwks.json");
			expect(jwks.body.keys.length).toBeGreaterThanOrEqual(1);
			const verify = async (token: string) =>
				jwtVerify(token, createLocalJWKSet(jwks.body), {
					issuer: tether.baseUrl,
					audience: "tether",
				});
			expect((await verify(before.accessToken)).payload.sub).toBe(
				before.user.id,
			);

			const kid = await tether.server.rotateSigningKey();
			const after = await createBrowser(tether).signIn("kai");
			expect(decodeProtectedHeader(after.accessToken).kid).toBe(kid);
			expect(
				(await api(tether, "GET", "/v1/user", { token: before.accessToken }))
					.status,
			).toBe(200);
			const rotated = await api(tether, "GET", "/.well-known/jwks.json");
			expect(rotated.body.keys.map((k: { kid: string }) => k.kid)).toEqual(
				expect.arrayContaining([
					kid,
					decodeProtectedHeader(before.accessToken).kid,
				]),
			);
		});

		it("keeps every provider token encrypted at rest and out of the logs", async () => {
			const session = await createBrowser(tether).signIn("lou");
			const provided = await api(
				tether,
				"GET",
				"/v1/signin/provider/upstream/callback/tokens",
				{
					token: session.accessToken,
				},
			);
			const fresh = await api(
				tether,
				"POST",
				"/v1/connected-accounts/me/upstream/lou/access-token",
				{
					token: session.accessToken,
				},
			);
			const dump = await tether.dumpDatabase();
			expect(dump).toContain("v1.t1.");
			const logs = tether.logs.join("\n");
			for (const token of [
				provided.body.accessToken,
				provided.body.refreshToken,
				fresh.body.accessToken,
			]) {
				expect(token).toEqual(expect.any(String));
				expect(dump).not.toContain(token);
				expect(logs).not.toContain(token);
			}
		});
	},
);

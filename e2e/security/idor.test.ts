import { beforeAll, describe, expect, it } from "vitest";
import type { SessionBody } from "../../packages/server/test/harness.ts";
import {
	call,
	itLeavesNoSecrets,
	newBrowser,
	signIn,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

/**
 * IDOR on every account route: Bob's session naming Alice's user id gets 403 (only the secret key
 * names users), and naming Alice's account under `me` gets the same 404 as an account nobody has,
 * so neither the user nor the account can be probed. Every answer is checked for any trace of
 * Alice's data, and afterwards Alice's accounts are all still there, tokens unchanged.
 */
describe("IDOR on every account route, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-idor" });
	let alice: SessionBody;
	let bob: SessionBody;
	let aliceProviderRefresh: string;
	/** What must never appear in an answer to Bob. */
	let aliceTraces: string[];
	beforeAll(async () => {
		alice = await signIn(tether(), "idor-alice");
		const tokens = await call(
			tether(),
			"GET",
			"/v1/signin/provider/upstream/callback/tokens",
			{ token: alice.accessToken },
		);
		aliceProviderRefresh = tokens.body.refreshToken;
		const intent = await call(tether(), "POST", "/v1/link/upstream", {
			token: alice.accessToken,
			body: {},
		});
		const landed = await newBrowser(tether()).follow(intent.body.url, {
			account: "idor-alice-second",
		});
		const completed = await call(tether(), "POST", "/v1/link/complete", {
			token: alice.accessToken,
			body: { code: landed.searchParams.get("link_code") },
		});
		expect(completed.status).toBe(200);
		bob = await signIn(tether(), "idor-bob");
		aliceTraces = [
			"idor-alice",
			"idor-alice@upstream.test",
			tokens.body.accessToken,
			aliceProviderRefresh,
		];
	});

	const accountRoutes = (user: string, account: string): [string, string][] => [
		["GET", `/v1/connected-accounts/${user}`],
		["GET", `/v1/connected-accounts/${user}/upstream/${account}`],
		["POST", `/v1/connected-accounts/${user}/upstream/${account}/access-token`],
		["DELETE", `/v1/connected-accounts/${user}/upstream/${account}`],
	];

	/** Bob's call; the answer must carry nothing of Alice's. */
	async function asBob(method: string, path: string, token = bob.accessToken) {
		const answer = await call(tether(), method, path, { token });
		const text = JSON.stringify(answer.body ?? "");
		for (const trace of aliceTraces) expect(text).not.toContain(trace);
		expect(text).not.toContain(alice.user.id);
		expect(answer.body?.accessToken).toBeUndefined();
		return {
			status: answer.status,
			code: answer.body?.code,
			message: answer.body?.message,
		};
	}

	it("answers 403 to a session naming another user on every account route, the same whether that user exists or not", async () => {
		for (const [index, [method, path]] of accountRoutes(
			alice.user.id,
			"idor-alice",
		).entries()) {
			const real = await asBob(method, path);
			expect(real.status).toBe(403);
			expect(real.code).toBe("FORBIDDEN");
			const [, madeUp] = accountRoutes("usr_nobody0000000000000", "idor-alice")[
				index
			] ?? ["", ""];
			expect(await asBob(method, madeUp)).toEqual(real);
		}
	});

	it.each([
		[
			"URL-encoded",
			(id: string) => encodeURIComponent(id).replace(/_/g, "%5F"),
		],
		["upper-cased", (id: string) => id.toUpperCase()],
		["with a trailing space", (id: string) => `${id}%20`],
		["behind me/..", (id: string) => `me%2F..%2F${id}`],
	])("refuses another user's id %s too", async (_name, spell) => {
		for (const [method, path] of accountRoutes(
			spell(alice.user.id),
			"idor-alice",
		)) {
			const answer = await asBob(method, path);
			expect([400, 403, 404]).toContain(answer.status);
		}
	});

	it("answers 404 to `me` naming another user's account, exactly as for an account that does not exist", async () => {
		const routes = accountRoutes("me", "idor-alice").slice(1);
		const missing = accountRoutes("me", "idor-no-such-account").slice(1);
		for (const [index, [method, path]] of routes.entries()) {
			const real = await asBob(method, path);
			expect(real.status).toBe(404);
			expect(real.code).toBe("CONNECTED_ACCOUNT_NOT_FOUND");
			const [otherMethod, otherPath] = missing[index] ?? ["", ""];
			expect(await asBob(otherMethod, otherPath)).toEqual(real);
		}
		// Bob's own id spelled out is `me`: still not Alice's account.
		for (const [method, path] of accountRoutes(bob.user.id, "idor-alice").slice(
			1,
		))
			expect((await asBob(method, path)).status).toBe(404);
	});

	it("refuses Alice's provider refresh token in Bob's session like any garbage token", async () => {
		const theirs = await asBob("POST", "/v1/token/provider/upstream");
		expect(theirs.status).toBe(400);
		const stolen = await call(tether(), "POST", "/v1/token/provider/upstream", {
			token: bob.accessToken,
			body: { refreshToken: aliceProviderRefresh },
		});
		const garbage = await call(
			tether(),
			"POST",
			"/v1/token/provider/upstream",
			{
				token: bob.accessToken,
				body: { refreshToken: "r".repeat(43) },
			},
		);
		expect(stolen.status).toBe(400);
		expect(stolen.body).toEqual(garbage.body);
		expect(JSON.stringify(stolen.body)).not.toContain("idor-alice");
	});

	it("keeps a sign-in's provider session for the session that signed in", async () => {
		const carol = await signIn(tether(), "idor-carol");
		const path = "/v1/signin/provider/upstream/callback/tokens";
		// Bob's own sign-in left him one read of his own tokens; he uses it up first.
		expect(
			(await call(tether(), "GET", path, { token: bob.accessToken })).status,
		).toBe(200);
		const stolen = await asBob("GET", path);
		expect(stolen.status).toBe(404);
		expect(stolen.code).toBe("PROVIDER_SESSION_NOT_FOUND");
		// Bob's attempt did not use up Carol's one read.
		const own = await call(tether(), "GET", path, { token: carol.accessToken });
		expect(own.status).toBe(200);
	});

	it("keeps the admin API closed to sessions", async () => {
		for (const path of [
			"/v1/admin/users",
			`/v1/admin/users/${alice.user.id}`,
			"/v1/admin/audit",
			"/v1/admin/accounts/upstream/idor-alice",
		]) {
			const answer = await asBob("GET", path);
			expect([401, 403]).toContain(answer.status);
		}
	});

	it("refuses forged session tokens naming Alice", async () => {
		const [header = "", payload = "", signature = ""] =
			bob.accessToken.split(".");
		const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
		const asAlice = Buffer.from(
			JSON.stringify({ ...claims, sub: alice.user.id }),
		).toString("base64url");
		const none = Buffer.from(
			JSON.stringify({ alg: "none", typ: "JWT" }),
		).toString("base64url");
		for (const forged of [
			`${header}.${asAlice}.${signature}`,
			`${none}.${asAlice}.`,
			`${header}.${asAlice}.`,
		]) {
			for (const [method, path] of accountRoutes("me", "idor-alice")) {
				const answer = await asBob(method, path, forged);
				expect(answer.status).toBe(401);
			}
		}
	});

	it("answers 401 with no credentials, and with a signed-out session", async () => {
		const dave = await signIn(tether(), "idor-dave");
		expect(
			(await call(tether(), "POST", "/v1/signout", { token: dave.accessToken }))
				.status,
		).toBe(204);
		for (const [method, path] of accountRoutes("me", "idor-dave")) {
			expect((await call(tether(), method, path)).status).toBe(401);
			expect(
				(
					await call(tether(), method, path, {
						token: dave.accessToken,
					})
				).status,
			).toBe(401);
		}
	});

	it("takes a session only from the Authorization header, never from the URL or a cookie", async () => {
		for (const [method, path] of accountRoutes("me", "idor-bob")) {
			for (const name of ["access_token", "token", "session"]) {
				const inQuery = await call(
					tether(),
					method,
					`${path}?${name}=${bob.accessToken}`,
				);
				expect(inQuery.status).toBe(401);
			}
			const inCookie = await call(tether(), method, path, {
				headers: { cookie: `session=${bob.accessToken}` },
			});
			expect(inCookie.status).toBe(401);
		}
	});

	it("left every one of Alice's accounts in place, and the secret key still sees them", async () => {
		const mine = await call(tether(), "GET", "/v1/connected-accounts/me", {
			token: alice.accessToken,
		});
		expect(
			mine.body.items
				.map((a: { providerAccountId: string }) => a.providerAccountId)
				.sort(),
		).toEqual(["idor-alice", "idor-alice-second"]);
		const backend = await call(
			tether(),
			"GET",
			`/v1/connected-accounts/${alice.user.id}/upstream/idor-alice`,
			{ token: tether().secretKey },
		);
		expect(backend.status).toBe(200);
		expect(
			(
				await call(tether(), "GET", "/v1/connected-accounts/me", {
					token: tether().secretKey,
				})
			).status,
		).toBe(400);
	});

	itLeavesNoSecrets(tether);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	type Listener,
	listen,
	nodeRouteOf,
	serveAhead,
} from "../src/listen.ts";
import {
	appUrl,
	createBrowser,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
} from "./harness.ts";

/**
 * The access-token route is served twice: by a node:http handler ahead of Hono
 * (src/http/access-token-fast-path.ts) and by the Hono route it stands in for. Every case here asks
 * both — the fast path over real HTTP, Hono through `app.request()` — and wants the same status,
 * JSON body, headers and access-log line, and checks which requests the fast path took.
 */
describe("access-token fast path answers as the Hono route does", () => {
	let tether: TestTether;
	let listener: Listener;
	let base: string;
	let taken = 0;
	let alice: SessionBody;
	let bob: SessionBody;
	let carol: SessionBody;
	let account: string;
	const origin = new URL(appUrl).origin;

	beforeAll(async () => {
		tether = await startTestTether({
			rateLimits: { api: { requests: 100, perSeconds: 3600 } },
		});
		const app = tether.server.app;
		const fast = nodeRouteOf(app);
		if (fast === undefined) throw new Error("no fast path registered");
		serveAhead(app, (req, res) => {
			const took = fast(req, res);
			if (took) taken++;
			return took;
		});
		listener = await listen(app, { port: 0, hostname: "127.0.0.1" });
		base = `http://127.0.0.1:${listener.port}`;
		alice = await createBrowser(tether).signIn("alice");
		bob = await createBrowser(tether).signIn("bob");
		carol = await createBrowser(tether).signIn("carol");
		account = alice.user.connectedAccounts[0]?.providerAccountId ?? "";
	}, 60_000);

	afterAll(async () => {
		await listener?.close();
		await tether?.close();
	});

	const path = (user: string, id = account, provider = "upstream") =>
		`/v1/connected-accounts/${user}/${provider}/${id}/access-token`;

	const compared = [
		"content-type",
		"cache-control",
		"pragma",
		"referrer-policy",
		"x-content-type-options",
		"access-control-allow-origin",
		"access-control-expose-headers",
		"vary",
		"retry-after",
	];

	interface Answer {
		status: number;
		body: unknown;
		headers: Record<string, string | null>;
		requestId: string | null;
		log: unknown;
	}

	function lastRequestLog(): unknown {
		for (let i = tether.logs.length - 1; i >= 0; i--) {
			const line = JSON.parse(tether.logs[i] as string);
			if (line.msg === "request") {
				const { time, pid, hostname, ms, requestId, ...rest } = line;
				return rest;
			}
		}
		return null;
	}

	async function read(response: Response): Promise<Answer> {
		const text = await response.text();
		const headers: Record<string, string | null> = {};
		for (const name of compared) headers[name] = response.headers.get(name);
		return {
			status: response.status,
			body: text === "" ? null : JSON.parse(text),
			headers,
			requestId: response.headers.get("x-request-id"),
			log: lastRequestLog(),
		};
	}

	async function both(
		target: string,
		init: { method?: string; headers?: Record<string, string>; body?: string },
		expectFast = true,
	): Promise<Answer> {
		const method = init.method ?? "POST";
		const before = taken;
		const viaFast = await read(
			await fetch(`${base}${target}`, {
				method,
				headers: init.headers ?? {},
				...(init.body === undefined ? {} : { body: init.body }),
			}),
		);
		expect(taken - before, "taken by the fast path").toBe(expectFast ? 1 : 0);
		const viaHono = await read(
			await tether.server.app.request(target, {
				method,
				headers: init.headers ?? {},
				...(init.body === undefined ? {} : { body: init.body }),
			}),
		);
		const retry = (answer: Answer) => Number(answer.headers["retry-after"]);
		if (viaFast.status === 429) {
			// A token bucket's Retry-After may tick by a second between the two calls.
			expect(Math.abs(retry(viaFast) - retry(viaHono))).toBeLessThanOrEqual(1);
			viaHono.headers["retry-after"] = viaFast.headers["retry-after"] ?? null;
		}
		expect(viaFast.requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
		expect(viaHono.requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
		if (init.headers?.["x-request-id"] !== undefined) {
			expect(viaFast.requestId).toBe(viaHono.requestId);
		}
		// The body of an unexpected 500 names its request id; none is expected here.
		expect({ ...viaFast, requestId: null }).toEqual({
			...viaHono,
			requestId: null,
		});
		return viaFast;
	}

	const session = (token: string, extra: Record<string, string> = {}) => ({
		authorization: `Bearer ${token}`,
		...extra,
	});
	const json = { "content-type": "application/json" };

	it("a fresh token, with and without a body", async () => {
		const withBody = await both(path("me"), {
			headers: session(alice.accessToken, json),
			body: "{}",
		});
		expect(withBody.status).toBe(200);
		expect(withBody.headers["cache-control"]).toBe("no-store");
		expect(withBody.headers["x-content-type-options"]).toBe("nosniff");
		expect(
			(await both(path("me"), { headers: session(alice.accessToken) })).status,
		).toBe(200);
		expect(
			(
				await both(path(alice.user.id), {
					headers: session(alice.accessToken, {
						"content-type": "application/json; charset=UTF-8",
						"x-request-id": "req-fast-1",
					}),
					body: '\ufeff{"scopes":["openid"]}',
				})
			).status,
		).toBe(200);
	});

	it("answers written in one batch each reach their own request", async () => {
		const before = taken;
		// Alice's and Bob's requests interleaved on 60 connections, each with its own request id.
		const answers = await Promise.all(
			Array.from({ length: 60 }, async (_, i) => {
				const who = i % 2 === 0 ? alice : bob;
				const id = who.user.connectedAccounts[0]?.providerAccountId ?? "";
				const response = await fetch(`${base}${path("me", id)}`, {
					method: "POST",
					headers: session(who.accessToken, {
						...json,
						"x-request-id": `batch-${i}`,
					}),
					body: "{}",
				});
				const body = await response.json();
				return { i, who, response, body };
			}),
		);
		const tokens = new Map<string, string>();
		for (const { i, who, response, body } of answers) {
			expect(response.status).toBe(200);
			expect(response.headers.get("x-request-id")).toBe(`batch-${i}`);
			const seen = tokens.get(who.user.id);
			if (seen === undefined) tokens.set(who.user.id, body.accessToken);
			else expect(body.accessToken).toBe(seen);
		}
		expect(new Set(tokens.values()).size).toBe(2);
		expect(taken - before).toBe(60);
	});

	it("scopes the account was not granted: 409 insufficient_scopes", async () => {
		const answer = await both(path("me"), {
			headers: session(alice.accessToken, json),
			body: JSON.stringify({ scopes: ["admin", "write"] }),
		});
		expect(answer.status).toBe(409);
	});

	it("unknown accounts, users and providers: 404", async () => {
		expect(
			(
				await both(path("me", "nobody"), {
					headers: session(alice.accessToken),
				})
			).status,
		).toBe(404);
		expect(
			(
				await both(path("me", account, "nothere"), {
					headers: session(alice.accessToken),
				})
			).status,
		).toBe(404);
		expect(
			(
				await both(path("usr_nobody"), {
					headers: { authorization: `Bearer ${secretKey}` },
				})
			).status,
		).toBe(404);
	});

	it("a session naming another user: 403; bob's own account under alice: 404", async () => {
		expect(
			(await both(path(bob.user.id), { headers: session(alice.accessToken) }))
				.status,
		).toBe(403);
		const bobAccount = bob.user.connectedAccounts[0]?.providerAccountId ?? "";
		expect(
			(
				await both(path("me", bobAccount), {
					headers: session(alice.accessToken),
				})
			).status,
		).toBe(404);
	});

	it("bodies that do not parse or validate: 400 with the same details", async () => {
		for (const body of [
			"{",
			"",
			"null",
			'{"scopes":"read"}',
			'{"scopes":[""]}',
			"[]",
		]) {
			const answer = await both(path("me"), {
				headers: session(alice.accessToken, json),
				body,
			});
			expect(answer.status, body).toBe(400);
		}
	});

	it("no, bad or malformed credentials: 401", async () => {
		expect((await both(path("me"), {})).status).toBe(401);
		expect((await both(path("me"), { headers: json, body: "{" })).status).toBe(
			400,
		);
		expect(
			(await both(path("me"), { headers: { authorization: "Bearer nope" } }))
				.status,
		).toBe(401);
		expect(
			(
				await both(path("me"), {
					headers: { authorization: `Basic ${alice.accessToken}` },
				})
			).status,
		).toBe(401);
		expect(
			(
				await both(path(alice.user.id), {
					headers: { authorization: `Bearer tsk_${"x".repeat(40)}` },
				})
			).status,
		).toBe(401);
	});

	it("the secret key: by user id 200, `me` 400, from a browser 403", async () => {
		const backend = { authorization: `Bearer ${secretKey}` };
		expect((await both(path(alice.user.id), { headers: backend })).status).toBe(
			200,
		);
		expect((await both(path("me"), { headers: backend })).status).toBe(400);
		expect(
			(
				await both(path(alice.user.id), {
					headers: { ...backend, origin },
				})
			).status,
		).toBe(403);
	});

	it("the secret key names a user by the app's id too; unknown users and others' accounts are refused", async () => {
		const backend = { authorization: `Bearer ${secretKey}` };
		// An app user linked by the backend: Tether creates the user under the app's id.
		const intent = await fetch(`${base}/v1/link/upstream`, {
			method: "POST",
			headers: { ...backend, "content-type": "application/json" },
			body: JSON.stringify({ userId: "app-user-7", redirectTo: appUrl }),
		});
		expect(intent.status).toBe(200);
		const landed = await createBrowser(tether).follow(
			((await intent.json()) as { url: string }).url,
			{ account: "erin" },
		);
		const linked = await fetch(`${base}/v1/link/complete`, {
			method: "POST",
			headers: { ...backend, "content-type": "application/json" },
			body: JSON.stringify({
				code: landed.searchParams.get("link_code"),
				userId: "app-user-7",
			}),
		});
		expect(linked.status).toBe(200);
		const byAppId = await both(path("app-user-7", "erin"), {
			headers: backend,
		});
		expect(byAppId.status).toBe(200);
		expect(byAppId.body).toMatchObject({ accessToken: expect.any(String) });
		// Served from memory after that: naming the user by the app's id costs a user lookup, and
		// the account's row is not read again.
		const { store } = tether.server;
		const calls = { account: 0, user: 0 };
		const spied = {
			findConnectedAccount: store.findConnectedAccount,
			getUser: store.getUser,
			findUserByExternalId: store.findUserByExternalId,
		};
		store.findConnectedAccount = (...args) => {
			calls.account++;
			return spied.findConnectedAccount(...args);
		};
		store.getUser = (...args) => {
			calls.user++;
			return spied.getUser(...args);
		};
		store.findUserByExternalId = (...args) => {
			calls.user++;
			return spied.findUserByExternalId(...args);
		};
		try {
			for (let i = 0; i < 3; i++)
				expect(
					(await both(path("app-user-7", "erin"), { headers: backend })).body,
				).toEqual(byAppId.body);
			expect(calls.account).toBe(0);
			expect(calls.user).toBeGreaterThan(0);
		} finally {
			Object.assign(store, spied);
		}
		// The app's id for another user's account, a user no one has, an id no user could have.
		const cases: [string, string, number, string][] = [
			["app-user-7", account, 404, "CONNECTED_ACCOUNT_NOT_FOUND"],
			[alice.user.id, "erin", 404, "CONNECTED_ACCOUNT_NOT_FOUND"],
			["app-user-8", "erin", 404, "USER_NOT_FOUND"],
			["app-user-8", "nobody", 404, "USER_NOT_FOUND"],
			["u".repeat(129), "erin", 400, "INVALID_REQUEST"],
		];
		for (const [user, id, status, code] of cases) {
			// A segment longer than any user id is left to Hono by the fast path.
			const answer = await both(
				path(user, id),
				{ headers: backend },
				user.length <= 128,
			);
			expect([user, id, answer.status]).toEqual([user, id, status]);
			expect(answer.body).toMatchObject({ code });
		}
	});

	it("CORS: an app origin is allowed, another is not", async () => {
		const allowed = await both(path("me"), {
			headers: session(alice.accessToken, { origin }),
		});
		expect(allowed.headers["access-control-allow-origin"]).toBe(origin);
		const other = await both(path("me"), {
			headers: session(alice.accessToken, { origin: "https://evil.example" }),
		});
		expect(other.headers["access-control-allow-origin"]).toBeNull();
	});

	it("a signed-out session stops working on both paths", async () => {
		const dave = await createBrowser(tether).signIn("dave");
		expect(
			(
				await both(
					path("me", dave.user.connectedAccounts[0]?.providerAccountId),
					{ headers: session(dave.accessToken) },
				)
			).status,
		).toBe(200);
		const out = await fetch(`${base}/v1/signout`, {
			method: "POST",
			headers: session(dave.accessToken),
		});
		expect(out.status).toBeLessThan(300);
		expect(
			(await both(path("me"), { headers: session(dave.accessToken) })).status,
		).toBe(401);
	});

	it("rate limited: one budget for both paths, 429 with Retry-After", async () => {
		const carolAccount = carol.user.connectedAccounts[0]?.providerAccountId;
		let statuses: number[] = [];
		for (let i = 0; i < 100; i++) {
			const response = await fetch(`${base}${path("me", carolAccount)}`, {
				method: "POST",
				headers: session(carol.accessToken),
			});
			statuses.push(response.status);
			await response.arrayBuffer();
		}
		statuses = [...new Set(statuses)];
		expect(statuses).toEqual([200]);
		// The budget is spent: both paths refuse, from the same bucket.
		const limited = await both(path("me", carolAccount), {
			headers: session(carol.accessToken),
		});
		expect(limited.status).toBe(429);
		expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
	});

	it("what the fast path does not take, Hono answers", async () => {
		const headers = session(alice.accessToken);
		await both(path("me"), { method: "HEAD", headers }, false);
		await both(`${path("me")}?x=1`, { headers }, false);
		await both(path("me").replace("/me/", "/m%65/"), { headers }, false);
		await both(
			path("me"),
			{
				headers: { ...headers, "content-type": "text/plain" },
				body: "{}",
			},
			false,
		);
		await both(
			path("me"),
			{
				headers: { ...headers, "content-type": "application/vnd.api+json" },
				body: "{}",
			},
			false,
		);
		await both(path("me"), { headers, body: "{}" }, false);
	});
});

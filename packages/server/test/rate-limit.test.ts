import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	createBrowser,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
} from "./harness.ts";
import { type RawResponse, rawRequest } from "./raw-http.ts";

/** SPEC.md: 429 `RATE_LIMITED` with `Retry-After`, per client, and no way around it by spelling. */

const portOf = (tether: TestTether) => Number(new URL(tether.baseUrl).port);

function expectRateLimited(response: RawResponse, label: string): void {
	expect(response.status, `${label}: ${response.text()}`).toBe(429);
	const body = JSON.parse(response.text());
	expect(body).toEqual({ code: "RATE_LIMITED", message: expect.any(String) });
	const retryAfter = Number(response.headers["retry-after"]);
	expect(Number.isInteger(retryAfter), label).toBe(true);
	expect(retryAfter, label).toBeGreaterThanOrEqual(1);
	expect(retryAfter, label).toBeLessThanOrEqual(60);
}

const exchange = (
	tether: TestTether,
	target = "/v1/token/exchange",
	headers: [string, string][] = [],
) =>
	rawRequest(portOf(tether), {
		method: "POST",
		target,
		headers: [["Content-Type", "application/json"], ...headers],
		body: JSON.stringify({ code: "not-a-code" }),
	});

describe("rate limits on the entry points, per client IP", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			rateLimits: {
				token: { requests: 5, perSeconds: 60 },
				signin: { requests: 3, perSeconds: 60 },
				callback: { requests: 3, perSeconds: 60 },
			},
		});
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("a burst past the limit on /v1/token/exchange → 429 RATE_LIMITED with Retry-After", async () => {
		for (let i = 0; i < 5; i++) {
			const response = await exchange(tether);
			expect(response.status, response.text()).toBe(400);
		}
		const limited = await exchange(tether);
		expectRateLimited(limited, "6th exchange");
		// 5 per minute: the next token is 12 seconds away.
		expect(Number(limited.headers["retry-after"])).toBe(12);
		expect(limited.headers["x-request-id"]).toBeDefined();
	});

	it("gives no fresh budget to forged forwarding headers or other spellings of the path", async () => {
		const attempts: [string, () => Promise<RawResponse>][] = [
			...["1.2.3.4", "10.9.8.7", "::1", "203.0.113.9, 198.51.100.1"].map(
				(ip): [string, () => Promise<RawResponse>] => [
					`X-Forwarded-For: ${ip}`,
					() =>
						exchange(tether, "/v1/token/exchange", [
							["X-Forwarded-For", ip],
							["X-Real-IP", ip],
							["Forwarded", `for=${ip}`],
						]),
				],
			),
			...[
				"/v1//token/exchange",
				"//v1/token/exchange",
				"/V1/token/exchange",
				"/v1/TOKEN/EXCHANGE",
				"/v1/token/exchange/",
				"/v1/token/exchange//",
				"/v1/token%2Fexchange",
				"/v1%2Ftoken%2Fexchange",
				"/v1/token%252Fexchange",
				"/v1/token/%65xchange",
				"/v1/./token/exchange",
				"/v1/x/../token/exchange",
				"/v1/%2e%2e/v1/token/exchange",
				"/v1/token/exchange?fresh=1",
				"/v1/token/exchange;x",
			].map((path): [string, () => Promise<RawResponse>] => [
				path,
				() => exchange(tether, path),
			]),
			// The session refresh shares the budget.
			[
				"/v1/token",
				() =>
					rawRequest(portOf(tether), {
						method: "POST",
						target: "/v1/token",
						headers: [["Content-Type", "application/json"]],
						body: JSON.stringify({ refreshToken: "nope" }),
					}),
			],
			// As do other methods and credentials.
			[
				"GET with the secret key",
				() =>
					rawRequest(portOf(tether), {
						method: "GET",
						target: "/v1/token/exchange",
						headers: [["Authorization", `Bearer ${secretKey}`]],
					}),
			],
		];
		for (const [label, attempt] of attempts) {
			const response = await attempt();
			// `;x` is a different path to the router too; every other spelling must be refused.
			if (label.endsWith(";x") && response.status === 404) continue;
			expectRateLimited(response, label);
		}
		// Other routes are not affected.
		expect((await api(tether, "GET", "/v1/healthz")).status).toBe(200);
	});

	it("limits sign-in start (every provider and the link start) and callbacks per client", async () => {
		const port = portOf(tether);
		const get = (target: string) => rawRequest(port, { method: "GET", target });
		for (let i = 0; i < 3; i++) {
			const response = await get(
				`/v1/signin/provider/${tether.provider}?redirectTo=${encodeURIComponent("http://127.0.0.1:5999/app/")}`,
			);
			expect(response.status, response.text()).toBe(302);
		}
		for (const target of [
			`/v1/signin/provider/${tether.provider}`,
			"/v1/signin/provider/UPSTREAM",
			"/v1/signin/provider/other",
			"/v1/signin/provider/upstream/",
			"/v1/link/upstream/start?intent=x",
		])
			expectRateLimited(await get(target), target);
		for (let i = 0; i < 3; i++) {
			const response = await get(
				`/v1/signin/provider/${tether.provider}/callback`,
			);
			expect(response.status, response.text()).toBe(400);
		}
		expectRateLimited(
			await get(`/v1/signin/provider/${tether.provider}/callback?state=x`),
			"4th callback",
		);
		expectRateLimited(
			await rawRequest(port, {
				method: "POST",
				target: `/v1/signin/provider/${tether.provider}//callback/`,
				headers: [["Content-Type", "application/x-www-form-urlencoded"]],
				body: "state=x",
			}),
			"form_post callback",
		);
	});
});

describe("rate limits behind a trusted proxy (trustProxy: 1)", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			config: { trustProxy: 1 },
			rateLimits: { token: { requests: 2, perSeconds: 60 } },
		});
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("keys by the address the proxy appended; the client's own entries change nothing", async () => {
		const as = (forwardedFor: string) =>
			exchange(tether, "/v1/token/exchange", [
				["X-Forwarded-For", forwardedFor],
			]);
		expect((await as("198.51.100.7")).status).toBe(400);
		expect((await as("6.6.6.6, 198.51.100.7")).status).toBe(400);
		expectRateLimited(
			await as("7.7.7.7, 198.51.100.7"),
			"spoofed left entries",
		);
		// A different client behind the same proxy has its own budget.
		expect((await as("198.51.100.8")).status).toBe(400);
	});
});

describe("rate limits on the authenticated API, per principal", () => {
	let tether: TestTether;
	let alice: SessionBody;
	let bob: SessionBody;
	beforeAll(async () => {
		tether = await startTestTether({
			rateLimits: { api: { requests: 5, perSeconds: 60 } },
		});
		alice = await createBrowser(tether).signIn("alice");
		bob = await createBrowser(tether).signIn("bob");
	});
	afterAll(async () => {
		await tether?.close();
	});

	const accessToken = (session: SessionBody, token = session.accessToken) => {
		const account = session.user.connectedAccounts[0];
		return api(
			tether,
			"POST",
			`/v1/connected-accounts/me/${tether.provider}/${account?.providerAccountId}/access-token`,
			{ token },
		);
	};

	it("the access-token path: 429 past the user's budget, other users and the secret key unaffected", async () => {
		for (let i = 0; i < 5; i++)
			expect((await accessToken(alice)).status).toBe(200);
		const limited = await accessToken(alice);
		expect(limited.status).toBe(429);
		expect(limited.body).toEqual({
			code: "RATE_LIMITED",
			message: expect.any(String),
		});
		expect(Number(limited.headers.get("retry-after"))).toBe(12);
		// The same user's other API calls share the budget.
		expect(
			(await api(tether, "GET", "/v1/user", { token: alice.accessToken }))
				.status,
		).toBe(429);

		// Keyed by principal, not address: bob, on the same IP, still has his.
		expect((await accessToken(bob)).status).toBe(200);
		// Keyed by user, not token: a second session of alice's gets no fresh budget.
		const again = await createBrowser(tether).signIn("alice");
		expect(again.user.id).toBe(alice.user.id);
		expect((await accessToken(again)).status).toBe(429);
		// The app backend's secret key has its own limit (off by default).
		const account = alice.user.connectedAccounts[0];
		const backend = await api(
			tether,
			"POST",
			`/v1/connected-accounts/${alice.user.id}/${tether.provider}/${account?.providerAccountId}/access-token`,
			{ token: secretKey },
		);
		expect(backend.status).toBe(200);
	});
});

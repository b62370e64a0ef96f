import { authorize } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	appUrl,
	createBrowser,
	startTestTether,
	type TestTether,
} from "./harness.ts";

/** Each test here guards one security requirement; removing the check it names makes it fail. */
describe("flow security", () => {
	let tether: TestTether;
	let clockOffset = 0;
	let tamperIdToken = false;
	beforeAll(async () => {
		tether = await startTestTether({
			now: () => Date.now() + clockOffset,
			// A second provider config at the same upstream, for mix-up attempts.
			providers: (upstream) => [
				{
					id: "upstream",
					type: "oidc",
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
					scopes: ["openid", "email", "profile", "offline_access"],
				},
				{
					id: "other",
					type: "oidc",
					issuer: upstream.issuer,
					clientId: upstream.clientId,
					clientSecret: upstream.clientSecret,
					scopes: ["openid", "email"],
				},
			],
			upstream: {
				// Two upstream accounts sharing one verified email: identity must not follow the email.
				accountClaims: (id) => ({
					email: id.startsWith("twin")
						? "twin@upstream.test"
						: `${id}@upstream.test`,
					email_verified: true,
					name: id,
				}),
			},
			// A man in the middle that flips one character of the ID token's signature.
			fetch: async (request) => {
				const response = await fetch(request);
				if (!tamperIdToken || !request.url.endsWith("/token")) return response;
				const body = (await response.json()) as Record<string, unknown>;
				if (typeof body.id_token === "string") {
					const token = body.id_token;
					body.id_token =
						token.slice(0, -2) +
						(token.at(-2) === "A" ? "B" : "A") +
						token.slice(-1);
				}
				return new Response(JSON.stringify(body), {
					status: response.status,
					headers: response.headers,
				});
			},
		});
		tether.upstream.addRedirectUri(
			`${tether.baseUrl}/v1/signin/provider/other/callback`,
		);
	});
	afterAll(async () => {
		await tether?.close();
	});

	function startUrl(provider = "upstream", redirectTo = appUrl): string {
		const url = new URL(`${tether.baseUrl}/v1/signin/provider/${provider}`);
		url.searchParams.set("redirectTo", redirectTo);
		return url.toString();
	}

	/** Starts a flow in `browser` and returns the provider's redirect back to Tether (not yet followed). */
	async function callbackFor(
		browser: ReturnType<typeof createBrowser>,
		account: string,
		provider = "upstream",
	) {
		const start = await browser.get(startUrl(provider));
		const toProvider = new URL(start.headers.get("location") ?? "");
		return {
			toProvider,
			callback: await authorize(toProvider.toString(), { account }),
		};
	}

	const codeExchanges = () =>
		tether.upstream.counters.tokenRequests.authorization_code;

	it("sends a 256-bit state, PKCE S256 and a nonce, and a redirect_uri from config only", async () => {
		const browser = createBrowser(tether);
		const start = await browser.get(startUrl(), {
			headers: {
				host: "evil.test",
				"x-forwarded-host": "evil.test",
				"x-forwarded-proto": "https",
			},
		});
		expect(start.status).toBe(302);
		const url = new URL(start.headers.get("location") ?? "");
		expect(
			Buffer.from(url.searchParams.get("state") ?? "", "base64url").length,
		).toBeGreaterThanOrEqual(16);
		expect(url.searchParams.get("code_challenge_method")).toBe("S256");
		expect(url.searchParams.get("code_challenge")).toMatch(
			/^[A-Za-z0-9_-]{43}$/,
		);
		expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{22,}$/);
		expect(url.searchParams.get("redirect_uri")).toBe(
			`${tether.baseUrl}/v1/signin/provider/upstream/callback`,
		);
		expect(start.headers.get("cache-control")).toBe("no-store");
		expect(start.headers.get("referrer-policy")).toBe("no-referrer");
	});

	it("uses a state once: a replayed callback is refused before any token request", async () => {
		const browser = createBrowser(tether);
		const { callback } = await callbackFor(browser, "lena");
		expect((await browser.get(callback.toString())).status).toBe(302);
		const before = codeExchanges();
		const replay = await browser.get(callback.toString());
		expect(replay.status).toBe(400);
		expect(replay.headers.get("cache-control")).toBe("no-store");
		expect(codeExchanges()).toBe(before);
	});

	it("binds the state to the browser that started the flow", async () => {
		const { callback } = await callbackFor(createBrowser(tether), "mia");
		const before = codeExchanges();
		const elsewhere = await createBrowser(tether).get(callback.toString());
		expect(elsewhere.status).toBe(400);
		expect(codeExchanges()).toBe(before);
	});

	it("expires a state after 10 minutes", async () => {
		const browser = createBrowser(tether);
		const { callback } = await callbackFor(browser, "nora");
		clockOffset = 10 * 60 * 1000 + 1000;
		try {
			const before = codeExchanges();
			expect((await browser.get(callback.toString())).status).toBe(400);
			expect(codeExchanges()).toBe(before);
		} finally {
			clockOffset = 0;
		}
	});

	it("checks the RFC 9207 issuer: a wrong or missing iss is refused before the code is used", async () => {
		for (const mutate of [
			(url: URL) => url.searchParams.set("iss", "http://127.0.0.1:1/evil"),
			(url: URL) => url.searchParams.delete("iss"),
		]) {
			const browser = createBrowser(tether);
			const { callback } = await callbackFor(browser, "olga");
			expect(callback.searchParams.get("iss")).toBe(tether.upstream.issuer);
			mutate(callback);
			const before = codeExchanges();
			const response = await browser.get(callback.toString());
			expect(response.status).toBe(302);
			expect(
				new URL(response.headers.get("location") ?? "").searchParams.get(
					"error",
				),
			).toBe("invalid_callback");
			expect(codeExchanges()).toBe(before);
		}
	});

	it("sends a code only to the token endpoint of the flow's own provider (mix-up)", async () => {
		const browser = createBrowser(tether);
		const { callback } = await callbackFor(browser, "pia", "upstream");
		const mixed = new URL(
			callback
				.toString()
				.replace("/provider/upstream/callback", "/provider/other/callback"),
		);
		const before = codeExchanges();
		const response = await browser.get(mixed.toString());
		expect(response.status).toBe(400);
		expect(codeExchanges()).toBe(before);
	});

	it.each([
		"//evil.test",
		"/\\evil.test",
		"https://allowed.test.evil.test/",
		"http://127.0.0.1:5999@evil.test/app/",
		"javascript:alert(1)",
		"http://127.0.0.1:5999/app%2F..%2F..%2Fother",
		"http%3A%2F%2Fevil.test",
		"http://127.0.0.1:5999/application",
	])("refuses redirectTo %j when the flow starts", async (redirectTo) => {
		const response = await createBrowser(tether).get(
			startUrl("upstream", redirectTo),
		);
		expect(response.status).toBe(400);
		expect(response.headers.get("location")).toBeNull();
	});

	it("ignores a redirectTo smuggled into the callback's query", async () => {
		const browser = createBrowser(tether);
		const { callback } = await callbackFor(browser, "quinn");
		callback.searchParams.set("redirectTo", "https://evil.test/");
		callback.searchParams.set("redirect_to", "https://evil.test/");
		const response = await browser.get(callback.toString());
		const location = new URL(response.headers.get("location") ?? "");
		expect(location.origin + location.pathname).toBe(appUrl);
		expect(response.headers.get("referrer-policy")).toBe("no-referrer");
	});

	it("never links by email: two provider accounts with one email are two users", async () => {
		const first = await createBrowser(tether).signIn("twin-a");
		const second = await createBrowser(tether).signIn("twin-b");
		expect(second.user.id).not.toBe(first.user.id);
		expect(
			second.user.connectedAccounts.map((a) => a.providerAccountId),
		).toEqual(["twin-b"]);
	});

	it("refuses a tampered ID token and stores nothing", async () => {
		const browser = createBrowser(tether);
		tamperIdToken = true;
		try {
			const landed = await browser.follow(startUrl(), { account: "rita" });
			expect(landed.searchParams.get("error")).toBe("invalid_identity");
			expect(landed.searchParams.get("code")).toBeNull();
		} finally {
			tamperIdToken = false;
		}
		const account = await tether.server.store.findConnectedAccount(
			"upstream",
			"rita",
		);
		expect(account).toBeNull();
	});

	it("requires the app's PKCE verifier when sign-in started with a challenge", async () => {
		const { createHash } = await import("node:crypto");
		const verifier = "v".repeat(50);
		const challenge = createHash("sha256").update(verifier).digest("base64url");
		const browser = createBrowser(tether);
		const url = new URL(startUrl());
		url.searchParams.set("codeChallenge", challenge);
		const landed = await browser.follow(url.toString(), { account: "sam" });
		const code = landed.searchParams.get("code");
		const without = await api(tether, "POST", "/v1/token/exchange", {
			body: { code },
		});
		expect(without.status).toBe(400);
		const landedAgain = await browser.follow(url.toString(), {
			account: "sam",
		});
		const wrong = await api(tether, "POST", "/v1/token/exchange", {
			body: {
				code: landedAgain.searchParams.get("code"),
				codeVerifier: "w".repeat(50),
			},
		});
		expect(wrong.status).toBe(400);
		const landedThird = await browser.follow(url.toString(), {
			account: "sam",
		});
		const right = await api(tether, "POST", "/v1/token/exchange", {
			body: {
				code: landedThird.searchParams.get("code"),
				codeVerifier: verifier,
			},
		});
		expect(right.status).toBe(200);
	});

	it("writes no token, code or state to its logs", async () => {
		const browser = createBrowser(tether);
		const { toProvider, callback } = await callbackFor(browser, "tess");
		const landed = new URL(
			(await browser.get(callback.toString())).headers.get("location") ?? "",
		);
		const code = landed.searchParams.get("code") ?? "";
		const session = await api(tether, "POST", "/v1/token/exchange", {
			body: { code },
		});
		const tokens = await api(
			tether,
			"GET",
			"/v1/signin/provider/upstream/callback/tokens",
			{
				token: session.body.accessToken,
			},
		);
		const secrets = [
			toProvider.searchParams.get("state"),
			toProvider.searchParams.get("nonce"),
			callback.searchParams.get("code"),
			code,
			session.body.accessToken,
			session.body.refreshToken,
			tokens.body.accessToken,
			tokens.body.refreshToken,
		];
		const logs = tether.logs.join("\n");
		expect(logs.length).toBeGreaterThan(0);
		for (const secret of secrets) {
			expect(typeof secret === "string" && secret.length > 10).toBe(true);
			expect(logs).not.toContain(secret);
		}
	});

	it("accepts the callback as a form POST (form_post providers) with the same checks", async () => {
		const browser = createBrowser(tether);
		const { callback } = await callbackFor(browser, "uli");
		const action = `${callback.origin}${callback.pathname}`;
		const posted = await browser.get(action, {
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded" },
			body: callback.searchParams.toString(),
		});
		expect(posted.status).toBe(302);
		expect(
			new URL(posted.headers.get("location") ?? "").searchParams.get("code"),
		).toMatch(/^[\w-]{43}$/);
		const json = await browser.get(action, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: "{}",
		});
		expect(json.status).toBe(415);
	});
});

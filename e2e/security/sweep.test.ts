import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	newBrowser,
	signIn,
	signinUrl,
} from "./support/flows.ts";
import { createLedger, findLeaks, type SecretKind } from "./support/ledger.ts";
import { useSecurityTether } from "./support/security-tether.ts";

/**
 * The final sweep (SPEC.md: logs never contain a token, code, state, verifier, secret; no plaintext
 * token in the database). One run drives everything that makes or moves a secret — sign-in with
 * app PKCE, the guide's one-time read and refresh, session rotation, linking and upgrading, access
 * tokens refreshed at a rotating upstream, unlinking with revocation, sign-out, the admin API and a
 * string of failures — then looks for every secret of the run, from the test's side and from the
 * upstream's token endpoint, in every log line (at debug level), every error answer, every admin
 * answer, /metrics, and the database (SQLite file and WAL bytes, or a pg_dump on PostgreSQL).
 * Every other file of this suite ends with the same sweep over its own run.
 */
describe("the secret sweep, against a real Tether process", () => {
	const tether = useSecurityTether({
		name: "security-sweep",
		// Tokens that are never fresh (60 s against the 300 s margin): every access-token call
		// refreshes at the upstream, which rotates refresh tokens.
		upstream: { accessTokenTtlSeconds: 60 },
	});
	const adminAnswers: string[] = [];
	beforeAll(async () => {
		await driveEverything();
	}, 90_000);

	async function driveEverything() {
		const verifier = randomBytes(48).toString("base64url");
		const challenge = createHash("sha256").update(verifier).digest("base64url");
		const landed = await newBrowser(tether()).follow(
			signinUrl(tether(), { codeChallenge: challenge }),
			{ account: "sweep-user" },
		);
		const code = landed.searchParams.get("code");
		const session = await call(tether(), "POST", "/v1/token/exchange", {
			body: { code, codeVerifier: verifier },
		});
		expect(session.status).toBe(200);
		const token = session.body.accessToken;
		const provider = await call(
			tether(),
			"GET",
			"/v1/signin/provider/upstream/callback/tokens",
			{ token },
		);
		expect(provider.status).toBe(200);
		for (let i = 0; i < 2; i++) {
			const refreshed = await call(
				tether(),
				"POST",
				"/v1/token/provider/upstream",
				{
					token,
					body: { refreshToken: provider.body.refreshToken },
				},
			);
			expect(refreshed.status).toBe(200);
		}
		const rotated = await call(tether(), "POST", "/v1/token", {
			body: { refreshToken: session.body.refreshToken },
		});
		expect(rotated.status).toBe(200);
		const current = rotated.body.accessToken;

		// A second account, then an upgrade of it with more scopes.
		for (const body of [
			{},
			{ providerAccountId: "sweep-second", scopes: ["read"] },
		]) {
			const intent = await call(tether(), "POST", "/v1/link/upstream", {
				token: current,
				body,
			});
			const landed = await newBrowser(tether()).follow(intent.body.url, {
				account: "sweep-second",
			});
			const linkCode = landed.searchParams.get("link_code");
			// The landing URL is read from a Location header, never fetched: record its code here.
			tether().ledger.add("link code", linkCode);
			const completed = await call(tether(), "POST", "/v1/link/complete", {
				token: current,
				body: { code: linkCode },
			});
			expect(completed.status).toBe(200);
		}
		for (const scopes of [[], ["read"], ["admin-scope-never-granted"]])
			await call(
				tether(),
				"POST",
				"/v1/connected-accounts/me/upstream/sweep-second/access-token",
				{ token: current, body: { scopes } },
			);
		await call(
			tether(),
			"POST",
			`/v1/connected-accounts/${rotated.body.user.id}/upstream/sweep-user/access-token`,
			{ token: tether().secretKey },
		);
		expect(tether().upstream.counters.refreshSuccesses).toBeGreaterThan(0);
		expect(
			(
				await call(
					tether(),
					"DELETE",
					"/v1/connected-accounts/me/upstream/sweep-second",
					{ token: current },
				)
			).status,
		).toBe(204);

		// Failures that carry secrets in their requests.
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "sweep-fail");
		await browser.get(callback.toString());
		await browser.get(callback.toString());
		await call(tether(), "POST", "/v1/token/exchange", { body: { code } });
		await call(tether(), "POST", "/v1/token", {
			body: { refreshToken: session.body.refreshToken },
		});
		await call(tether(), "GET", `/v1/user?secretKey=${tether().secretKey}`);
		await call(tether(), "GET", "/v1/user", {
			token: `${tether().secretKey}x`,
		});
		await call(tether(), "GET", "/v1/user", { token: `${current}x` });
		await call(tether(), "GET", "/v1/user", {
			headers: { authorization: `Basic ${provider.body.accessToken}` },
		});
		await call(tether(), "POST", "/v1/token/provider/upstream", {
			token: current,
			body: { refreshToken: `${provider.body.refreshToken}x` },
		});
		// Secrets inside fields that fail validation: an error may name the field, never echo it.
		const probes: [string, unknown][] = [
			["/v1/token/exchange", { code, codeVerifier: `${verifier}!` }],
			["/v1/token/exchange", { code: code?.repeat(20) }],
			["/v1/token", { refreshToken: session.body.refreshToken.repeat(20) }],
			["/v1/token", { refreshToken: [session.body.refreshToken] }],
			["/v1/token/exchange", { code: { $ne: code } }],
		];
		for (const [path, body] of probes)
			expect((await call(tether(), "POST", path, { body })).status).toBe(400);
		await call(tether(), "POST", "/v1/link/upstream", {
			token: current,
			body: {
				redirectTo: `https://evil.test/?leak=${provider.body.accessToken}`,
			},
		});

		for (const [method, path] of [
			["GET", "/v1/admin/users"],
			["GET", `/v1/admin/users/${rotated.body.user.id}`],
			["GET", "/v1/admin/audit"],
			["GET", "/v1/admin/providers"],
			["GET", "/v1/admin/events"],
			["POST", "/v1/admin/accounts/upstream/sweep-user/refresh"],
		] as const) {
			const answer = await call(tether(), method, path, {
				token: tether().adminSecret,
			});
			expect(answer.status, path).toBe(200);
			adminAnswers.push(JSON.stringify(answer.body));
		}
		expect(
			(await call(tether(), "POST", "/v1/signout", { token: current })).status,
		).toBe(204);
	}

	it("collected every kind of secret the run made, from both sides", () => {
		const kinds = new Set(tether().ledger.secrets.values());
		const expected: SecretKind[] = [
			"state",
			"nonce",
			"upstream code",
			"tether code",
			"pkce verifier",
			"app pkce verifier",
			"link intent",
			"link code",
			"session access token",
			"session refresh token",
			"provider access token",
			"provider refresh token",
			"id token",
			"client secret",
			"secret key",
			"admin secret",
			"encryption key",
		];
		expect([...kinds].sort()).toEqual([...expected].sort());
		expect(tether().ledger.secrets.size).toBeGreaterThan(40);
	});

	it("hands provider refresh tokens and ID tokens to the app only through the guide's two endpoints", () => {
		const guarded = [...tether().ledger.secrets].filter(
			([, kind]) => kind === "provider refresh token" || kind === "id token",
		);
		expect(guarded.length).toBeGreaterThan(2);
		const elsewhere = tether().ledger.answers.filter(
			({ url }) => !/\/(callback\/tokens|token\/provider\/)/.test(url),
		);
		expect(elsewhere.length).toBeGreaterThan(10);
		const shown = elsewhere.flatMap(({ url, text }) =>
			guarded
				.filter(([secret]) => text.includes(secret))
				.map(([, kind]) => `${kind} in ${new URL(url).pathname}`),
		);
		expect(shown).toEqual([]);
	});

	it("searches the real places: request lines in the logs, the account in the database, counters in /metrics", async () => {
		const haystacks = await tether().haystacks();
		expect(haystacks.logs).toContain('"path":"/v1/token/exchange"');
		expect(haystacks.database).toContain("sweep-user");
		expect(haystacks.metrics).toContain("/v1/token/exchange");
		expect(haystacks.errorAnswers).toContain("INVALID_REQUEST");
	});

	it("would notice a leak: a value sent where Tether logs it is found", async () => {
		const canary = `canary${randomBytes(16).toString("hex")}`;
		await call(tether(), "GET", `/v1/no-such-route/${canary}`);
		const ledger = createLedger();
		ledger.add("secret key", canary);
		expect(findLeaks(ledger, await tether().haystacks())).toEqual([
			`secret key ${canary.slice(0, 6)}… in logs`,
		]);
	});

	it("finds no secret of the run in any log line, error answer, admin answer, /metrics or the database", async () => {
		const haystacks = await tether().haystacks();
		const adminLedgerCheck = findLeaks(tether().ledger, {
			logs: "",
			errorAnswers: "",
			metrics: adminAnswers.join("\n"),
			database: "",
		}).map((leak) => leak.replace(/ in metrics$/, " in admin answers"));
		expect([...adminLedgerCheck, ...(await tether().findLeaks())]).toEqual([]);
		expect(haystacks.logs.split("\n").length).toBeGreaterThan(40);
	});
});

describe("exposeProviderRefreshTokens: false, against a real Tether process", () => {
	const tether = useSecurityTether({
		name: "security-no-refresh-tokens",
		config: { exposeProviderRefreshTokens: false },
	});

	it("never gives the browser a provider refresh token, not even through the guide's endpoints", async () => {
		const session = await signIn(tether(), "sweep-closed");
		const tokens = await call(
			tether(),
			"GET",
			"/v1/signin/provider/upstream/callback/tokens",
			{ token: session.accessToken },
		);
		expect(tokens.status).toBe(200);
		expect(tokens.body.refreshToken).toBeNull();
		await call(
			tether(),
			"POST",
			"/v1/connected-accounts/me/upstream/sweep-closed/access-token",
			{ token: session.accessToken },
		);
		const issued = [...tether().ledger.secrets].filter(
			([, kind]) => kind === "provider refresh token",
		);
		expect(issued.length).toBeGreaterThan(0);
		for (const { text } of tether().ledger.answers)
			for (const [secret] of issued) expect(text).not.toContain(secret);
	});

	itLeavesNoSecrets(tether);
});

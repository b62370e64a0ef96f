import { readFileSync } from "node:fs";
import { type FaultProvider, startFaultProvider } from "@tether/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	createBrowser,
	faultProvider,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
	upstreamProvider,
} from "./harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("refresh against the real upstream (strict rotation, 2-second tokens)", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether({
			accessTokenTtlSeconds: 2,
			config: { refreshMarginSeconds: 1 },
		});
	});
	afterAll(async () => {
		await tether?.close();
	});

	const tokenPath = (account: string) =>
		`/v1/connected-accounts/me/upstream/${account}/access-token`;

	it("serves a fresh token from storage without calling the provider", async () => {
		const session = await createBrowser(tether).signIn("uma");
		const before = tether.upstream.counters.tokenRequests.refresh_token;
		const first = await api(tether, "POST", tokenPath("uma"), {
			token: session.accessToken,
		});
		const second = await api(tether, "POST", tokenPath("uma"), {
			token: session.accessToken,
		});
		expect(first.status).toBe(200);
		expect(second.body.accessToken).toBe(first.body.accessToken);
		expect(tether.upstream.counters.tokenRequests.refresh_token).toBe(before);
	});

	it("50 concurrent requests for an expired token make exactly one refresh, and all get its token", async () => {
		const session = await createBrowser(tether).signIn("vera");
		await sleep(2200);
		const before = { ...tether.upstream.counters.tokenRequests };
		const results = await Promise.all(
			Array.from({ length: 50 }, () =>
				api(tether, "POST", tokenPath("vera"), { token: session.accessToken }),
			),
		);
		expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
		expect(new Set(results.map((r) => r.body.accessToken)).size).toBe(1);
		expect(
			tether.upstream.counters.tokenRequests.refresh_token -
				before.refresh_token,
		).toBe(1);
		expect(tether.upstream.counters.grantsRevoked).toBe(0);
	});

	it("keeps refreshing across many expiries without the rotating provider ever revoking the grant", async () => {
		const session = await createBrowser(tether).signIn("wade");
		const seen = new Set<string>();
		for (let round = 0; round < 3; round++) {
			await sleep(2100);
			const results = await Promise.all(
				Array.from({ length: 10 }, () =>
					api(tether, "POST", tokenPath("wade"), {
						token: session.accessToken,
					}),
				),
			);
			expect(results.every((r) => r.status === 200)).toBe(true);
			seen.add(results[0]?.body.accessToken);
		}
		expect(seen.size).toBe(3);
		expect(tether.upstream.counters.grantsRevoked).toBe(0);
	});

	it("a database blip while storing a refresh: the write is retried, the rotated refresh token kept, and other requests get 503 SERVICE_UNAVAILABLE", async () => {
		// Found by the chaos run (e2e/chaos): a PostgreSQL restart between the provider's answer and
		// the write lost the rotated refresh token, and the next refresh revoked the grant.
		const session = await createBrowser(tether).signIn("dora");
		await sleep(2100);
		const store = tether.server.store;
		const update = store.updateConnectedAccount;
		const list = store.listConnectedAccounts;
		const connectionDied = () =>
			Object.assign(new Error("Connection terminated unexpectedly"), {});
		let failedWrites = 0;
		store.updateConnectedAccount = async (...args) => {
			if (args[2].accessTokenEnc !== undefined && failedWrites < 3) {
				failedWrites += 1;
				throw connectionDied();
			}
			return update.apply(store, args);
		};
		store.listConnectedAccounts = async () => {
			throw Object.assign(
				new Error("terminating connection due to administrator command"),
				{ code: "57P01" },
			);
		};
		try {
			const during = await api(tether, "POST", tokenPath("dora"), {
				token: session.accessToken,
			});
			expect(during.status).toBe(200);
			expect(failedWrites).toBe(3);
			const listed = await api(tether, "GET", "/v1/connected-accounts/me", {
				token: session.accessToken,
			});
			expect(listed.status).toBe(503);
			expect(listed.body.code).toBe("SERVICE_UNAVAILABLE");
			expect(listed.headers.get("retry-after")).toBe("1");
		} finally {
			store.updateConnectedAccount = update;
			store.listConnectedAccounts = list;
		}
		await sleep(2100);
		const next = await api(tether, "POST", tokenPath("dora"), {
			token: session.accessToken,
		});
		expect(next.status).toBe(200);
		expect(tether.upstream.counters.grantsRevoked).toBe(0);
		expect(tether.upstream.counters.invalidGrants).toBe(0);
	});

	it("a grant revoked at the provider ends in reauth_required, then no more provider calls", async () => {
		const session = await createBrowser(tether).signIn("xena");
		await tether.upstream.revokeGrant({ account: "xena" });
		await sleep(2100);
		const response = await api(tether, "POST", tokenPath("xena"), {
			token: session.accessToken,
		});
		expect(response.status).toBe(409);
		expect(response.body.details.reason).toBe("reauth_required");
		const before = tether.upstream.counters.tokenRequests.refresh_token;
		const again = await api(tether, "POST", tokenPath("xena"), {
			token: session.accessToken,
		});
		expect(again.status).toBe(409);
		expect(tether.upstream.counters.tokenRequests.refresh_token).toBe(before);
		const account = await api(
			tether,
			"GET",
			"/v1/connected-accounts/me/upstream/xena",
			{ token: session.accessToken },
		);
		expect(account.body.status).toBe("reauth_required");
		const events = await tether.server.store.listEvents({ limit: 100 });
		expect(events.map((e) => e.type)).toContain(
			"connected_account.reauth_required",
		);
	});

	it("stores no provider token in plain text", async () => {
		const session = await createBrowser(tether).signIn("yuri");
		const provided = await api(
			tether,
			"GET",
			"/v1/signin/provider/upstream/callback/tokens",
			{
				token: session.accessToken,
			},
		);
		const refreshed = await api(tether, "POST", tokenPath("yuri"), {
			token: session.accessToken,
		});
		const database = tether.server.config.database.slice("sqlite:".length);
		const files = [database, `${database}-wal`]
			.map((file) => {
				try {
					return readFileSync(file).toString("latin1");
				} catch {
					return "";
				}
			})
			.join("");
		expect(files.length).toBeGreaterThan(0);
		for (const token of [
			provided.body.accessToken,
			provided.body.refreshToken,
			refreshed.body.accessToken,
		]) {
			expect(files).not.toContain(token);
			expect(tether.logs.join("\n")).not.toContain(token);
		}
	});
});

describe("refresh against a failing provider: nothing is lost", () => {
	let tether: TestTether;
	let fault: FaultProvider;
	let clock = 0;
	let session: SessionBody;
	// The secret key, not the session: this test moves Tether's clock past a session's lifetime.
	const call = () =>
		api(
			tether,
			"POST",
			`/v1/connected-accounts/${session.user.id}/flaky/fault-user/access-token`,
			{
				token: secretKey,
			},
		);
	/** Moves Tether's clock past any backoff and past the token's expiry. */
	const later = (seconds = 120) => {
		clock += seconds * 1000;
	};

	beforeAll(async () => {
		fault = await startFaultProvider();
		tether = await startTestTether({
			now: () => Date.now() + clock,
			config: { refreshMarginSeconds: 1 },
			providers: (upstream) => [
				upstreamProvider(upstream),
				faultProvider(fault, "flaky"),
			],
		});
		tether.provider = "flaky";
		fault.enqueue({ kind: "success", expiresIn: 60 });
		session = await createBrowser(tether).signIn("fault-user");
	});
	afterAll(async () => {
		await tether?.close();
		await fault?.close();
	});

	async function expectKept() {
		const account = await tether.server.store.findConnectedAccount(
			"flaky",
			"fault-user",
		);
		expect(account?.status).toBe("active");
		expect(account?.refreshTokenEnc).not.toBeNull();
	}

	it.each([
		["503 with Retry-After", { kind: "unavailable", retryAfter: 7 }, 7],
		["429 with Retry-After", { kind: "rate_limited", retryAfter: 9 }, 9],
		["a hang past the timeout", { kind: "hang" }, undefined],
		["a TCP reset", { kind: "reset" }, undefined],
		["an HTML error page", { kind: "html_error" }, undefined],
	] as const)(
		"%s → 503 PROVIDER_UNAVAILABLE, account kept, then it works again",
		async (_name, fault_, retry) => {
			later();
			fault.enqueue(fault_);
			const failed = await call();
			expect(failed.status).toBe(503);
			expect(failed.body.code).toBe("PROVIDER_UNAVAILABLE");
			const retryAfter = Number(failed.headers.get("retry-after"));
			expect(retryAfter).toBeGreaterThanOrEqual(retry ?? 1);
			await expectKept();

			// Within the backoff window the provider is left alone.
			const calls = fault.counters.token;
			expect((await call()).status).toBe(503);
			expect(fault.counters.token).toBe(calls);

			later();
			fault.enqueue({ kind: "success", expiresIn: 60 });
			const healed = await call();
			expect(healed.status).toBe(200);
			await expectKept();
		},
	);

	it("keeps the stored refresh token when an answer brings none (and no expiry)", async () => {
		later();
		fault.enqueue({ kind: "success", refreshToken: "none", expiresIn: null });
		const first = await call();
		expect(first.status).toBe(200);
		expect(first.body.expiresAt).toBeNull();
		const presented = fault.requests.at(-1)?.form.refresh_token;
		// No expiry means fresh until the provider says otherwise: no refresh on the next call.
		const calls = fault.counters.token;
		expect((await call()).body.accessToken).toBe(first.body.accessToken);
		expect(fault.counters.token).toBe(calls);
		const account = await tether.server.store.findConnectedAccount(
			"flaky",
			"fault-user",
		);
		expect(account?.refreshTokenEnc).not.toBeNull();
		expect(presented).toEqual(expect.any(String));
	});

	it("invalid_client opens the provider's circuit instead of flagging the account", async () => {
		// Force expiry again by giving the account a short-lived token first.
		later();
		await tether.server.store
			.findConnectedAccount("flaky", "fault-user")
			.then(async (row) => {
				if (row === null) throw new Error("account missing");
				await tether.server.store.updateConnectedAccount(
					row.id,
					row.version,
					{ accessTokenExpiresAt: 0 },
					Date.now(),
				);
			});
		fault.enqueue({ kind: "invalid_client" });
		const failed = await call();
		expect(failed.status).toBe(503);
		await expectKept();
		later(10);
		const calls = fault.counters.token;
		expect((await call()).status).toBe(503);
		expect(fault.counters.token).toBe(calls);
		expect(
			tether.logs.some((line) =>
				line.includes("rejects our client credentials"),
			),
		).toBe(true);
		later(60);
	});

	it("a GitHub-style 200 bad_refresh_token is a revocation: reauth_required, then silence", async () => {
		later();
		fault.enqueue({ kind: "bad_refresh_token" });
		const refused = await call();
		expect(refused.status).toBe(409);
		expect(refused.body.details).toMatchObject({ reason: "reauth_required" });
		const calls = fault.counters.token;
		later();
		expect((await call()).status).toBe(409);
		expect(fault.counters.token).toBe(calls);
	});

	it("unlinking while the provider is down queues the revocation and retries it until it lands", async () => {
		fault.enqueueFor(
			"revocation",
			{ kind: "unavailable", retryAfter: 30 },
			{ kind: "reset" },
		);
		const removed = await api(
			tether,
			"DELETE",
			`/v1/connected-accounts/${session.user.id}/flaky/fault-user`,
			{ token: secretKey },
		);
		expect(removed.status).toBe(204);
		expect(
			await tether.server.store.findConnectedAccount("flaky", "fault-user"),
		).toBeNull();
		// Both tokens are queued; the provider fails both attempts.
		expect(await tether.server.processRevocations()).toBe(0);
		expect(fault.counters.revocation).toBe(2);
		// Nothing is due until the backoff passes.
		expect(await tether.server.processRevocations()).toBe(0);
		expect(fault.counters.revocation).toBe(2);
		later(3600);
		expect(await tether.server.processRevocations()).toBe(2);
		expect(fault.counters.revocation).toBe(4);
		const revoked = fault.requests
			.filter((r) => r.endpoint === "revocation")
			.map((r) => r.form.token_type_hint);
		expect(revoked.slice(-2).sort()).toEqual(["access_token", "refresh_token"]);
	});
});

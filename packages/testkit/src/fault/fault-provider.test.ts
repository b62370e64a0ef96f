import {
	type ClientCredentials,
	refreshTokens,
	revokeToken,
	type TokenResult,
} from "@tether/oauth";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
	type FaultProvider,
	startFaultProvider,
} from "./start-fault-provider.ts";

let fault: FaultProvider;
let client: ClientCredentials;

beforeAll(async () => {
	fault = await startFaultProvider();
	client = { clientId: fault.clientId, clientSecret: fault.clientSecret };
});

afterAll(() => fault?.close());

beforeEach(() => fault.setDefault({ kind: "success" }));

const now = new Date("2030-01-01T00:00:00Z");

function refresh(options: { timeoutMs?: number } = {}): Promise<TokenResult> {
	return refreshTokens(
		{ endpoints: fault.endpoints, client, refreshToken: "rt_old" },
		{ now: () => now, timeoutMs: options.timeoutMs ?? 2_000 },
	);
}

describe("startFaultProvider, read through @tether/oauth", () => {
	it("issues rotating tokens by default and records what the client sent", async () => {
		const before = fault.counters.token;
		const result = await refresh();
		expect(result).toMatchObject({
			ok: true,
			tokens: { tokenType: "Bearer", expiresIn: 3600 },
		});
		if (!result.ok) return;
		expect(result.tokens.refreshToken).toMatch(/^rt_/);
		expect(result.tokens.refreshToken).not.toBe("rt_old");
		expect(fault.counters.token).toBe(before + 1);
		expect(fault.requests.at(-1)).toMatchObject({
			endpoint: "token",
			method: "POST",
			authorization: `Basic ${btoa(`${fault.clientId}:${fault.clientSecret}`)}`,
			form: { grant_type: "refresh_token", refresh_token: "rt_old" },
			behaviour: "success",
		});
	});

	it("answers success without refresh_token or expires_in, and keeps or rotates on request", async () => {
		fault.enqueue(
			{ kind: "success", refreshToken: "none", expiresIn: null },
			{
				kind: "success",
				refreshToken: "keep",
				format: "form",
				scope: "repo,gist",
			},
		);
		const bare = await refresh();
		expect(bare.ok).toBe(true);
		if (!bare.ok) return;
		expect(bare.tokens.refreshToken).toBeUndefined();
		expect(bare.tokens.expiresIn).toBeUndefined();

		expect(await refresh()).toMatchObject({
			ok: true,
			tokens: { refreshToken: "rt_old", scope: "repo,gist", expiresIn: 3600 },
		});
	});

	it("503 and 429 are transient with the Retry-After in seconds", async () => {
		fault.enqueue(
			{ kind: "unavailable", retryAfter: 7 },
			{ kind: "rate_limited", retryAfter: "Tue, 01 Jan 2030 00:00:30 GMT" },
		);
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "transient", status: 503, retryAfterSeconds: 7 },
		});
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "transient", status: 429, retryAfterSeconds: 30 },
		});
	});

	it("a TCP reset is a transient network failure", async () => {
		fault.enqueue({ kind: "reset" });
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "transient", source: "network", error: "network_error" },
		});
	});

	it("a hanging provider is a transient timeout", async () => {
		fault.enqueue({ kind: "hang" });
		const started = Date.now();
		expect(await refresh({ timeoutMs: 150 })).toMatchObject({
			ok: false,
			failure: { kind: "transient", source: "network", error: "timeout" },
		});
		expect(Date.now() - started).toBeLessThan(1_500);
	});

	it("an HTML 502 page is transient", async () => {
		fault.enqueue({ kind: "html_error" });
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: {
				kind: "transient",
				source: "http",
				error: "invalid_response",
				status: 502,
			},
		});
	});

	it("GitHub's 200 bad_refresh_token and a 400 invalid_grant are permanent", async () => {
		fault.enqueue({ kind: "bad_refresh_token" }, { kind: "invalid_grant" });
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "bad_refresh_token", status: 200 },
		});
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant", status: 400 },
		});
	});

	it("a 401 invalid_client is a misconfiguration", async () => {
		fault.enqueue({ kind: "invalid_client" });
		expect(await refresh()).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "invalid_client", status: 401 },
		});
	});

	it("holds any answer back by delayMs", async () => {
		fault.enqueue(
			{ kind: "success", delayMs: 300 },
			{ kind: "invalid_grant", delayMs: 50 },
		);
		expect(await refresh({ timeoutMs: 100 })).toMatchObject({
			ok: false,
			failure: { error: "timeout" },
		});
		expect(await refresh({ timeoutMs: 1_000 })).toMatchObject({
			ok: false,
			failure: { error: "invalid_grant" },
		});
	});

	it("falls back to the default once the queue is empty", async () => {
		fault.setDefault({ kind: "invalid_grant" });
		fault.enqueue({ kind: "success" });
		expect((await refresh()).ok).toBe(true);
		expect((await refresh()).ok).toBe(false);
		expect((await refresh()).ok).toBe(false);
	});

	it("scripts the revocation endpoint separately", async () => {
		const before = fault.counters.revocation;
		fault.enqueueFor("revocation", { kind: "unavailable", retryAfter: 5 });
		const revoke = () =>
			revokeToken({ endpoints: fault.endpoints, client, token: "rt_old" });
		expect(await revoke()).toMatchObject({
			ok: false,
			failure: { kind: "transient", retryAfterSeconds: 5 },
		});
		expect(await revoke()).toEqual({ ok: true });
		expect(fault.counters.revocation).toBe(before + 2);
	});

	it("close() ends hanging connections instead of waiting for them", async () => {
		const own = await startFaultProvider({
			defaults: { token: { kind: "hang" } },
		});
		const pending = refreshTokens(
			{ endpoints: own.endpoints, client, refreshToken: "r" },
			{ timeoutMs: 10_000 },
		);
		// Let the request reach the server before closing.
		while (own.counters.token === 0) await new Promise((r) => setTimeout(r, 5));
		const started = Date.now();
		await own.close();
		expect(Date.now() - started).toBeLessThan(1_000);
		expect(await pending).toMatchObject({
			ok: false,
			failure: { kind: "transient", source: "network" },
		});
	});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discord } from "./discord.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { normalizeScopes } from "./scopes.ts";

describe("discord replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(discord);
	});
	afterAll(() => replay.close());

	it("reads a week-long token with a refresh token", async () => {
		replay.server.script("POST", "/api/oauth2/token", {
			body: {
				access_token: "discord-access",
				token_type: "Bearer",
				expires_in: 604_800,
				refresh_token: "discord-refresh",
				scope: "identify email",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				refreshToken: "discord-refresh",
				expiresAt: new Date(NOW.getTime() + 604_800_000),
			},
		});
		if (result.ok)
			expect(normalizeScopes(discord, result.tokens.scope ?? "")).toEqual([
				"identify",
				"email",
			]);
	});

	it("reads a revoked grant as permanent and a 429 as transient", async () => {
		replay.server.script(
			"POST",
			"/api/oauth2/token",
			{
				status: 400,
				body: {
					error: "invalid_grant",
					error_description: 'Invalid "refresh_token" in request.',
				},
			},
			{
				status: 429,
				headers: { "retry-after": "2" },
				body: {
					message: "You are being rate limited.",
					retry_after: 1.5,
					global: false,
				},
			},
		);
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "transient", retryAfterSeconds: 2 },
		});
	});

	it("maps /users/@me, with `verified` for the email", async () => {
		replay.server.script("GET", "/api/users/@me", {
			body: {
				id: "80351110224678912",
				username: "nelly",
				global_name: "Nelly",
				discriminator: "0",
				email: "nelly@example.test",
				verified: true,
			},
		});
		expect(await replay.profile()).toEqual({
			id: "80351110224678912",
			email: "nelly@example.test",
			emailVerified: true,
			name: "Nelly",
		});
	});

	it("revokes through RFC 7009", async () => {
		replay.server.script("POST", "/api/oauth2/token/revoke", { body: {} });
		expect(await replay.revoke("discord-access")).toEqual({ ok: true });
	});
});

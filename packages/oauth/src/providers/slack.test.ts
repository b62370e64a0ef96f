import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";
import { slack } from "./slack.ts";

describe("slack replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(slack);
	});
	afterAll(() => replay.close());

	it("takes the user token nested in authed_user, scopes comma-joined", async () => {
		replay.server.script("POST", "/api/oauth.v2.access", {
			body: {
				ok: true,
				app_id: "A0KRD7HC3",
				authed_user: {
					id: "U1234",
					scope: "openid,email,profile,chat:write",
					access_token: "xoxe.xoxp-1-user",
					token_type: "user",
					refresh_token: "xoxe-1-refresh",
					expires_in: 43_200,
				},
				team: { id: "T9TK3CUKW", name: "Slack Softball Team" },
				enterprise: null,
				is_enterprise_install: false,
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				accessToken: "xoxe.xoxp-1-user",
				refreshToken: "xoxe-1-refresh",
				expiresAt: new Date(NOW.getTime() + 43_200_000),
			},
		});
		if (!result.ok) return;
		const granted = result.tokens.scope ?? "";
		expect(normalizeScopes(slack, granted)).toEqual([
			"openid",
			"email",
			"profile",
			"chat:write",
		]);
		expect(missingScopes(slack, granted, "chat:write,users:read")).toEqual([
			"users:read",
		]);
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toMatch(
			/^Basic /,
		);
	});

	it("reads a user-token refresh answered at the top level", async () => {
		replay.server.script("POST", "/api/oauth.v2.access", {
			body: {
				ok: true,
				access_token: "xoxe.xoxp-1-next",
				token_type: "user",
				refresh_token: "xoxe-1-next",
				expires_in: 43_200,
				scope: "openid,email,profile,chat:write",
			},
		});
		expect(await replay.refresh("xoxe-1-refresh")).toMatchObject({
			ok: true,
			tokens: { accessToken: "xoxe.xoxp-1-next", refreshToken: "xoxe-1-next" },
		});
	});

	it("reads a token without rotation as never expiring", async () => {
		replay.server.script("POST", "/api/oauth.v2.access", {
			body: {
				ok: true,
				authed_user: {
					id: "U1234",
					scope: "openid",
					access_token: "xoxp-forever",
					token_type: "user",
				},
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { accessToken: "xoxp-forever" },
		});
		if (result.ok) expect(result.tokens.expiresAt).toBeUndefined();
	});

	it("classifies Slack's 200 {ok: false} errors", async () => {
		replay.server.script(
			"POST",
			"/api/oauth.v2.access",
			{ body: { ok: false, error: "invalid_refresh_token" } },
			{ body: { ok: false, error: "bad_client_secret" } },
		);
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: {
				kind: "permanent",
				error: "invalid_refresh_token",
				status: 200,
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "bad_client_secret" },
		});
	});

	it("maps openid.connect.userInfo to the profile", async () => {
		replay.server.script("GET", "/api/openid.connect.userInfo", {
			body: {
				ok: true,
				sub: "U0R7JM",
				"https://slack.com/user_id": "U0R7JM",
				"https://slack.com/team_id": "T0R7GR",
				email: "krane@example.test",
				email_verified: true,
				date_email_verified: 1_622_128_723,
				name: "krane",
			},
		});
		expect(await replay.profile("xoxp-forever")).toEqual({
			id: "U0R7JM",
			email: "krane@example.test",
			emailVerified: true,
			name: "krane",
		});
	});

	it("revokes with auth.revoke, the token as bearer", async () => {
		replay.server.script("POST", "/api/auth.revoke", {
			body: { ok: true, revoked: true },
		});
		expect(await replay.revoke("xoxp-forever")).toEqual({
			ok: true,
			status: 200,
		});
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toBe(
			"Bearer xoxp-forever",
		);
	});
});

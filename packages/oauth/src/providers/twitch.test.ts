import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";
import { twitch } from "./twitch.ts";

describe("twitch replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(twitch);
	});
	afterAll(() => replay.close());

	it("reads the granted scopes Twitch sends as a JSON array", async () => {
		replay.server.script("POST", "/oauth2/token", {
			body: {
				access_token: "twitch-access",
				expires_in: 14_124,
				refresh_token: "twitch-refresh",
				scope: ["channel:read:subscriptions", "openid", "user:read:email"],
				token_type: "bearer",
			},
		});
		const result = await replay.refresh("twitch-old");
		expect(result).toMatchObject({
			ok: true,
			tokens: { refreshToken: "twitch-refresh" },
		});
		if (!result.ok) return;
		const granted = result.tokens.scope ?? "";
		expect(normalizeScopes(twitch, granted)).toEqual([
			"channel:read:subscriptions",
			"openid",
			"user:read:email",
		]);
		expect(
			missingScopes(twitch, granted, ["user:read:email", "chat:read"]),
		).toEqual(["chat:read"]);
		// Twitch reads client credentials from the form.
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_secret")).toBe("secret-1");
		expect(form.get("grant_type")).toBe("refresh_token");
	});

	it("reads a dead refresh token (400 Bad Request) as permanent", async () => {
		replay.server.script("POST", "/oauth2/token", {
			status: 400,
			body: {
				error: "Bad Request",
				status: 400,
				message: "Invalid refresh token",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "Bad Request", status: 400 },
		});
	});

	it("maps the OIDC userinfo claims asked for through `claims`", async () => {
		replay.server.script("GET", "/oauth2/userinfo", {
			body: {
				aud: "client-1",
				exp: 1_893_459_600,
				iat: 1_893_456_000,
				iss: "https://id.twitch.tv/oauth2",
				sub: "713936733",
				email: "streamer@example.test",
				email_verified: true,
				preferred_username: "streamer",
			},
		});
		expect(await replay.profile()).toEqual({
			id: "713936733",
			email: "streamer@example.test",
			emailVerified: true,
			name: "streamer",
		});
		const claims = JSON.parse(twitch.authorizationParams?.claims ?? "{}");
		expect(claims.userinfo).toHaveProperty("email");
	});

	it("revokes through the form POST", async () => {
		replay.server.script("POST", "/oauth2/revoke", { status: 200, body: "" });
		expect(await replay.revoke("twitch-access")).toEqual({ ok: true });
		expect(
			new URLSearchParams(replay.server.requests.at(-1)?.body).get("client_id"),
		).toBe("client-1");
	});
});

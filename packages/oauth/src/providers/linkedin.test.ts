import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkedin } from "./linkedin.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";

describe("linkedin replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(linkedin);
	});
	afterAll(() => replay.close());

	it("reads a 60-day token without refresh token, scopes comma-joined", async () => {
		replay.server.script("POST", "/oauth/v2/accessToken", {
			body: {
				access_token: "AQX-linkedin",
				expires_in: 5_183_999,
				scope: "email,openid,profile",
				token_type: "Bearer",
				id_token: "eyJ.linkedin.id",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { expiresAt: new Date(NOW.getTime() + 5_183_999_000) },
		});
		if (!result.ok) return;
		expect(result.tokens.refreshToken).toBeUndefined();
		expect(normalizeScopes(linkedin, result.tokens.scope ?? "")).toEqual([
			"email",
			"openid",
			"profile",
		]);
		expect(
			missingScopes(
				linkedin,
				result.tokens.scope ?? "",
				linkedin.defaultScopes,
			),
		).toEqual([]);
		// Credentials in the body, no PKCE.
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_secret")).toBe("secret-1");
		expect(form.has("code_verifier")).toBe(false);
	});

	it("reads an expired code as permanent", async () => {
		replay.server.script("POST", "/oauth/v2/accessToken", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description: "The authorization code has expired",
			},
		});
		expect(await replay.exchange()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
	});

	it("maps userinfo to the profile", async () => {
		replay.server.script("GET", "/v2/userinfo", {
			body: {
				sub: "782bbtaQ",
				name: "Reid Example",
				given_name: "Reid",
				family_name: "Example",
				picture: "https://media.licdn.com/x.jpg",
				locale: { country: "US", language: "en" },
				email: "reid@example.test",
				email_verified: true,
			},
		});
		expect(await replay.profile()).toEqual({
			id: "782bbtaQ",
			email: "reid@example.test",
			emailVerified: true,
			name: "Reid Example",
		});
	});
});

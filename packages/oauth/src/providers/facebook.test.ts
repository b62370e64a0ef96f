import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { facebook } from "./facebook.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";

describe("facebook replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(facebook);
	});
	afterAll(() => replay.close());

	it("reads a user token with expiry and no refresh token", async () => {
		replay.server.script("POST", "/v23.0/oauth/access_token", {
			body: {
				access_token: "EAAG-facebook",
				token_type: "bearer",
				expires_in: 5_183_944,
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { expiresAt: new Date(NOW.getTime() + 5_183_944_000) },
		});
		if (result.ok) expect(result.tokens.refreshToken).toBeUndefined();
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_secret")).toBe("secret-1");
		// No granted scope in the answer: what was requested stands (RFC 6749 §5.1).
		expect(normalizeScopes(facebook, "email,public_profile")).toEqual([
			"email",
			"public_profile",
		]);
		expect(
			missingScopes(
				facebook,
				"email,public_profile",
				"public_profile, user_friends",
			),
		).toEqual(["user_friends"]);
	});

	it("reads Graph's error object: an expired code is permanent, a rate limit transient", async () => {
		replay.server.script(
			"POST",
			"/v23.0/oauth/access_token",
			{
				status: 400,
				body: {
					error: {
						message: "This authorization code has expired.",
						type: "OAuthException",
						code: 100,
						fbtrace_id: "A1b2C3",
					},
				},
			},
			{
				status: 400,
				body: {
					error: {
						message: "Application request limit reached",
						type: "OAuthException",
						code: 4,
					},
				},
			},
		);
		expect(await replay.exchange()).toMatchObject({
			ok: false,
			failure: {
				kind: "permanent",
				source: "provider",
				error: "OAuthException",
				errorDescription: "This authorization code has expired.",
			},
		});
		expect(await replay.exchange()).toMatchObject({
			ok: false,
			failure: { kind: "transient", error: "temporarily_unavailable" },
		});
	});

	it("maps /me?fields=id,name,email; the email is not taken as verified", async () => {
		replay.server.script("GET", "/v23.0/me", {
			body: {
				id: "10158776312345678",
				name: "Sam Example",
				email: "sam@example.test",
			},
		});
		expect(await replay.profile()).toEqual({
			id: "10158776312345678",
			email: "sam@example.test",
			emailVerified: false,
			name: "Sam Example",
		});
		expect(replay.server.requests.at(-1)?.path).toBe(
			"/v23.0/me?fields=id,name,email",
		);
	});

	it("revokes by deleting the app's permissions", async () => {
		replay.server.script("DELETE", "/v23.0/me/permissions", {
			body: { success: true },
		});
		expect(await replay.revoke("EAAG-facebook")).toEqual({
			ok: true,
			status: 200,
		});
		expect(replay.server.requests.at(-1)?.method).toBe("DELETE");
	});
});

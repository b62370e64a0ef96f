import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { google } from "./google.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";

const EMAIL = "https://www.googleapis.com/auth/userinfo.email";
const PROFILE = "https://www.googleapis.com/auth/userinfo.profile";

describe("google replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(google);
	});
	afterAll(() => replay.close());

	it("reads the code exchange: ID token, refresh token, scopes granted under long names", async () => {
		replay.server.script("POST", "/token", {
			body: {
				access_token: "ya29.first",
				expires_in: 3599,
				refresh_token: "1//refresh-first",
				scope: `${PROFILE} openid ${EMAIL}`,
				token_type: "Bearer",
				id_token: "eyJhbGciOiJSUzI1NiJ9.e30.sig",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				accessToken: "ya29.first",
				refreshToken: "1//refresh-first",
				idToken: "eyJhbGciOiJSUzI1NiJ9.e30.sig",
				expiresAt: new Date(NOW.getTime() + 3599 * 1000),
			},
		});
		if (!result.ok) return;
		const granted = result.tokens.scope ?? "";
		expect(normalizeScopes(google, granted)).toEqual([
			PROFILE,
			"openid",
			EMAIL,
		]);
		expect(
			missingScopes(google, granted, ["openid", "email", "profile"]),
		).toEqual([]);
		expect(
			missingScopes(google, granted, [
				"email",
				"https://www.googleapis.com/auth/drive.readonly",
			]),
		).toEqual(["https://www.googleapis.com/auth/drive.readonly"]);
		// Basic client auth, the PKCE verifier and the exact redirect URI reach the token endpoint.
		const request = replay.server.requests.at(-1);
		expect(request?.headers.get("authorization")).toMatch(/^Basic /);
		expect(new URLSearchParams(request?.body).get("grant_type")).toBe(
			"authorization_code",
		);
	});

	it("keeps the old refresh token when a refresh returns none", async () => {
		replay.server.script("POST", "/token", {
			body: {
				access_token: "ya29.second",
				expires_in: 3599,
				scope: "openid",
				token_type: "Bearer",
			},
		});
		const result = await replay.refresh("1//refresh-first");
		expect(result).toMatchObject({
			ok: true,
			tokens: { accessToken: "ya29.second" },
		});
		if (result.ok) expect(result.tokens.refreshToken).toBeUndefined();
	});

	it("reads a revoked grant as permanent and an outage as transient", async () => {
		replay.server.script(
			"POST",
			"/token",
			{
				status: 400,
				body: {
					error: "invalid_grant",
					error_description: "Token has been expired or revoked.",
				},
			},
			{
				status: 503,
				headers: { "retry-after": "30", "content-type": "text/html" },
				body: "<html>",
			},
		);
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant", status: 400 },
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: {
				kind: "transient",
				error: "invalid_response",
				retryAfterSeconds: 30,
			},
		});
	});

	it("maps userinfo claims to the profile", async () => {
		replay.server.script("GET", "/v1/userinfo", {
			body: {
				sub: "110169484474386276334",
				name: "Ada Lovelace",
				given_name: "Ada",
				email: "ada@example.test",
				email_verified: true,
				picture: "https://lh3.googleusercontent.com/a/x",
			},
		});
		expect(await replay.profile("ya29.first")).toEqual({
			id: "110169484474386276334",
			email: "ada@example.test",
			emailVerified: true,
			name: "Ada Lovelace",
		});
	});

	it("revokes through RFC 7009", async () => {
		replay.server.script("POST", "/revoke", { status: 200, body: "" });
		expect(await replay.revoke("1//refresh-first")).toEqual({ ok: true });
		expect(
			new URLSearchParams(replay.server.requests.at(-1)?.body).get("token"),
		).toBe("1//refresh-first");
	});
});

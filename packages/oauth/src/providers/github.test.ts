import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAuthError } from "../errors.ts";
import { github } from "./github.ts";
import {
	CLIENT_ID,
	CLIENT_SECRET,
	CODE_VERIFIER,
	NOW,
	type Replay,
	startReplay,
} from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";

describe("github replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(github);
	});
	afterAll(() => replay.close());

	it("reads the form-encoded answer GitHub gives without Accept, scopes comma-joined", async () => {
		replay.server.script("POST", "/login/oauth/access_token", {
			headers: {
				"content-type": "application/x-www-form-urlencoded; charset=utf-8",
			},
			body: "access_token=gho_first&scope=repo%2Cread%3Auser&token_type=bearer",
		});
		const result = await replay.exchange();
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.tokens).toMatchObject({
			accessToken: "gho_first",
			tokenType: "bearer",
		});
		// OAuth-app tokens never expire and come without a refresh token.
		expect(result.tokens.expiresAt).toBeUndefined();
		expect(result.tokens.refreshToken).toBeUndefined();
		expect(normalizeScopes(github, result.tokens.scope ?? "")).toEqual([
			"repo",
			"read:user",
		]);
		expect(
			missingScopes(github, result.tokens.scope ?? "", [
				"public_repo",
				"read:user",
			]),
		).toEqual([]);

		const request = replay.server.requests.at(-1);
		expect(request?.headers.get("accept")).toBe("application/json");
		const form = new URLSearchParams(request?.body);
		expect(form.get("client_id")).toBe(CLIENT_ID);
		expect(form.get("client_secret")).toBe(CLIENT_SECRET);
		expect(form.get("code_verifier")).toBe(CODE_VERIFIER);
	});

	it("reads a GitHub App user token that expires and rotates", async () => {
		replay.server.script("POST", "/login/oauth/access_token", {
			body: {
				access_token: "ghu_second",
				expires_in: 28800,
				refresh_token: "ghr_second",
				refresh_token_expires_in: 15811200,
				scope: "",
				token_type: "bearer",
			},
		});
		const result = await replay.refresh("ghr_first");
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				accessToken: "ghu_second",
				refreshToken: "ghr_second",
				expiresAt: new Date(NOW.getTime() + 28800 * 1000),
			},
		});
	});

	it("classifies GitHub's 200 + error bodies", async () => {
		replay.server.script(
			"POST",
			"/login/oauth/access_token",
			{
				body: {
					error: "bad_refresh_token",
					error_description:
						"The refresh token passed is incorrect or expired.",
					error_uri: "https://docs.github.com/apps/troubleshooting",
				},
			},
			{ body: { error: "incorrect_client_credentials" } },
			{ body: { error: "bad_verification_code" } },
		);
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: {
				kind: "permanent",
				error: "bad_refresh_token",
				status: 200,
				source: "provider",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "incorrect_client_credentials" },
		});
		expect(await replay.exchange()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "bad_verification_code" },
		});
	});

	it("takes the numeric id as a string and the primary verified email from /user/emails", async () => {
		replay.server.script("GET", "/user", {
			body: { login: "octo", id: 583231, name: "The Octocat", email: null },
		});
		replay.server.script("GET", "/user/emails", {
			body: [
				{
					email: "old@example.test",
					primary: false,
					verified: true,
					visibility: null,
				},
				{
					email: "octo@example.test",
					primary: true,
					verified: true,
					visibility: "private",
				},
			],
		});
		expect(await replay.profile("gho_first")).toEqual({
			id: "583231",
			email: "octo@example.test",
			emailVerified: true,
			name: "The Octocat",
		});
		const request = replay.server.requests.at(-1);
		expect(request?.headers.get("authorization")).toBe("Bearer gho_first");
		expect(request?.headers.get("user-agent")).toBe("Tether");
	});

	it("keeps an unverified primary email unverified", async () => {
		replay.server.script("GET", "/user", {
			body: { login: "octo", id: 1, email: "a@example.test" },
		});
		replay.server.script("GET", "/user/emails", {
			body: [{ email: "a@example.test", primary: true, verified: false }],
		});
		expect(await replay.profile()).toMatchObject({
			id: "1",
			emailVerified: false,
			name: "octo",
		});
	});

	it("revokes by deleting the grant with Basic auth and a JSON body", async () => {
		replay.server.script("DELETE", `/applications/${CLIENT_ID}/grant`, {
			status: 204,
		});
		expect(await replay.revoke("gho_first")).toEqual({ ok: true, status: 204 });
		const request = replay.server.requests.at(-1);
		expect(request?.method).toBe("DELETE");
		expect(request?.headers.get("authorization")).toBe(
			`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`,
		);
		expect(JSON.parse(request?.body ?? "")).toEqual({
			access_token: "gho_first",
		});
	});

	it("refuses to build the revocation without the client secret", () => {
		if (github.revocation.method !== "custom")
			throw new Error("expected custom revocation");
		const { build } = github.revocation;
		expect(() => build({ token: "t", clientId: "c" })).toThrow(OAuthError);
	});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauth2 } from "./oauth2.ts";
import { type Replay, startReplay } from "./replay-harness.ts";

const config = {
	authorizationEndpoint: "https://auth.example.test/authorize",
	tokenEndpoint: "https://auth.example.test/token",
	userinfoEndpoint: "https://api.example.test/me",
};

describe("oauth2 (generic) replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(oauth2, config);
	});
	afterAll(() => replay.close());

	it("reads a token from the configured token endpoint", async () => {
		replay.server.script("POST", "/token", {
			body: {
				access_token: "generic-access",
				token_type: "Bearer",
				expires_in: "3600",
			},
		});
		expect(await replay.exchange()).toMatchObject({
			ok: true,
			tokens: { accessToken: "generic-access", expiresIn: 3600 },
		});
	});

	it("reads the configured userinfo endpoint with standard claims or a plain `id`", async () => {
		replay.server.script(
			"GET",
			"/me",
			{
				body: {
					sub: "s-1",
					email: "s@example.test",
					email_verified: true,
					name: "S",
				},
			},
			{ body: { id: 42, email: "i@example.test", name: "I" } },
			{ body: { email: "no-id@example.test" } },
		);
		expect(
			await replay.profile("generic-access", config.userinfoEndpoint),
		).toEqual({
			id: "s-1",
			email: "s@example.test",
			emailVerified: true,
			name: "S",
		});
		expect(
			await replay.profile("generic-access", config.userinfoEndpoint),
		).toEqual({
			id: "42",
			email: "i@example.test",
			emailVerified: false,
			name: "I",
		});
		expect(
			await replay.profile("generic-access", config.userinfoEndpoint),
		).toBeNull();
	});

	it("has no profile URL of its own", () => {
		expect(oauth2.profile?.url).toBe("");
		expect(oauth2.endpoints).toEqual({});
	});
});

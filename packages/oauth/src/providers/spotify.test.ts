import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes } from "./scopes.ts";
import { spotify } from "./spotify.ts";

describe("spotify replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(spotify);
	});
	afterAll(() => replay.close());

	it("reads a refresh that keeps the old refresh token", async () => {
		replay.server.script("POST", "/api/token", {
			body: {
				access_token: "BQB-spotify",
				token_type: "Bearer",
				scope: "user-read-email user-read-private",
				expires_in: 3600,
			},
		});
		const result = await replay.refresh("AQD-refresh");
		expect(result).toMatchObject({
			ok: true,
			tokens: { accessToken: "BQB-spotify", expiresIn: 3600 },
		});
		if (!result.ok) return;
		expect(result.tokens.refreshToken).toBeUndefined();
		expect(
			missingScopes(spotify, result.tokens.scope ?? "", [
				"user-read-email",
				"playlist-read-private",
			]),
		).toEqual(["playlist-read-private"]);
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toMatch(
			/^Basic /,
		);
	});

	it("reads a revoked refresh token as permanent", async () => {
		replay.server.script("POST", "/api/token", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description: "Refresh token revoked",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
	});

	it("maps /v1/me; the email is never verified", async () => {
		replay.server.script("GET", "/v1/me", {
			body: {
				id: "wizzler",
				display_name: "JM Wizzler",
				email: "wizzler@example.test",
				country: "SE",
				product: "premium",
				type: "user",
			},
		});
		expect(await replay.profile()).toEqual({
			id: "wizzler",
			email: "wizzler@example.test",
			emailVerified: false,
			name: "JM Wizzler",
		});
	});

	it("has no revocation", () => {
		expect(spotify.revocation.method).toBe("none");
	});
});

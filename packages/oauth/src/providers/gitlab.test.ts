import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitlab } from "./gitlab.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { normalizeScopes } from "./scopes.ts";

describe("gitlab replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(gitlab);
	});
	afterAll(() => replay.close());

	it("reads a code exchange that always brings a refresh token", async () => {
		replay.server.script("POST", "/oauth/token", {
			body: {
				access_token: "glpat-access",
				token_type: "Bearer",
				expires_in: 7200,
				refresh_token: "glrt-refresh",
				scope: "openid profile email read_api",
				created_at: 1_893_456_000,
				id_token: "eyJ.gitlab.id",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				refreshToken: "glrt-refresh",
				expiresAt: new Date(NOW.getTime() + 7_200_000),
			},
		});
		if (result.ok) {
			expect(normalizeScopes(gitlab, result.tokens.scope ?? "")).toContain(
				"read_api",
			);
		}
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toMatch(
			/^Basic /,
		);
	});

	it("reads a refresh token used twice (rotation) as permanent", async () => {
		replay.server.script("POST", "/oauth/token", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description:
					"The provided authorization grant is invalid, expired, revoked…",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant" },
		});
	});

	it("maps userinfo (the numeric user id as sub) to the profile", async () => {
		replay.server.script("GET", "/oauth/userinfo", {
			body: {
				sub: "1234567",
				sub_legacy: "2bb3…",
				name: "Grace Hopper",
				nickname: "grace",
				preferred_username: "grace",
				email: "grace@example.test",
				email_verified: true,
				groups: [],
			},
		});
		expect(await replay.profile()).toEqual({
			id: "1234567",
			email: "grace@example.test",
			emailVerified: true,
			name: "Grace Hopper",
		});
	});

	it("revokes through RFC 7009", async () => {
		replay.server.script("POST", "/oauth/revoke", { body: {} });
		expect(await replay.revoke()).toEqual({ ok: true });
	});
});

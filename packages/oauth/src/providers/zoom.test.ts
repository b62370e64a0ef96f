import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Replay, startReplay } from "./replay-harness.ts";
import { zoom } from "./zoom.ts";

describe("zoom replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(zoom);
	});
	afterAll(() => replay.close());

	it("reads a rotated refresh token", async () => {
		replay.server.script("POST", "/oauth/token", {
			body: {
				access_token: "eyJzm.access",
				token_type: "bearer",
				refresh_token: "eyJzm.refresh-2",
				expires_in: 3599,
				scope: "user:read:user",
			},
		});
		expect(await replay.refresh("eyJzm.refresh-1")).toMatchObject({
			ok: true,
			tokens: { refreshToken: "eyJzm.refresh-2", scope: "user:read:user" },
		});
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toMatch(
			/^Basic /,
		);
	});

	it("reads Zoom's dead refresh token answer as permanent", async () => {
		replay.server.script("POST", "/oauth/token", {
			status: 400,
			body: { reason: "Invalid Token!", error: "invalid_grant" },
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant" },
		});
	});

	it("maps /v2/users/me, verified only when `verified` is 1", async () => {
		replay.server.script(
			"GET",
			"/v2/users/me",
			{
				body: {
					id: "KDcuGIm1QgePTO8WbOqwIQ",
					first_name: "Jill",
					last_name: "Chill",
					display_name: "Jill Chill",
					email: "jchill@example.test",
					type: 1,
					verified: 1,
				},
			},
			{
				body: {
					id: "z2",
					first_name: "Ann",
					last_name: "Lee",
					email: "ann@example.test",
					verified: 0,
				},
			},
		);
		expect(await replay.profile()).toEqual({
			id: "KDcuGIm1QgePTO8WbOqwIQ",
			email: "jchill@example.test",
			emailVerified: true,
			name: "Jill Chill",
		});
		expect(await replay.profile()).toEqual({
			id: "z2",
			email: "ann@example.test",
			emailVerified: false,
			name: "Ann Lee",
		});
	});

	it("revokes through its RFC 7009-shaped endpoint", async () => {
		replay.server.script("POST", "/oauth/revoke", {
			body: { status: "success" },
		});
		expect(await replay.revoke()).toEqual({ ok: true });
	});
});

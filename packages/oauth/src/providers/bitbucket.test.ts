import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitbucket } from "./bitbucket.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { normalizeScopes } from "./scopes.ts";

describe("bitbucket replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(bitbucket);
	});
	afterAll(() => replay.close());

	it("reads the granted scopes from Bitbucket's `scopes` field", async () => {
		replay.server.script("POST", "/site/oauth2/access_token", {
			body: {
				access_token: "bb-access",
				scopes: "account email repository",
				expires_in: 7200,
				refresh_token: "bb-refresh",
				token_type: "bearer",
				state: "authorization_code",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				refreshToken: "bb-refresh",
				expiresAt: new Date(NOW.getTime() + 7_200_000),
			},
		});
		if (result.ok) {
			expect(normalizeScopes(bitbucket, result.tokens.scope ?? "")).toEqual([
				"account",
				"email",
				"repository",
			]);
		}
	});

	it("reads an invalid refresh token as permanent", async () => {
		replay.server.script("POST", "/site/oauth2/access_token", {
			status: 400,
			body: {
				error_description: "Invalid refresh_token",
				error: "invalid_grant",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
	});

	it("takes the uuid as id and the primary confirmed address from /user/emails", async () => {
		replay.server.script("GET", "/2.0/user", {
			body: {
				type: "user",
				uuid: "{d301aafa-d676-4ee0-88be-962be7417567}",
				account_id: "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
				display_name: "Mark Adams",
				username: "madams",
			},
		});
		replay.server.script("GET", "/2.0/user/emails", {
			body: {
				pagelen: 10,
				page: 1,
				size: 2,
				values: [
					{
						type: "email",
						email: "old@example.test",
						is_primary: false,
						is_confirmed: true,
					},
					{
						type: "email",
						email: "mark@example.test",
						is_primary: true,
						is_confirmed: true,
					},
				],
			},
		});
		expect(await replay.profile()).toEqual({
			id: "{d301aafa-d676-4ee0-88be-962be7417567}",
			email: "mark@example.test",
			emailVerified: true,
			name: "Mark Adams",
		});
	});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropbox } from "./dropbox.ts";
import { NOW, type Replay, startReplay } from "./replay-harness.ts";
import { normalizeScopes } from "./scopes.ts";

describe("dropbox replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(dropbox);
	});
	afterAll(() => replay.close());

	it("reads an offline code exchange: four-hour token plus refresh token", async () => {
		replay.server.script("POST", "/oauth2/token", {
			body: {
				access_token: "sl.dropbox-access",
				expires_in: 14_400,
				token_type: "bearer",
				scope: "account_info.read files.content.read",
				refresh_token: "dropbox-refresh",
				account_id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
				uid: "12345",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				refreshToken: "dropbox-refresh",
				expiresAt: new Date(NOW.getTime() + 14_400_000),
			},
		});
		if (result.ok) {
			expect(normalizeScopes(dropbox, result.tokens.scope ?? "")).toContain(
				"files.content.read",
			);
		}
		expect(dropbox.offlineAccess.params).toEqual({
			token_access_type: "offline",
		});
	});

	it("reads a malformed refresh token as permanent", async () => {
		replay.server.script("POST", "/oauth2/token", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description: "refresh token is malformed",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
	});

	it("POSTs get_current_account with no body and maps it", async () => {
		replay.server.script("POST", "/2/users/get_current_account", {
			body: {
				account_id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
				name: {
					given_name: "Franz",
					surname: "Ferdinand",
					display_name: "Franz Ferdinand (Personal)",
				},
				email: "franz@example.test",
				email_verified: true,
				disabled: false,
			},
		});
		expect(await replay.profile("sl.dropbox-access")).toEqual({
			id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
			email: "franz@example.test",
			emailVerified: true,
			name: "Franz Ferdinand (Personal)",
		});
		const request = replay.server.requests.at(-1);
		expect(request?.method).toBe("POST");
		expect(request?.body).toBe("");
		expect(request?.headers.get("content-type")).toBeNull();
	});

	it("revokes with the token itself as bearer", async () => {
		replay.server.script("POST", "/2/auth/token/revoke", {
			headers: { "content-type": "application/json" },
			body: "null",
		});
		expect(await replay.revoke("sl.dropbox-access")).toEqual({
			ok: true,
			status: 200,
		});
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toBe(
			"Bearer sl.dropbox-access",
		);
	});
});

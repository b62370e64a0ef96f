import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notion } from "./notion.ts";
import {
	CLIENT_ID,
	CLIENT_SECRET,
	type Replay,
	startReplay,
} from "./replay-harness.ts";

describe("notion replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(notion);
	});
	afterAll(() => replay.close());

	it("reads a token without expiry or refresh token, with Basic client auth", async () => {
		replay.server.script("POST", "/v1/oauth/token", {
			body: {
				access_token: "ntn_access",
				token_type: "bearer",
				bot_id: "b3414d65-9a2a-4ff3-b0a1-5e3a42f0b2c4",
				workspace_name: "Acme",
				workspace_icon: null,
				workspace_id: "7a1c4e2b-3f9d-4f8e-9b6a-0e2d5c8f1a3b",
				owner: {
					type: "user",
					user: {
						object: "user",
						id: "e79a0b74-3aba-4149-9f74-0bb5791a6ee6",
						name: "Avery",
						avatar_url: null,
						type: "person",
						person: { email: "avery@example.test" },
					},
				},
				duplicated_template_id: null,
				request_id: "f1e2d3c4-b5a6-4789-8123-456789abcdef",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { accessToken: "ntn_access" },
		});
		if (!result.ok) return;
		expect(result.tokens.expiresAt).toBeUndefined();
		expect(result.tokens.refreshToken).toBeUndefined();
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toBe(
			`Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`,
		);
	});

	it("reads an invalid code as permanent", async () => {
		replay.server.script("POST", "/v1/oauth/token", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description: "Invalid code: this code has been revoked.",
			},
		});
		expect(await replay.exchange()).toMatchObject({
			ok: false,
			failure: { kind: "permanent" },
		});
	});

	it("takes the installing person from the bot user's owner", async () => {
		replay.server.script("GET", "/v1/users/me", {
			body: {
				object: "user",
				id: "b3414d65-9a2a-4ff3-b0a1-5e3a42f0b2c4",
				name: "Tether",
				type: "bot",
				bot: {
					owner: {
						type: "user",
						user: {
							object: "user",
							id: "e79a0b74-3aba-4149-9f74-0bb5791a6ee6",
							name: "Avery",
							type: "person",
							person: { email: "avery@example.test" },
						},
					},
					workspace_name: "Acme",
				},
				request_id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
			},
		});
		expect(await replay.profile("ntn_access")).toEqual({
			id: "e79a0b74-3aba-4149-9f74-0bb5791a6ee6",
			email: "avery@example.test",
			emailVerified: false,
			name: "Avery",
		});
		expect(replay.server.requests.at(-1)?.headers.get("notion-version")).toBe(
			"2022-06-28",
		);
	});

	it("revokes with Basic auth and a JSON body", async () => {
		replay.server.script("POST", "/v1/oauth/revoke", {
			body: { request_id: "r-1" },
		});
		expect(await replay.revoke("ntn_access")).toEqual({
			ok: true,
			status: 200,
		});
		const request = replay.server.requests.at(-1);
		expect(request?.headers.get("content-type")).toBe("application/json");
		expect(JSON.parse(request?.body ?? "")).toEqual({ token: "ntn_access" });
	});
});

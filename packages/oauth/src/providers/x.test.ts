import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODE_VERIFIER, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes } from "./scopes.ts";
import { x } from "./x.ts";

describe("x replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(x);
	});
	afterAll(() => replay.close());

	it("reads a two-hour token with offline.access, sending the PKCE verifier", async () => {
		replay.server.script("POST", "/2/oauth2/token", {
			body: {
				token_type: "bearer",
				expires_in: 7200,
				access_token: "x-access",
				scope: "tweet.read users.read offline.access",
				refresh_token: "x-refresh",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { refreshToken: "x-refresh", expiresIn: 7200 },
		});
		if (result.ok) {
			expect(
				missingScopes(x, result.tokens.scope ?? "", [
					"tweet.read",
					"tweet.write",
				]),
			).toEqual(["tweet.write"]);
		}
		const request = replay.server.requests.at(-1);
		expect(new URLSearchParams(request?.body).get("code_verifier")).toBe(
			CODE_VERIFIER,
		);
		expect(request?.headers.get("authorization")).toMatch(/^Basic /);
	});

	it("reads X's invalid_request for a dead refresh token as permanent", async () => {
		replay.server.script("POST", "/2/oauth2/token", {
			status: 400,
			body: {
				error: "invalid_request",
				error_description: "Value passed for the token was invalid.",
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_request" },
		});
	});

	it("maps /2/users/me (the user under `data`)", async () => {
		replay.server.script("GET", "/2/users/me", {
			body: {
				data: { id: "2244994945", name: "Developers", username: "XDevelopers" },
			},
		});
		expect(await replay.profile()).toEqual({
			id: "2244994945",
			emailVerified: false,
			name: "Developers",
		});
	});

	it("revokes through RFC 7009", async () => {
		replay.server.script("POST", "/2/oauth2/revoke", {
			body: { revoked: true },
		});
		expect(await replay.revoke()).toEqual({ ok: true });
	});
});

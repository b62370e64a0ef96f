import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oidc } from "./oidc.ts";
import { readStandardClaims } from "./profile-fields.ts";
import { type Replay, startReplay } from "./replay-harness.ts";

describe("oidc (generic) replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		// What discovery would have found for the configured issuer.
		replay = await startReplay(oidc, {
			tokenEndpoint: "https://id.acme.test/oauth/token",
			revocationEndpoint: "https://id.acme.test/oauth/revoke",
		});
	});
	afterAll(() => replay.close());

	it("needs the issuer from config: no endpoints of its own", () => {
		expect(oidc.endpoints).toEqual({});
		expect(oidc.issuer).toBeUndefined();
	});

	it("reads a standard token response and a rotated refresh token", async () => {
		replay.server.script("POST", "/oauth/token", {
			body: {
				access_token: "acme-access",
				token_type: "Bearer",
				expires_in: 300,
				refresh_token: "acme-refresh-2",
				scope: "openid email profile offline_access",
				id_token: "eyJ.acme.id",
			},
		});
		expect(await replay.refresh("acme-refresh-1")).toMatchObject({
			ok: true,
			tokens: { refreshToken: "acme-refresh-2", expiresIn: 300 },
		});
		expect(replay.server.requests.at(-1)?.headers.get("authorization")).toMatch(
			/^Basic /,
		);
	});

	it("reads ID-token or userinfo claims with readStandardClaims", () => {
		expect(
			readStandardClaims({
				sub: "u-1",
				email: "u@acme.test",
				email_verified: true,
				name: "U",
			}),
		).toEqual({
			id: "u-1",
			email: "u@acme.test",
			emailVerified: true,
			name: "U",
		});
		expect(readStandardClaims({ email: "u@acme.test" })).toBeNull();
	});

	it("revokes at the discovered revocation endpoint", async () => {
		replay.server.script("POST", "/oauth/revoke", { status: 200, body: "" });
		expect(await replay.revoke()).toEqual({ ok: true });
	});
});

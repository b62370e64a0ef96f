import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJwks, validateIdToken } from "../id-token.ts";
import { apple } from "./apple.ts";
import { readStandardClaims } from "./profile-fields.ts";
import { CLIENT_ID, NOW, type Replay, startReplay } from "./replay-harness.ts";

describe("apple replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(apple);
	});
	afterAll(() => replay.close());

	it("reads the code exchange and the identity from a signed ID token", async () => {
		const { publicKey, privateKey } = await generateKeyPair("RS256");
		const jwk = {
			...(await exportJWK(publicKey)),
			kid: "apple-1",
			alg: "RS256",
			use: "sig",
		};
		replay.server.script("GET", "/auth/keys", { body: { keys: [jwk] } });
		const iat = Math.floor(NOW.getTime() / 1000);
		// Apple sends these booleans as strings, and relays private addresses.
		const idToken = await new SignJWT({
			email: "x7k2@privaterelay.appleid.com",
			email_verified: "true",
			is_private_email: "true",
			auth_time: iat,
		})
			.setProtectedHeader({ alg: "RS256", kid: "apple-1" })
			.setIssuer("https://appleid.apple.com")
			.setAudience(CLIENT_ID)
			.setSubject("001234.abcdef0123456789.0420")
			.setIssuedAt(iat)
			.setExpirationTime(iat + 600)
			.sign(privateKey);
		replay.server.script("POST", "/auth/token", {
			body: {
				access_token: "a.apple-access",
				token_type: "Bearer",
				expires_in: 3600,
				refresh_token: "r.apple-refresh",
				id_token: idToken,
			},
		});

		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: { refreshToken: "r.apple-refresh" },
		});
		if (!result.ok || apple.issuer === undefined) return;
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_secret")).toBe("secret-1");

		const validated = await validateIdToken({
			idToken: result.tokens.idToken ?? "",
			issuer: apple.issuer,
			clientId: CLIENT_ID,
			jwks: createRemoteJwks(replay.endpoints.jwksUri ?? ""),
			now: () => NOW,
		});
		expect(validated.ok).toBe(true);
		if (!validated.ok) return;
		expect(readStandardClaims(validated.claims)).toEqual({
			id: "001234.abcdef0123456789.0420",
			email: "x7k2@privaterelay.appleid.com",
			emailVerified: true,
			name: undefined,
		});
	});

	it("reads an expired client-secret JWT as misconfiguration", async () => {
		replay.server.script("POST", "/auth/token", {
			status: 400,
			body: { error: "invalid_client" },
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "invalid_client" },
		});
	});

	it("revokes through its RFC 7009-shaped endpoint with credentials in the body", async () => {
		replay.server.script("POST", "/auth/revoke", { status: 200, body: "" });
		expect(await replay.revoke("r.apple-refresh")).toEqual({ ok: true });
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_id")).toBe(CLIENT_ID);
		expect(form.get("token")).toBe("r.apple-refresh");
	});
});

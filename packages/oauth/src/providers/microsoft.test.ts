import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJwks, validateIdToken } from "../id-token.ts";
import { microsoft } from "./microsoft.ts";
import { readStandardClaims } from "./profile-fields.ts";
import { CLIENT_ID, NOW, type Replay, startReplay } from "./replay-harness.ts";
import { missingScopes, normalizeScopes } from "./scopes.ts";

const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

describe("microsoft replay", () => {
	let replay: Replay;
	beforeAll(async () => {
		replay = await startReplay(microsoft);
	});
	afterAll(() => replay.close());

	it("reads a v2.0 token response with ext_expires_in; offline_access is never echoed", async () => {
		replay.server.script("POST", "/common/oauth2/v2.0/token", {
			body: {
				token_type: "Bearer",
				scope: "openid profile email https://graph.microsoft.com/User.Read",
				expires_in: 4222,
				ext_expires_in: 7822,
				access_token: "eyJ0eXAi.access",
				refresh_token: "M.C5.refresh",
				id_token: "eyJ0eXAi.id",
			},
		});
		const result = await replay.exchange();
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				refreshToken: "M.C5.refresh",
				expiresIn: 4222,
				expiresAt: new Date(NOW.getTime() + 4222 * 1000),
			},
		});
		if (!result.ok) return;
		const granted = result.tokens.scope ?? "";
		expect(normalizeScopes(microsoft, granted)).toEqual([
			"openid",
			"profile",
			"email",
			"user.read",
		]);
		expect(
			missingScopes(microsoft, granted, ["User.Read", "offline_access"]),
		).toEqual([]);
		expect(
			missingScopes(microsoft, granted, ["Mail.Read", "mail.read"]),
		).toEqual(["Mail.Read"]);
		// Entra wants the client credentials in the body.
		const form = new URLSearchParams(replay.server.requests.at(-1)?.body);
		expect(form.get("client_secret")).toBe("secret-1");
	});

	it("reads an expired refresh token (AADSTS700082) as permanent", async () => {
		replay.server.script("POST", "/common/oauth2/v2.0/token", {
			status: 400,
			body: {
				error: "invalid_grant",
				error_description:
					"AADSTS700082: The refresh token has expired due to inactivity.",
				error_codes: [700082],
			},
		});
		expect(await replay.refresh()).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_grant" },
		});
	});

	it("never trusts the email from Graph's userinfo", async () => {
		replay.server.script("GET", "/oidc/userinfo", {
			body: {
				sub: "OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
				name: "Megan Bowen",
				family_name: "Bowen",
				given_name: "Megan",
				picture: "https://graph.microsoft.com/v1.0/me/photo/$value",
				email: "megan@contoso.example",
			},
		});
		expect(await replay.profile()).toEqual({
			id: "OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
			email: "megan@contoso.example",
			emailVerified: false,
			name: "Megan Bowen",
		});
	});

	it("validates a multi-tenant ID token against the issuer template and its tid", async () => {
		const { publicKey, privateKey } = await generateKeyPair("RS256");
		const jwk = {
			...(await exportJWK(publicKey)),
			kid: "k1",
			alg: "RS256",
			use: "sig",
		};
		replay.server.script("GET", "/common/discovery/v2.0/keys", {
			body: { keys: [jwk] },
		});
		const iat = Math.floor(NOW.getTime() / 1000);
		const idToken = await new SignJWT({
			tid: TENANT,
			name: "Megan Bowen",
			email: "megan@contoso.example",
		})
			.setProtectedHeader({ alg: "RS256", kid: "k1" })
			.setIssuer(`https://login.microsoftonline.com/${TENANT}/v2.0`)
			.setAudience(CLIENT_ID)
			.setSubject("OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA")
			.setIssuedAt(iat)
			.setExpirationTime(iat + 3600)
			.sign(privateKey);

		const tid = decodeJwt(idToken).tid;
		if (typeof tid !== "string" || microsoft.issuerTemplate === undefined)
			throw new Error("setup");
		const result = await validateIdToken({
			idToken,
			issuer: microsoft.issuerTemplate.replace("{tenantid}", tid),
			clientId: CLIENT_ID,
			jwks: createRemoteJwks(replay.endpoints.jwksUri ?? ""),
			now: () => NOW,
		});
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(microsoft.profile?.read(result.claims)).toMatchObject({
			emailVerified: false,
		});
		expect(readStandardClaims(result.claims)?.id).toBe(
			"OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
		);
	});
});

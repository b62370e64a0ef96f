import {
	createLocalJWKSet,
	exportJWK,
	generateKeyPair,
	type JWTPayload,
	SignJWT,
} from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { validateIdToken } from "./id-token.ts";

const issuer = "https://id.example.test";
const clientId = "client-1";
const issuedAt = new Date("2030-01-01T00:00:00Z");
const seconds = issuedAt.getTime() / 1000;

let sign: (claims: JWTPayload) => Promise<string>;
let otherKeySign: (claims: JWTPayload) => Promise<string>;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
	const ours = await generateKeyPair("RS256");
	const theirs = await generateKeyPair("RS256");
	jwks = createLocalJWKSet({
		keys: [{ ...(await exportJWK(ours.publicKey)), kid: "k1", alg: "RS256" }],
	});
	const signer = (key: CryptoKey) => (claims: JWTPayload) =>
		new SignJWT({
			iss: issuer,
			aud: clientId,
			sub: "alice",
			iat: seconds,
			exp: seconds + 60,
			...claims,
		})
			.setProtectedHeader({ alg: "RS256", kid: "k1" })
			.sign(key);
	sign = signer(ours.privateKey);
	otherKeySign = signer(theirs.privateKey);
});

function validate(
	idToken: string,
	extra: { nonce?: string; at?: Date; tolerance?: number } = {},
) {
	return validateIdToken({
		idToken,
		issuer,
		clientId,
		jwks,
		nonce: extra.nonce,
		now: () => extra.at ?? issuedAt,
		clockToleranceSeconds: extra.tolerance,
	});
}

describe("validateIdToken", () => {
	it("accepts a well-formed token and returns its claims", async () => {
		const result = await validate(
			await sign({ nonce: "n1", email: "a@x.test" }),
			{
				nonce: "n1",
			},
		);
		expect(result).toMatchObject({
			ok: true,
			claims: { sub: "alice", email: "a@x.test" },
		});
	});

	it("refuses a nonce mismatch and a missing nonce", async () => {
		expect(
			await validate(await sign({ nonce: "other" }), { nonce: "n1" }),
		).toMatchObject({
			ok: false,
			problem: "claim_invalid",
			claim: "nonce",
		});
		expect(await validate(await sign({}), { nonce: "n1" })).toMatchObject({
			ok: false,
			claim: "nonce",
		});
	});

	it("refuses another issuer, another audience and a foreign azp", async () => {
		expect(
			await validate(await sign({ iss: "https://evil.test" })),
		).toMatchObject({
			ok: false,
			problem: "claim_invalid",
			claim: "iss",
		});
		expect(await validate(await sign({ aud: "someone-else" }))).toMatchObject({
			ok: false,
			claim: "aud",
		});
		expect(
			await validate(await sign({ aud: [clientId, "other"], azp: "other" })),
		).toMatchObject({ ok: false, claim: "azp" });
	});

	it("applies the clock tolerance to expiry", async () => {
		const token = await sign({});
		const justAfter = new Date(issuedAt.getTime() + 65_000);
		expect(
			await validate(token, { at: justAfter, tolerance: 0 }),
		).toMatchObject({
			ok: false,
			problem: "expired",
			claim: "exp",
		});
		expect(
			await validate(token, { at: justAfter, tolerance: 10 }),
		).toMatchObject({
			ok: true,
		});
	});

	it("refuses a signature from another key and garbage", async () => {
		expect(await validate(await otherKeySign({}))).toMatchObject({
			ok: false,
			problem: "signature_invalid",
		});
		expect(await validate("not.a.jwt")).toMatchObject({
			ok: false,
			problem: "malformed",
		});
	});

	it("checks a multi-tenant issuer against the token's own tenant", async () => {
		const template = "https://login.example.test/{tenantid}/v2.0";
		const tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
		const check = async (claims: JWTPayload) =>
			validateIdToken({
				idToken: await sign(claims),
				issuer: { template },
				clientId,
				jwks,
				now: () => issuedAt,
			});
		const ok = await check({
			iss: `https://login.example.test/${tenant}/v2.0`,
			tid: tenant,
		});
		expect(ok.ok).toBe(true);
		for (const claims of [
			// another tenant's issuer with this tenant's id
			{
				iss: "https://login.example.test/00000000-0000-0000-0000-000000000000/v2.0",
				tid: tenant,
			},
			// no tenant id, the template itself, or a tid that is not a GUID
			{ iss: `https://login.example.test/${tenant}/v2.0` },
			{ iss: template, tid: "{tenantid}" },
			{ iss: "https://login.example.test/x/v2.0", tid: "x" },
		]) {
			const result = await check(claims);
			expect(result).toMatchObject({
				ok: false,
				problem: "claim_invalid",
				claim: "iss",
			});
		}
	});
});

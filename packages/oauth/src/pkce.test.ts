import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors.ts";
import { computeCodeChallenge, generateCodeVerifier } from "./pkce.ts";
import { base64url, generateNonce, generateState } from "./random.ts";

describe("PKCE", () => {
	it("matches the RFC 7636 appendix B example", async () => {
		await expect(
			computeCodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
		).resolves.toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	});

	it("makes 43-character unreserved verifiers that differ every time", () => {
		const first = generateCodeVerifier();
		expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(generateCodeVerifier()).not.toBe(first);
	});

	it("uses the injected randomness", () => {
		const zeros = generateCodeVerifier((n) => new Uint8Array(n));
		expect(zeros).toBe("A".repeat(43));
	});

	it("refuses a verifier the RFC does not allow", async () => {
		await expect(computeCodeChallenge("short")).rejects.toBeInstanceOf(
			OAuthError,
		);
		await expect(computeCodeChallenge("a".repeat(129))).rejects.toMatchObject({
			code: "INVALID_ARGUMENT",
		});
	});
});

describe("state and nonce", () => {
	it("carry 256 random bits as unpadded base64url", () => {
		for (const value of [generateState(), generateNonce()]) {
			expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
		}
		expect(generateState()).not.toBe(generateState());
	});

	it("encodes base64url without padding", () => {
		expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
		expect(base64url(new Uint8Array([]))).toBe("");
	});
});

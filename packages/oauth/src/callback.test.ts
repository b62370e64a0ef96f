import { describe, expect, it } from "vitest";
import { validateAuthorizationResponse } from "./callback.ts";

const issuer = "https://id.example.test";

function callback(query: string): URL {
	return new URL(`https://tether.test/callback?${query}`);
}

describe("validateAuthorizationResponse", () => {
	it("returns the code when state and iss match", () => {
		expect(
			validateAuthorizationResponse({
				response: callback(
					`code=c1&state=s1&iss=${encodeURIComponent(issuer)}`,
				),
				expectedState: "s1",
				expectedIssuer: issuer,
				requireIssuer: true,
			}),
		).toEqual({ ok: true, code: "c1", iss: issuer });
	});

	it("accepts a response without iss when the provider never promised one", () => {
		expect(
			validateAuthorizationResponse({
				response: new URLSearchParams("code=c1&state=s1"),
				expectedState: "s1",
				expectedIssuer: issuer,
			}),
		).toEqual({ ok: true, code: "c1" });
	});

	it("refuses a missing iss when the provider advertises RFC 9207", () => {
		expect(
			validateAuthorizationResponse({
				response: callback("code=c1&state=s1"),
				expectedState: "s1",
				expectedIssuer: issuer,
				requireIssuer: true,
			}),
		).toMatchObject({ ok: false, problem: "issuer_missing" });
	});

	it("checks iss before anything else, errors included (mix-up defence)", () => {
		expect(
			validateAuthorizationResponse({
				response: callback(
					"error=access_denied&state=s1&iss=https%3A%2F%2Fevil.test",
				),
				expectedState: "s1",
				expectedIssuer: issuer,
			}),
		).toMatchObject({ ok: false, problem: "issuer_mismatch" });
	});

	it("refuses a wrong or missing state", () => {
		for (const query of ["code=c1&state=s2", "code=c1", "code=c1&state=s"]) {
			expect(
				validateAuthorizationResponse({
					response: callback(query),
					expectedState: "s1",
				}),
			).toMatchObject({ ok: false, problem: "state_mismatch" });
		}
	});

	it("reports the provider's error as data", () => {
		expect(
			validateAuthorizationResponse({
				response: callback(
					"error=access_denied&error_description=user+said+no&state=s1",
				),
				expectedState: "s1",
			}),
		).toEqual({
			ok: false,
			problem: "provider_error",
			error: "access_denied",
			errorDescription: "user said no",
		});
	});

	it("refuses repeated parameters and a missing code", () => {
		expect(
			validateAuthorizationResponse({
				response: callback("code=c1&code=c2&state=s1"),
				expectedState: "s1",
			}),
		).toMatchObject({
			ok: false,
			problem: "duplicate_parameter",
			error: "code",
		});
		expect(
			validateAuthorizationResponse({
				response: callback("state=s1"),
				expectedState: "s1",
			}),
		).toMatchObject({ ok: false, problem: "code_missing" });
	});
});

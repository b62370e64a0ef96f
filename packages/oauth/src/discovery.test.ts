import { describe, expect, it } from "vitest";
import {
	buildDiscoveryRequest,
	processDiscoveryResponse,
} from "./discovery.ts";
import type { HttpOutcome } from "./http.ts";

const issuer = "https://id.example.test/tenant-1";

function json(status: number, body: unknown): HttpOutcome {
	return {
		ok: true,
		response: {
			status,
			headers: new Headers({ "content-type": "application/json" }),
			body: JSON.stringify(body),
		},
	};
}

const document = {
	issuer,
	authorization_endpoint: `${issuer}/auth`,
	token_endpoint: `${issuer}/token`,
	revocation_endpoint: `${issuer}/token/revocation`,
	userinfo_endpoint: `${issuer}/me`,
	jwks_uri: `${issuer}/jwks`,
	authorization_response_iss_parameter_supported: true,
	code_challenge_methods_supported: ["S256"],
	scopes_supported: ["openid", "email"],
};

describe("discovery", () => {
	it("appends the well-known suffix after the issuer's path", () => {
		expect(buildDiscoveryRequest(issuer).url).toBe(
			`${issuer}/.well-known/openid-configuration`,
		);
		expect(buildDiscoveryRequest("https://id.example.test/").url).toBe(
			"https://id.example.test/.well-known/openid-configuration",
		);
	});

	it("reads the endpoints and capabilities", () => {
		const result = processDiscoveryResponse(json(200, document), {
			expectedIssuer: issuer,
		});
		expect(result).toMatchObject({
			ok: true,
			metadata: {
				issuer,
				authorizationEndpoint: `${issuer}/auth`,
				tokenEndpoint: `${issuer}/token`,
				revocationEndpoint: `${issuer}/token/revocation`,
				userinfoEndpoint: `${issuer}/me`,
				jwksUri: `${issuer}/jwks`,
				issParameterSupported: true,
				codeChallengeMethodsSupported: ["S256"],
				scopesSupported: ["openid", "email"],
			},
		});
	});

	it("refuses an issuer that is not exactly the expected one", () => {
		const result = processDiscoveryResponse(
			json(200, { ...document, issuer: `${issuer}/` }),
			{ expectedIssuer: issuer },
		);
		expect(result).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "invalid_metadata" },
		});
	});

	it("names a missing or non-URL endpoint", () => {
		const missing = processDiscoveryResponse(
			json(200, { ...document, token_endpoint: undefined }),
			{ expectedIssuer: issuer },
		);
		expect(!missing.ok && missing.failure.errorDescription).toContain(
			"token_endpoint",
		);
		const bad = processDiscoveryResponse(
			json(200, { ...document, jwks_uri: "file:///etc/passwd" }),
			{ expectedIssuer: issuer },
		);
		expect(!bad.ok && bad.failure.errorDescription).toContain("jwks_uri");
	});

	it("treats a 5xx as transient", () => {
		expect(
			processDiscoveryResponse(json(503, {}), { expectedIssuer: issuer }),
		).toMatchObject({ ok: false, failure: { kind: "transient" } });
	});
});

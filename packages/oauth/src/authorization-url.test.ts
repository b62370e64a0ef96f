import { describe, expect, it } from "vitest";
import { buildAuthorizationUrl } from "./authorization-url.ts";
import { OAuthError } from "./errors.ts";

const base = {
	endpoints: { authorizationEndpoint: "https://id.example.test/authorize" },
	clientId: "client-1",
	redirectUri: "https://tether.test/v1/signin/provider/acme/callback",
	scopes: ["openid", "email"],
	state: "state-1",
};

describe("buildAuthorizationUrl", () => {
	it("carries the code-flow parameters, PKCE and nonce", () => {
		const url = buildAuthorizationUrl({
			...base,
			codeChallenge: "challenge-1",
			nonce: "nonce-1",
		});
		expect(url.origin + url.pathname).toBe("https://id.example.test/authorize");
		expect(Object.fromEntries(url.searchParams)).toEqual({
			response_type: "code",
			client_id: "client-1",
			redirect_uri: base.redirectUri,
			scope: "openid email",
			state: "state-1",
			code_challenge: "challenge-1",
			code_challenge_method: "S256",
			nonce: "nonce-1",
		});
	});

	it("joins scopes with the provider's separator", () => {
		const url = buildAuthorizationUrl({
			...base,
			scopes: ["user:email", "repo"],
			scopeSeparator: ",",
		});
		expect(url.searchParams.get("scope")).toBe("user:email,repo");
	});

	it("keeps the endpoint's own query and lets protocol parameters win over extras", () => {
		const url = buildAuthorizationUrl({
			...base,
			endpoints: {
				authorizationEndpoint: "https://id.example.test/authorize?tenant=abc",
			},
			extraParams: {
				access_type: "offline",
				state: "attacker",
				prompt: "consent",
			},
		});
		expect(url.searchParams.get("tenant")).toBe("abc");
		expect(url.searchParams.get("access_type")).toBe("offline");
		expect(url.searchParams.get("prompt")).toBe("consent");
		expect(url.searchParams.getAll("state")).toEqual(["state-1"]);
	});

	it("leaves scope out when none are asked for", () => {
		const url = buildAuthorizationUrl({ ...base, scopes: [] });
		expect(url.searchParams.has("scope")).toBe(false);
	});

	it("throws OAuthError for an endpoint that is not an http(s) URL", () => {
		expect(() =>
			buildAuthorizationUrl({
				...base,
				endpoints: { authorizationEndpoint: "javascript:alert(1)" },
			}),
		).toThrow(OAuthError);
		expect(() =>
			buildAuthorizationUrl({
				...base,
				endpoints: { authorizationEndpoint: "/x" },
			}),
		).toThrow(expect.objectContaining({ code: "INVALID_ENDPOINT" }));
	});
});

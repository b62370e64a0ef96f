import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors.ts";
import {
	buildAuthorizationCodeRequest,
	buildRefreshRequest,
} from "./token-request.ts";

const endpoints = { tokenEndpoint: "https://id.example.test/token" };

async function form(request: Request): Promise<Record<string, string>> {
	return Object.fromEntries(new URLSearchParams(await request.text()));
}

describe("buildAuthorizationCodeRequest", () => {
	it("POSTs the code, redirect URI and verifier with basic auth", async () => {
		const request = buildAuthorizationCodeRequest({
			endpoints,
			client: { clientId: "client-1", clientSecret: "secret-1" },
			code: "code-1",
			redirectUri: "https://tether.test/cb",
			codeVerifier: "verifier-1",
		});
		expect(request.method).toBe("POST");
		expect(request.url).toBe(endpoints.tokenEndpoint);
		expect(request.redirect).toBe("manual");
		expect(request.headers.get("content-type")).toBe(
			"application/x-www-form-urlencoded",
		);
		expect(request.headers.get("accept")).toBe("application/json");
		expect(request.headers.get("authorization")).toBe(
			`Basic ${btoa("client-1:secret-1")}`,
		);
		expect(await form(request)).toEqual({
			grant_type: "authorization_code",
			code: "code-1",
			redirect_uri: "https://tether.test/cb",
			code_verifier: "verifier-1",
		});
	});

	it("puts credentials in the body for client_secret_post", async () => {
		const request = buildAuthorizationCodeRequest({
			endpoints,
			client: {
				clientId: "client-1",
				clientSecret: "secret-1",
				authMethod: "client_secret_post",
			},
			code: "code-1",
			redirectUri: "https://tether.test/cb",
		});
		expect(request.headers.has("authorization")).toBe(false);
		expect(await form(request)).toMatchObject({
			client_id: "client-1",
			client_secret: "secret-1",
		});
	});
});

describe("buildRefreshRequest", () => {
	it("sends the refresh token and optional narrowed scopes", async () => {
		const request = buildRefreshRequest({
			endpoints,
			client: { clientId: "c", authMethod: "none" },
			refreshToken: "rt-1",
			scopes: ["read", "write"],
			scopeSeparator: ",",
			extraParams: { grant_type: "overridden?", tenant: "t1" },
		});
		expect(await form(request)).toEqual({
			grant_type: "refresh_token",
			refresh_token: "rt-1",
			scope: "read,write",
			tenant: "t1",
			client_id: "c",
		});
	});

	it("form-encodes id and secret before base64 (RFC 6749 §2.3.1)", () => {
		const request = buildRefreshRequest({
			endpoints,
			client: { clientId: "my client", clientSecret: "p@ss:w%rd" },
			refreshToken: "rt",
		});
		expect(request.headers.get("authorization")).toBe(
			`Basic ${btoa("my+client:p%40ss%3Aw%25rd")}`,
		);
	});

	it("throws OAuthError when a secret-based method has no secret", () => {
		expect(() =>
			buildRefreshRequest({
				endpoints,
				client: { clientId: "c", authMethod: "client_secret_post" },
				refreshToken: "rt",
			}),
		).toThrow(OAuthError);
	});
});

import { describe, expect, it } from "vitest";
import type { HttpOutcome } from "./http.ts";
import { processTokenResponse } from "./token-response.ts";

const now = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => now };

function answer(
	status: number,
	body: string,
	headers: Record<string, string> = { "content-type": "application/json" },
): HttpOutcome {
	return {
		ok: true,
		response: { status, headers: new Headers(headers), body },
	};
}

function json(
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
) {
	return answer(status, JSON.stringify(body), {
		"content-type": "application/json",
		...headers,
	});
}

describe("processTokenResponse: success", () => {
	it("reads a full RFC 6749 §5.1 answer", () => {
		const result = processTokenResponse(
			json(200, {
				access_token: "at",
				token_type: "Bearer",
				expires_in: 3600,
				refresh_token: "rt",
				scope: "openid email",
				id_token: "header.payload.sig",
			}),
			clock,
		);
		expect(result).toEqual({
			ok: true,
			tokens: {
				accessToken: "at",
				tokenType: "Bearer",
				expiresIn: 3600,
				expiresAt: new Date("2030-01-01T01:00:00Z"),
				refreshToken: "rt",
				scope: "openid email",
				idToken: "header.payload.sig",
				raw: expect.objectContaining({ access_token: "at" }),
			},
		});
	});

	it("tolerates missing expires_in, refresh_token and token_type", () => {
		const result = processTokenResponse(
			json(200, { access_token: "at" }),
			clock,
		);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.tokens.tokenType).toBe("Bearer");
		expect(result.tokens.expiresIn).toBeUndefined();
		expect(result.tokens.expiresAt).toBeUndefined();
		expect(result.tokens.refreshToken).toBeUndefined();
		expect(result.tokens.scope).toBeUndefined();
	});

	it("reads GitHub's form-encoded answer (no Accept header)", () => {
		const result = processTokenResponse(
			answer(200, "access_token=gho_abc&scope=repo%2Cgist&token_type=bearer", {
				"content-type": "application/x-www-form-urlencoded; charset=utf-8",
			}),
			clock,
		);
		expect(result).toMatchObject({
			ok: true,
			tokens: {
				accessToken: "gho_abc",
				scope: "repo,gist",
				tokenType: "bearer",
			},
		});
	});

	it("reads a form body sent with a wrong content type, and numeric strings", () => {
		const result = processTokenResponse(
			answer(200, "access_token=at&expires_in=28800&refresh_token=r", {
				"content-type": "text/plain",
			}),
			clock,
		);
		expect(result).toMatchObject({
			ok: true,
			tokens: { expiresIn: 28800, refreshToken: "r" },
		});
	});

	it("joins Twitch's array scope and ignores a nonsense expires_in", () => {
		const result = processTokenResponse(
			json(200, { access_token: "at", scope: ["a", "b"], expires_in: "soon" }),
			clock,
		);
		expect(result).toMatchObject({ ok: true, tokens: { scope: "a b" } });
		expect(result.ok && result.tokens.expiresIn).toBeUndefined();
	});
});

describe("processTokenResponse: failures", () => {
	it("classifies invalid_grant as permanent, keeping the upstream error as data", () => {
		expect(
			processTokenResponse(
				json(400, {
					error: "invalid_grant",
					error_description: "grant revoked",
					error_uri: "https://id.example.test/e",
				}),
				clock,
			),
		).toEqual({
			ok: false,
			failure: {
				kind: "permanent",
				source: "provider",
				error: "invalid_grant",
				errorDescription: "grant revoked",
				errorUri: "https://id.example.test/e",
				status: 400,
				retryAfterSeconds: undefined,
			},
		});
	});

	it("sees GitHub's 200 + bad_refresh_token as a permanent failure", () => {
		expect(
			processTokenResponse(json(200, { error: "bad_refresh_token" }), clock),
		).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "bad_refresh_token", status: 200 },
		});
	});

	it("reads a form-encoded error body too (GitHub without Accept)", () => {
		expect(
			processTokenResponse(
				answer(200, "error=bad_refresh_token&error_description=expired", {
					"content-type": "application/x-www-form-urlencoded",
				}),
				clock,
			),
		).toMatchObject({
			ok: false,
			failure: {
				kind: "permanent",
				error: "bad_refresh_token",
				errorDescription: "expired",
			},
		});
	});

	it("classifies unauthorized_client as permanent", () => {
		expect(
			processTokenResponse(json(400, { error: "unauthorized_client" }), clock),
		).toMatchObject({ ok: false, failure: { kind: "permanent" } });
	});

	it("classifies client problems as misconfigured", () => {
		for (const error of [
			"invalid_client",
			"invalid_request",
			"incorrect_client_credentials",
		]) {
			expect(processTokenResponse(json(401, { error }), clock)).toMatchObject({
				ok: false,
				failure: { kind: "misconfigured", error },
			});
		}
	});

	it("lets a provider override the table", () => {
		expect(
			processTokenResponse(json(400, { error: "invalid_request" }), {
				...clock,
				errorKinds: { invalid_request: "permanent" },
			}),
		).toMatchObject({ ok: false, failure: { kind: "permanent" } });
	});

	it("reads unknown codes as permanent", () => {
		expect(
			processTokenResponse(json(400, { error: "token_revoked" }), clock),
		).toMatchObject({ ok: false, failure: { kind: "permanent" } });
	});

	it("treats 503 with Retry-After seconds as transient", () => {
		expect(
			processTokenResponse(
				json(
					503,
					{ error: "temporarily_unavailable" },
					{ "retry-after": "120" },
				),
				clock,
			),
		).toMatchObject({
			ok: false,
			failure: { kind: "transient", status: 503, retryAfterSeconds: 120 },
		});
	});

	it("treats 429 with an HTTP-date Retry-After as transient, even with invalid_grant words", () => {
		expect(
			processTokenResponse(
				json(
					429,
					{ error: "invalid_grant" },
					{ "retry-after": "Tue, 01 Jan 2030 00:00:30 GMT" },
				),
				clock,
			),
		).toMatchObject({
			ok: false,
			failure: { kind: "transient", status: 429, retryAfterSeconds: 30 },
		});
	});

	it("treats an HTML 502 page as transient without echoing it", () => {
		const result = processTokenResponse(
			answer(502, "<html><body>Bad gateway</body></html>", {
				"content-type": "text/html",
			}),
			clock,
		);
		expect(result).toMatchObject({
			ok: false,
			failure: {
				kind: "transient",
				source: "http",
				error: "invalid_response",
				status: 502,
			},
		});
		expect(JSON.stringify(result)).not.toContain("Bad gateway");
	});

	it("treats unparsable JSON, empty bodies and a 200 without access_token as transient", () => {
		for (const outcome of [
			answer(200, "{not json"),
			answer(200, ""),
			json(200, { token_type: "Bearer" }),
			json(200, ["access_token"]),
			answer(400, "<!doctype html>", { "content-type": "text/html" }),
		]) {
			expect(processTokenResponse(outcome, clock)).toMatchObject({
				ok: false,
				failure: { kind: "transient", error: "invalid_response" },
			});
		}
	});

	it("treats network failures and timeouts as transient", () => {
		expect(
			processTokenResponse({
				ok: false,
				reason: "network",
				message: "ECONNRESET",
			}),
		).toEqual({
			ok: false,
			failure: {
				kind: "transient",
				source: "network",
				error: "network_error",
				errorDescription: "ECONNRESET",
			},
		});
		expect(
			processTokenResponse({ ok: false, reason: "timeout", message: "slow" }),
		).toMatchObject({
			ok: false,
			failure: { kind: "transient", error: "timeout" },
		});
	});
});

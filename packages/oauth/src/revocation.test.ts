import { describe, expect, it } from "vitest";
import { OAuthError } from "./errors.ts";
import type { HttpOutcome } from "./http.ts";
import {
	buildRevocationRequest,
	processRevocationResponse,
} from "./revocation.ts";

function answer(
	status: number,
	body = "",
	headers: Record<string, string> = {},
): HttpOutcome {
	return {
		ok: true,
		response: { status, headers: new Headers(headers), body },
	};
}

describe("revocation", () => {
	it("builds the RFC 7009 request with a type hint", async () => {
		const request = buildRevocationRequest({
			endpoints: { revocationEndpoint: "https://id.example.test/revoke" },
			client: { clientId: "c", clientSecret: "s" },
			token: "rt-1",
			tokenTypeHint: "refresh_token",
		});
		expect(request.method).toBe("POST");
		expect(request.headers.get("authorization")).toBe(`Basic ${btoa("c:s")}`);
		expect(await request.text()).toBe(
			"token=rt-1&token_type_hint=refresh_token",
		);
	});

	it("throws OAuthError when the provider has no revocation endpoint", () => {
		expect(() =>
			buildRevocationRequest({
				endpoints: {},
				client: { clientId: "c" },
				token: "t",
			}),
		).toThrow(OAuthError);
	});

	it("reads any 2xx as done and 503 as retry later", () => {
		expect(processRevocationResponse(answer(200))).toEqual({ ok: true });
		expect(processRevocationResponse(answer(204))).toEqual({ ok: true });
		expect(
			processRevocationResponse(answer(503, "", { "retry-after": "10" })),
		).toMatchObject({
			ok: false,
			failure: { kind: "transient", retryAfterSeconds: 10 },
		});
	});

	it("keeps provider errors as data", () => {
		expect(
			processRevocationResponse(
				answer(400, '{"error":"unsupported_token_type"}', {
					"content-type": "application/json",
				}),
			),
		).toMatchObject({
			ok: false,
			failure: { kind: "misconfigured", error: "unsupported_token_type" },
		});
	});
});

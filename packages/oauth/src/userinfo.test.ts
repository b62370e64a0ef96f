import { describe, expect, it } from "vitest";
import type { HttpOutcome } from "./http.ts";
import { buildUserinfoRequest, processUserinfoResponse } from "./userinfo.ts";

function answer(
	status: number,
	body: string,
	headers: Record<string, string> = {},
): HttpOutcome {
	return {
		ok: true,
		response: { status, headers: new Headers(headers), body },
	};
}

describe("userinfo", () => {
	it("sends the access token as a bearer", () => {
		const request = buildUserinfoRequest({
			endpoints: { userinfoEndpoint: "https://id.example.test/me" },
			accessToken: "at-1",
		});
		expect(request.headers.get("authorization")).toBe("Bearer at-1");
	});

	it("returns the claims", () => {
		expect(
			processUserinfoResponse(
				answer(200, '{"sub":"alice"}', { "content-type": "application/json" }),
			),
		).toEqual({ ok: true, claims: { sub: "alice" } });
	});

	it("reads the RFC 6750 error from WWW-Authenticate", () => {
		expect(
			processUserinfoResponse(
				answer(401, "", {
					"www-authenticate":
						'Bearer realm="x", error="invalid_token", error_description="expired"',
				}),
			),
		).toMatchObject({
			ok: false,
			failure: { kind: "permanent", error: "invalid_token", status: 401 },
		});
	});
});

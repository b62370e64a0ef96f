import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { startTestTether, type TestTether } from "./harness.ts";

/** The HTTP skeleton, exercised in-process with `app.request()`. */
describe("HTTP skeleton", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether();
	});
	afterAll(async () => {
		await tether?.close();
	});
	const request = (path: string, init?: RequestInit) =>
		tether.server.app.request(path, init);

	it("answers health and describes itself with OpenAPI generated from the route schemas", async () => {
		const health = await request("/v1/healthz");
		expect(health.status).toBe(200);
		expect(await health.json()).toMatchObject({ status: "ok" });
		const doc = await (await request("/openapi.json")).json();
		expect(doc.openapi).toBe("3.1.0");
		const exchange = doc.paths["/v1/token/exchange"].post;
		expect(
			exchange.requestBody.content["application/json"].schema,
		).toBeDefined();
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining([
				"/v1/signin/provider/{provider}",
				"/v1/connected-accounts/{user}/{provider}/{providerAccountId}/access-token",
				"/v1/link/{provider}",
				"/.well-known/jwks.json",
			]),
		);
	});

	it("names the failing field of an invalid body, with the shared error shape", async () => {
		const response = await request("/v1/token/exchange", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ code: 5 }),
		});
		expect(response.status).toBe(400);
		const body = await response.json();
		expect(body.code).toBe("INVALID_REQUEST");
		expect(body.details.issues[0].path).toBe("code");
		const malformed = await request("/v1/token/exchange", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: "{not json",
		});
		expect(malformed.status).toBe(400);
		expect((await malformed.json()).code).toBe("INVALID_REQUEST");
	});

	it("refuses large bodies and unknown routes with codes", async () => {
		const big = await request("/v1/token/exchange", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ code: "x".repeat(100_000) }),
		});
		expect(big.status).toBe(413);
		expect((await big.json()).code).toBe("PAYLOAD_TOO_LARGE");
		const missing = await request("/v1/nope");
		expect(missing.status).toBe(404);
		expect((await missing.json()).code).toBe("NOT_FOUND");
	});

	it("echoes a well-formed request id and replaces one that is not", async () => {
		const kept = await request("/v1/healthz", {
			headers: { "x-request-id": "abc-123" },
		});
		expect(kept.headers.get("x-request-id")).toBe("abc-123");
		const replaced = await request("/v1/healthz", {
			headers: { "x-request-id": "bad id\u0007" },
		});
		expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
		expect(
			tether.logs.some((line) => line.includes('"requestId":"abc-123"')),
		).toBe(true);
	});

	it("answers CORS preflights for the app's origins only", async () => {
		const preflight = (origin: string) =>
			request("/v1/connected-accounts/me", {
				method: "OPTIONS",
				headers: {
					origin,
					"access-control-request-method": "GET",
					"access-control-request-headers": "authorization",
				},
			});
		const allowed = await preflight("http://127.0.0.1:5999");
		expect(allowed.status).toBe(204);
		expect(allowed.headers.get("access-control-allow-origin")).toBe(
			"http://127.0.0.1:5999",
		);
		expect(
			allowed.headers.get("access-control-allow-headers")?.toLowerCase(),
		).toContain("authorization");
		const foreign = await preflight("https://evil.test");
		expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
	});

	it("refuses secret keys in URLs and from browsers", async () => {
		const inQuery = await request("/v1/connected-accounts/u1?key=tsk_abc");
		expect(inQuery.status).toBe(400);
		const fromBrowser = await request("/v1/connected-accounts/u1", {
			headers: {
				authorization: `Bearer tsk_${"s".repeat(40)}`,
				origin: "https://app.example.com",
			},
		});
		expect(fromBrowser.status).toBe(403);
		const wrong = await request("/v1/connected-accounts/u1", {
			headers: { authorization: `Bearer tsk_${"w".repeat(40)}` },
		});
		expect(wrong.status).toBe(401);
	});
});

describe("logger", () => {
	it("redacts secrets wherever they appear in a log object", () => {
		const lines: string[] = [];
		const logger = createLogger({
			destination: new Writable({
				write(chunk, _encoding, done) {
					lines.push(String(chunk));
					done();
				},
			}),
		});
		logger.info(
			{
				authorization: "Bearer secret-1",
				accessToken: "secret-2",
				nested: { refresh_token: "secret-3", code: "secret-4" },
				deeper: { x: { state: "secret-5" } },
			},
			"test",
		);
		logger.flush();
		const text = lines.join("");
		for (const secret of [
			"secret-1",
			"secret-2",
			"secret-3",
			"secret-4",
			"secret-5",
		]) {
			expect(text).not.toContain(secret);
		}
		expect(text).toContain("[redacted]");
	});
});

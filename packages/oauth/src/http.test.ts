import { describe, expect, it } from "vitest";
import { parseRetryAfter, sendRequest } from "./http.ts";

const request = () =>
	new Request("https://id.example.test/token", { method: "POST", body: "a=1" });

describe("sendRequest", () => {
	it("reads status, headers and the whole body", async () => {
		const outcome = await sendRequest(request(), {
			fetch: async (r) => {
				expect(await r.text()).toBe("a=1");
				return new Response('{"ok":1}', {
					status: 201,
					headers: { "x-test": "yes" },
				});
			},
		});
		expect(outcome).toMatchObject({
			ok: true,
			response: { status: 201, body: '{"ok":1}' },
		});
		expect(outcome.ok && outcome.response.headers.get("x-test")).toBe("yes");
	});

	it("turns a thrown fetch into a network outcome, naming the socket cause", async () => {
		const outcome = await sendRequest(request(), {
			fetch: async () => {
				throw new TypeError("fetch failed", {
					cause: new Error("read ECONNRESET"),
				});
			},
		});
		expect(outcome).toEqual({
			ok: false,
			reason: "network",
			message: "fetch failed: read ECONNRESET",
		});
	});

	it("times out even when the fetch ignores its signal", async () => {
		const outcome = await sendRequest(request(), {
			timeoutMs: 30,
			fetch: () => new Promise<Response>(() => {}),
		});
		expect(outcome).toMatchObject({ ok: false, reason: "timeout" });
	});

	it("reports a caller's cancellation as aborted", async () => {
		const controller = new AbortController();
		const pending = sendRequest(request(), {
			signal: controller.signal,
			fetch: () => new Promise<Response>(() => {}),
		});
		controller.abort();
		await expect(pending).resolves.toMatchObject({
			ok: false,
			reason: "aborted",
		});
	});
});

describe("parseRetryAfter", () => {
	const now = new Date("2030-01-01T00:00:00Z");

	it("reads delay-seconds and HTTP dates", () => {
		expect(parseRetryAfter("7", now)).toBe(7);
		expect(parseRetryAfter(" 0 ", now)).toBe(0);
		expect(parseRetryAfter("Tue, 01 Jan 2030 00:01:00 GMT", now)).toBe(60);
	});

	it("clamps past dates to zero and ignores nonsense", () => {
		expect(parseRetryAfter("Mon, 31 Dec 2029 23:00:00 GMT", now)).toBe(0);
		expect(parseRetryAfter("soon", now)).toBeUndefined();
		expect(parseRetryAfter("-5", now)).toBeUndefined();
		expect(parseRetryAfter(null, now)).toBeUndefined();
	});
});

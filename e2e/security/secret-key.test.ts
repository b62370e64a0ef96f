import { beforeAll, describe, expect, it } from "vitest";
import type { SessionBody } from "../../packages/server/test/harness.ts";
import { call, itLeavesNoSecrets, signIn } from "./support/flows.ts";
import { appUrl, useSecurityTether } from "./support/security-tether.ts";

/**
 * Secret-key misuse: the app backend's `tsk_…` key acts for every user, so it is accepted only as
 * `Authorization: Bearer` from a backend. Missing, wrong, or near-miss keys get 401; a key in a
 * URL is refused (URLs end up in logs and browser history); a key sent by a browser (any `Origin`)
 * is refused even when it is right, because it has leaked to a front end.
 */
describe("secret-key misuse, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-secret-key" });
	let user: SessionBody;
	let path: string;
	beforeAll(async () => {
		user = await signIn(tether(), "sk-user");
		path = `/v1/connected-accounts/${user.user.id}`;
	});

	const withKey = (token: string | undefined, headers = {}) =>
		call(tether(), "GET", path, {
			...(token === undefined ? {} : { token }),
			headers,
		});

	it("serves the right key from a backend (the control)", async () => {
		const answer = await withKey(tether().secretKey);
		expect(answer.status).toBe(200);
		expect(answer.body.items[0].providerAccountId).toBe("sk-user");
	});

	it("answers 401 to a missing key and to every near miss, never with data", async () => {
		const key = tether().secretKey;
		const lastFlipped = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
		const missing = await withKey(undefined);
		expect(missing.status).toBe(401);
		for (const wrong of [
			`tsk_${"x".repeat(key.length - 4)}`,
			lastFlipped,
			key.slice(0, -1),
			`${key}x`,
			key.toUpperCase(),
			"tsk_",
			tether().adminSecret,
		]) {
			const answer = await withKey(wrong);
			expect(answer.status).toBe(401);
			expect(answer.body).toEqual(missing.body);
		}
	});

	it.each([
		["a bare Authorization value", (key: string) => ({ authorization: key })],
		["a Token scheme", (key: string) => ({ authorization: `Token ${key}` })],
		[
			"Basic credentials",
			(key: string) => ({
				authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`,
			}),
		],
		["an X-Api-Key header", (key: string) => ({ "x-api-key": key })],
		["a cookie", (key: string) => ({ cookie: `secretKey=${key}` })],
	])("does not take the key from %s", async (_name, headers) => {
		const answer = await withKey(undefined, headers(tether().secretKey));
		expect(answer.status).toBe(401);
		expect(answer.body.items).toBeUndefined();
	});

	it.each([
		"secretKey",
		"key",
		"access_token",
		"token",
		"authorization",
		"api_key",
	])("refuses the key in the query string as %s", async (name) => {
		for (const value of [tether().secretKey, `Bearer ${tether().secretKey}`]) {
			const query = new URLSearchParams({ [name]: value });
			const answer = await call(tether(), "GET", `${path}?${query}`);
			expect([400, 401]).toContain(answer.status);
			expect(answer.body.items).toBeUndefined();
		}
		// With a session beside it the key grants nothing beyond the session's own reach.
		const other = await call(
			tether(),
			"GET",
			`/v1/connected-accounts/usr_someone_else?${name}=${tether().secretKey}`,
			{ token: user.accessToken },
		);
		expect([400, 403]).toContain(other.status);
	});

	it("says why when the key is plainly in the URL", async () => {
		const answer = await call(
			tether(),
			"GET",
			`${path}?secretKey=${tether().secretKey}`,
		);
		expect(answer.status).toBe(400);
		expect(answer.body.code).toBe("INVALID_REQUEST");
		expect(JSON.stringify(answer.body)).not.toContain(tether().secretKey);
	});

	it.each([
		["another site", "https://evil.test"],
		["the app's own origin", new URL(appUrl).origin],
		["an opaque origin", "null"],
		["Tether's own origin", "TETHER"],
	])("refuses the right key sent by a browser on %s", async (_name, origin) => {
		const answer = await withKey(tether().secretKey, {
			origin: origin === "TETHER" ? tether().baseUrl : origin,
		});
		expect(answer.status).toBe(403);
		expect(answer.body.code).toBe("FORBIDDEN");
		expect(answer.body.items).toBeUndefined();
		for (const method of ["POST", "DELETE"]) {
			const write = await call(
				tether(),
				method,
				`${path}/upstream/sk-user${method === "POST" ? "/access-token" : ""}`,
				{ token: tether().secretKey, headers: { origin: "https://evil.test" } },
			);
			expect(write.status).toBe(403);
		}
	});

	it("gives a cross-origin page no CORS grant to send Authorization", async () => {
		const preflight = await fetch(`${tether().baseUrl}${path}`, {
			method: "OPTIONS",
			headers: {
				origin: "https://evil.test",
				"access-control-request-method": "GET",
				"access-control-request-headers": "authorization",
			},
		});
		expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
		expect(
			preflight.headers.get("access-control-allow-credentials"),
		).toBeNull();
		const simple = await withKey(tether().secretKey, {
			origin: "https://evil.test",
		});
		expect(simple.headers.get("access-control-allow-origin")).toBeNull();
	});

	it("keeps the operator's surfaces behind the admin secret, in the header only", async () => {
		for (const [path, token] of [
			["/v1/admin/users", undefined],
			["/v1/admin/users", tether().secretKey],
			[`/v1/admin/users?adminSecret=${tether().adminSecret}`, undefined],
			[`/v1/admin/users?access_token=${tether().adminSecret}`, undefined],
			["/metrics", undefined],
			["/metrics", tether().secretKey],
			[`/metrics?adminSecret=${tether().adminSecret}`, undefined],
		] as const) {
			const answer = await call(tether(), "GET", path, {
				...(token === undefined ? {} : { token }),
			});
			expect(answer.status, path).toBe(401);
			expect(JSON.stringify(answer.body)).not.toContain("sk-user");
		}
		const admin = await call(tether(), "GET", "/v1/admin/users", {
			token: tether().adminSecret,
		});
		expect(admin.status).toBe(200);
	});

	it("still has the account afterwards: nothing above changed anything", async () => {
		expect((await withKey(tether().secretKey)).body.items).toHaveLength(1);
	});

	itLeavesNoSecrets(tether);
});

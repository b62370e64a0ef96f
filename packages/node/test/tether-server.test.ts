import type { FetchLike } from "@tether/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	appUrl,
	createBrowser,
	type SessionBody,
	secretKey,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	createTetherServer,
	LinkRequiredError,
	OAuthAccessTokenNotAvailable,
	TetherClientError,
	type TetherServer,
} from "../src/index.ts";

/** The real fetch, counting requests by path. */
function countingFetch() {
	const paths: string[] = [];
	const fetchFn: FetchLike = (input, init) => {
		paths.push(new URL(input).pathname);
		return fetch(input, init);
	};
	return {
		fetch: fetchFn,
		count: (path: string) => paths.filter((p) => p === path).length,
	};
}

describe("the server SDK (secret key), against a real Tether and oidc-provider", () => {
	let tether: TestTether;
	let server: TetherServer;
	let jwksCounter: ReturnType<typeof countingFetch>;
	let pia: SessionBody;
	beforeAll(async () => {
		tether = await startTestTether();
		jwksCounter = countingFetch();
		server = createTetherServer({
			baseUrl: `${tether.baseUrl}/`,
			secretKey,
			fetch: jwksCounter.fetch,
		});
		pia = await createBrowser(tether).signIn("pia");
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("reads another user's accounts and tokens by Tether's user id", async () => {
		const user = await server.getUser(pia.user.id);
		expect(user?.id).toBe(pia.user.id);
		const accounts = await user?.listConnectedAccounts();
		expect(accounts?.map((a) => a.providerAccountId)).toEqual(["pia"]);
		const account = await user?.getConnectedAccount({
			provider: "upstream",
			providerAccountId: "pia",
		});
		const token = await account?.getAccessToken({ scopes: ["email"] });
		expect(token?.status).toBe("ok");
		const missing = await account?.getAccessToken({ scopes: ["admin"] });
		expect(missing?.status === "error" && missing.error.missingScopes).toEqual([
			"admin",
		]);
		expect(
			await user?.getConnectedAccount({
				provider: "upstream",
				providerAccountId: "someone-else",
			}),
		).toBeNull();
	});

	it("a user Tether has never seen is null", async () => {
		expect(await server.getUser("app-user-unknown")).toBeNull();
	});

	it("links an account to a user known only by the app's own id, then serves it", async () => {
		const appUserId = "app-user-42";
		const url = await server.createLinkUrl({
			userId: appUserId,
			provider: "upstream",
			scopes: ["read"],
			redirectTo: appUrl,
		});
		expect(new URL(url).pathname).toBe("/v1/link/upstream/start");
		const browser = createBrowser(tether);
		const landed = await browser.follow(url, { account: "quinn" });
		expect(landed.searchParams.get("linked")).toBe("upstream");
		const code = landed.searchParams.get("link_code");
		if (code === null) throw new Error(`no link_code in ${landed.toString()}`);
		// The app's landing route redeems it for the user it knows is signed in.
		const linked = await server.completeLink({ userId: appUserId, code });
		expect(linked).toMatchObject({
			id: "upstream",
			provider: "upstream",
			providerAccountId: "quinn",
			status: "active",
		});
		expect(linked.scopes).toContain("read");
		expect((await linked.getAccessToken({ scopes: ["read"] })).status).toBe(
			"ok",
		);

		const user = await server.getUser(appUserId);
		if (user === null) throw new Error("the app's user was not created");
		const [account] = (await user.listConnectedAccounts()) ?? [];
		expect(account?.providerAccountId).toBe("quinn");
		expect(account?.scopes).toContain("read");
		expect((await account?.getAccessToken({ scopes: ["read"] }))?.status).toBe(
			"ok",
		);

		// getOrLink on a backend: a link URL to send the user to, as an error it can catch.
		const failure = await user
			.getOrLinkConnectedAccount("upstream", {
				scopes: ["write"],
				redirectTo: appUrl,
			})
			.then(
				() => null,
				(error: unknown) => error,
			);
		expect(failure).toBeInstanceOf(LinkRequiredError);
		expect(failure).toBeInstanceOf(OAuthAccessTokenNotAvailable);
		if (!(failure instanceof LinkRequiredError)) return;
		expect(failure.missingScopes).toEqual(["write"]);
		const upgraded = await browser.follow(failure.url, { account: "quinn" });
		expect(upgraded.searchParams.get("linked")).toBe("upstream");
		await server.completeLink({
			userId: appUserId,
			code: upgraded.searchParams.get("link_code") ?? "",
		});
		const found = await user.getOrLinkConnectedAccount("upstream", {
			scopes: ["write", "read"],
		});
		expect(found.providerAccountId).toBe("quinn");
		expect(await user.listConnectedAccounts()).toHaveLength(1);

		await found.unlink();
		expect(await user.listConnectedAccounts()).toEqual([]);
	});

	it("completeLink: nothing is attached before it, and a second redemption is LINK_NOT_FOUND", async () => {
		const url = await server.createLinkUrl({
			userId: pia.user.id,
			provider: "upstream",
			scopes: ["write"],
			redirectTo: appUrl,
		});
		const landed = await createBrowser(tether).follow(url, {
			account: "pia-work",
		});
		const code = landed.searchParams.get("link_code") ?? "";
		const user = await server.getUser(pia.user.id);
		const ids = async () =>
			((await user?.listConnectedAccounts()) ?? [])
				.map((a) => a.providerAccountId)
				.sort();
		expect(await ids()).toEqual(["pia"]);
		const account = await server.completeLink({ userId: pia.user.id, code });
		expect(account.providerAccountId).toBe("pia-work");
		expect(account.scopes).toContain("write");
		expect(await ids()).toEqual(["pia", "pia-work"]);
		await expect(
			server.completeLink({ userId: pia.user.id, code }),
		).rejects.toMatchObject({ code: "LINK_NOT_FOUND", status: 404 });
		await account.unlink();
		expect(await ids()).toEqual(["pia"]);
	});

	it("completeLink for another user than the link URL's fails, attaches nothing, and spends the code", async () => {
		const owner = "app-user-owner";
		const other = await createBrowser(tether).signIn("sam");
		const url = await server.createLinkUrl({
			userId: owner,
			provider: "upstream",
			redirectTo: appUrl,
		});
		const landed = await createBrowser(tether).follow(url, {
			account: "tia",
		});
		const code = landed.searchParams.get("link_code") ?? "";
		const refused = await server
			.completeLink({ userId: other.user.id, code })
			.then(
				() => null,
				(error: unknown) => error,
			);
		expect(refused).toBeInstanceOf(TetherClientError);
		expect(refused).toMatchObject({ code: "LINK_NOT_FOUND", status: 404 });
		await expect(
			server.completeLink({ userId: owner, code }),
		).rejects.toMatchObject({ code: "LINK_NOT_FOUND" });
		const samAccounts = await (
			await server.getUser(other.user.id)
		)?.listConnectedAccounts();
		expect(samAccounts?.map((a) => a.providerAccountId)).toEqual(["sam"]);
		const ownerAccounts =
			(await (await server.getUser(owner))?.listConnectedAccounts()) ?? [];
		expect(ownerAccounts).toEqual([]);
		await expect(
			server.completeLink({ userId: owner, code: "" }),
		).rejects.toMatchObject({ code: "INVALID_REQUEST" });
	});

	it("verifies session JWTs against the JWKS, fetched once and cached", async () => {
		const before = jwksCounter.count("/.well-known/jwks.json");
		const verified = await server.verifySession(pia.accessToken);
		expect(verified).toEqual({
			userId: pia.user.id,
			sessionId: expect.stringMatching(/.+/),
		});
		for (let i = 0; i < 5; i++)
			expect(await server.verifySession(pia.accessToken)).toEqual(verified);
		expect(
			jwksCounter.count("/.well-known/jwks.json") - before,
		).toBeLessThanOrEqual(1);

		const [header, payload, signature] = pia.accessToken.split(".");
		const claims: unknown = JSON.parse(
			Buffer.from(payload ?? "", "base64url").toString(),
		);
		if (typeof claims !== "object" || claims === null)
			throw new Error("JWT payload is not an object");
		const forged = Buffer.from(
			JSON.stringify({ ...claims, sub: "usr_someone_else" }),
		).toString("base64url");
		expect(
			await server.verifySession(`${header}.${forged}.${signature}`),
		).toBeNull();
		expect(await server.verifySession("not.a.jwt")).toBeNull();
		expect(await server.verifySession("")).toBeNull();

		const otherIssuer = createTetherServer({
			baseUrl: tether.baseUrl,
			secretKey,
			issuer: "https://tether.elsewhere.test",
		});
		expect(await otherIssuer.verifySession(pia.accessToken)).toBeNull();
	});

	it("verifies locally: a signed-out session's JWT still verifies until it expires", async () => {
		// No introspection endpoint exists; the JWT lives 15 minutes. Tether's own API refuses it.
		const session = await createBrowser(tether).signIn("rae");
		await api(tether, "POST", "/v1/signout", { token: session.accessToken });
		expect(
			(await api(tether, "GET", "/v1/user", { token: session.accessToken }))
				.status,
		).toBe(401);
		expect(await server.verifySession(session.accessToken)).toMatchObject({
			userId: session.user.id,
		});
	});

	it("an unreachable key set throws instead of calling every token bad", async () => {
		const offline = createTetherServer({
			baseUrl: "http://127.0.0.1:9",
			secretKey,
		});
		await expect(offline.verifySession(pia.accessToken)).rejects.toMatchObject({
			code: "SERVICE_UNAVAILABLE",
		});
	});

	it("a wrong secret key is UNAUTHENTICATED; a non-key is refused up front", async () => {
		const wrong = createTetherServer({
			baseUrl: tether.baseUrl,
			secretKey: `tsk_${"x".repeat(40)}`,
		});
		await expect(wrong.getUser(pia.user.id)).rejects.toBeInstanceOf(
			TetherClientError,
		);
		await expect(wrong.getUser(pia.user.id)).rejects.toMatchObject({
			code: "UNAUTHENTICATED",
			status: 401,
		});
		expect(() =>
			createTetherServer({
				baseUrl: tether.baseUrl,
				secretKey: pia.accessToken,
			}),
		).toThrow(TetherClientError);
	});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	createBrowser,
	startTestTether,
	type TestTether,
} from "../../server/test/harness.ts";
import {
	createTetherClient,
	memoryStorage,
	OAuthAccessTokenNotAvailable,
	TetherClientError,
} from "../src/index.ts";
import { appUrl, countingFetch, signedInClient, sleep } from "./support.ts";

describe("connected accounts through the client, against a real Tether and oidc-provider", () => {
	let tether: TestTether;
	beforeAll(async () => {
		tether = await startTestTether();
	});
	afterAll(async () => {
		await tether?.close();
	});

	it("lists and gets accounts; an unknown one is null", async () => {
		const { client, user } = await signedInClient(tether, "ana");
		const accounts = await user.listConnectedAccounts();
		expect(accounts).toHaveLength(1);
		const [account] = accounts;
		expect(account).toMatchObject({
			id: "upstream",
			provider: "upstream",
			providerAccountId: "ana",
			status: "active",
			email: "ana@upstream.test",
		});
		expect(account?.scopes).toEqual(
			expect.arrayContaining(["openid", "email", "profile"]),
		);
		const one = await user.getConnectedAccount({
			provider: "upstream",
			providerAccountId: "ana",
		});
		expect(one?.providerAccountId).toBe("ana");
		expect(
			await user.getConnectedAccount({
				provider: "upstream",
				providerAccountId: "nobody",
			}),
		).toBeNull();
		client.destroy();
	});

	it("gets an access token the provider accepts, cached per scope set", async () => {
		const counter = countingFetch();
		const { client, user } = await signedInClient(tether, "bo", {
			fetch: counter.fetch,
		});
		const [account] = await user.listConnectedAccounts();
		const result = await account?.getAccessToken();
		if (result?.status !== "ok") throw new Error("expected a token");
		expect(result.data.scopes).toContain("openid");
		expect(Date.parse(result.data.expiresAt ?? "")).toBeGreaterThan(Date.now());
		const userinfo = await fetch(tether.upstream.endpoints.userinfoEndpoint, {
			headers: { authorization: `Bearer ${result.data.accessToken}` },
		});
		expect(userinfo.status).toBe(200);
		expect(await userinfo.json()).toMatchObject({ sub: "bo" });

		const tokenCalls = () => counter.countMatching(/\/access-token$/);
		expect(tokenCalls()).toBe(1);
		// Again, concurrently, and through another handle of the same account: from the cache.
		const again = await Promise.all([
			account?.getAccessToken(),
			account?.getAccessToken({ scopes: [] }),
			(await user.listConnectedAccounts())[0]?.getAccessToken(),
		]);
		expect(again.map((r) => r?.status)).toEqual(["ok", "ok", "ok"]);
		expect(tokenCalls()).toBe(1);
		// Another scope set is another question for Tether.
		const email = await account?.getAccessToken({ scopes: ["email"] });
		expect(email?.status).toBe("ok");
		expect(tokenCalls()).toBe(2);
		client.destroy();
	});

	it("missing scopes are a Result error naming them, not a throw", async () => {
		const { client, user } = await signedInClient(tether, "cy");
		const [account] = await user.listConnectedAccounts();
		const result = await account?.getAccessToken({ scopes: ["read", "email"] });
		if (result?.status !== "error") throw new Error("expected an error");
		expect(result.error).toBeInstanceOf(OAuthAccessTokenNotAvailable);
		expect(result.error).toBeInstanceOf(TetherClientError);
		expect(result.error.code).toBe("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE");
		expect(result.error.reason).toBe("insufficient_scopes");
		expect(result.error.missingScopes).toEqual(["read"]);
		client.destroy();
	});

	it("getOrLink returns an account that has the scopes, without navigating", async () => {
		const { client, user, navigations } = await signedInClient(tether, "dee");
		const before = navigations.seen.length;
		const account = await user.getOrLinkConnectedAccount("upstream", {
			scopes: ["email"],
		});
		expect(account.providerAccountId).toBe("dee");
		expect(navigations.seen).toHaveLength(before);
		client.destroy();
	});

	it("getOrLink with missing scopes links (redirect), and afterwards returns the upgraded account", async () => {
		const { client, user, navigations, browser } = await signedInClient(
			tether,
			"eve",
		);
		const navigated = navigations.next();
		// Redirect mode: the page leaves, so this promise never settles.
		void user.getOrLinkConnectedAccount("upstream", {
			scopes: ["read"],
			redirectTo: appUrl,
		});
		const linkUrl = new URL(await navigated);
		expect(linkUrl.pathname).toBe("/v1/link/upstream/start");
		expect(linkUrl.searchParams.get("intent")).not.toBeNull();

		const landed = await browser.follow(linkUrl.toString(), { account: "eve" });
		expect(landed.searchParams.get("linked")).toBe("upstream");
		expect(landed.searchParams.get("link_code")).toEqual(expect.any(String));
		// Nothing changes at the provider callback: the landing page's redemption attaches it.
		const [before] = await user.listConnectedAccounts();
		expect(before?.scopes).not.toContain("read");
		const linked = await client.handleRedirectCallback(landed);
		expect(linked).toMatchObject({
			type: "linked",
			provider: "upstream",
			account: { provider: "upstream", providerAccountId: "eve" },
		});
		if (linked.type !== "linked") throw new Error("not linked");
		expect(linked.account.scopes).toContain("read");
		expect(
			(await linked.account.getAccessToken({ scopes: ["read"] })).status,
		).toBe("ok");
		// The code was spent by that redemption.
		await expect(client.handleRedirectCallback(landed)).rejects.toMatchObject({
			code: "LINK_NOT_FOUND",
		});
		const seen = navigations.seen.length;
		const account = await user.getOrLinkConnectedAccount("upstream", {
			scopes: ["read"],
		});
		expect(navigations.seen).toHaveLength(seen);
		expect(account.providerAccountId).toBe("eve");
		expect(account.scopes).toEqual(expect.arrayContaining(["openid", "read"]));
		expect(await user.listConnectedAccounts()).toHaveLength(1);
		const token = await account.getAccessToken({ scopes: ["read"] });
		expect(token.status).toBe("ok");
		client.destroy();
	});

	it("getOrLink in popup mode resolves with the upgraded account when the popup lands", async () => {
		const { client, user, popups, browser, navigations } = await signedInClient(
			tether,
			"fay",
		);
		const opened = popups.next();
		const linking = user.getOrLinkConnectedAccount("upstream", {
			scopes: ["write"],
			mode: "popup",
			redirectTo: appUrl,
		});
		const linkUrl = await opened;
		const landed = await browser.follow(linkUrl, { account: "fay" });
		popups.opened[0]?.popup.land(landed);
		const account = await linking;
		expect(account.providerAccountId).toBe("fay");
		expect(account.scopes).toContain("write");
		expect(popups.opened[0]?.popup.closed).toBe(true);
		expect(navigations.seen).toHaveLength(1); // only the sign-in
		client.destroy();
	});

	it("redirect mode: a new account is attached only when the landing page redeems the code", async () => {
		const { client, user, navigations, browser } = await signedInClient(
			tether,
			"kim",
		);
		const navigated = navigations.next();
		void user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			redirectTo: appUrl,
		});
		const landed = await browser.follow(await navigated, {
			account: "kim-work",
		});
		expect(
			(await user.listConnectedAccounts()).map((a) => a.providerAccountId),
		).toEqual(["kim"]);
		const linked = await client.handleRedirectCallback(landed);
		expect(linked).toMatchObject({
			type: "linked",
			provider: "upstream",
			account: { providerAccountId: "kim-work", status: "active" },
		});
		expect(
			(await user.listConnectedAccounts())
				.map((a) => a.providerAccountId)
				.sort(),
		).toEqual(["kim", "kim-work"]);
		client.destroy();
	});

	/**
	 * A signed-in opener starting a popup link for `scopes`, and the popup's own page: same origin,
	 * so the same stored session; requests counted.
	 */
	async function startPopupLink(account: string, scopes: string[]) {
		const counter = countingFetch();
		const storage = memoryStorage();
		const signedIn = await signedInClient(tether, account, {
			fetch: counter.fetch,
			storage,
		});
		const popupPage = createTetherClient({
			baseUrl: tether.baseUrl,
			storage,
			fetch: counter.fetch,
		});
		const opened = signedIn.popups.next();
		const linking = signedIn.user.getOrLinkConnectedAccount("upstream", {
			scopes,
			mode: "popup",
			redirectTo: appUrl,
		});
		return { ...signedIn, counter, popupPage, opened, linking };
	}

	it("popup mode: the opener redeems the code once, though both the poll and the popup's announcement arrive", async () => {
		const { counter, client, popups, browser, popupPage, opened, linking } =
			await startPopupLink("lou", ["write"]);
		const linkUrl = await opened;
		const landed = await browser.follow(linkUrl, { account: "lou" });
		expect(landed.searchParams.get("tether_popup")).toEqual(expect.any(String));
		expect(landed.searchParams.get("link_code")).toEqual(expect.any(String));

		const completions = () => counter.count("POST /v1/link/complete");
		// The popup's page runs handleRedirectCallback (announcing) while the opener polls it.
		popups.opened[0]?.popup.land(landed);
		expect(await popupPage.handleRedirectCallback(landed)).toEqual({
			type: "handed-to-opener",
			provider: "upstream",
		});
		const account = await linking;
		expect(account.providerAccountId).toBe("lou");
		expect(account.scopes).toContain("write");
		expect(popups.opened[0]?.popup.closed).toBe(true);
		await sleep(600); // a late second completion would show up by now
		expect(completions()).toBe(1);
		popupPage.destroy();
		client.destroy();
	});

	it("popup mode: the announcement alone completes the link (popup location never readable)", async () => {
		const { counter, client, browser, popupPage, opened, linking } =
			await startPopupLink("max", ["read"]);
		const landed = await browser.follow(await opened, { account: "max" });
		await popupPage.handleRedirectCallback(landed);
		const account = await linking;
		expect(account.scopes).toContain("read");
		expect(counter.count("POST /v1/link/complete")).toBe(1);
		popupPage.destroy();
		client.destroy();
	});

	it("popup mode: a refused code rejects getOrLink with LINK_NOT_FOUND", async () => {
		const { client, user, popups } = await signedInClient(tether, "ned");
		const opened = popups.next();
		const linking = user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			mode: "popup",
			redirectTo: appUrl,
		});
		await opened;
		popups.opened[0]?.popup.land(
			new URL(`${appUrl}?linked=upstream&link_code=not-a-real-code`),
		);
		await expect(linking).rejects.toMatchObject({ code: "LINK_NOT_FOUND" });
		expect(
			(await user.listConnectedAccounts()).map((a) => a.providerAccountId),
		).toEqual(["ned"]);
		client.destroy();
	});

	it("forced linking: Bob completing Alice's link URL attaches nothing to either of them", async () => {
		const alice = await signedInClient(tether, "alice");
		const bob = await signedInClient(tether, "bob");
		// Alice starts a link for herself, but sends the URL to Bob instead of opening it.
		const navigated = alice.navigations.next();
		void alice.user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			redirectTo: appUrl,
		});
		const aliceLinkUrl = await navigated;
		// Bob opens it, signed in at the provider with an account nobody has linked yet.
		const landed = await bob.browser.follow(aliceLinkUrl, {
			account: "bob-drive",
		});
		expect(landed.searchParams.get("link_code")).toEqual(expect.any(String));
		// Bob's landing page redeems it with Bob's session: refused, and the code is spent.
		const refused = await bob.client.handleRedirectCallback(landed).then(
			() => null,
			(error: unknown) => error,
		);
		expect(refused).toBeInstanceOf(TetherClientError);
		expect(refused).toMatchObject({ code: "LINK_NOT_FOUND", status: 404 });
		// Even a leaked code is useless to Alice afterwards.
		await expect(
			alice.client.handleRedirectCallback(landed),
		).rejects.toMatchObject({ code: "LINK_NOT_FOUND" });
		const ids = async (u: typeof alice.user) =>
			(await u.listConnectedAccounts()).map((a) => a.providerAccountId);
		expect(await ids(alice.user)).toEqual(["alice"]);
		expect(await ids(bob.user)).toEqual(["bob"]);
		alice.client.destroy();
		bob.client.destroy();
	});

	it("a popup closed before linking finished is a cancellation", async () => {
		const { client, user, popups } = await signedInClient(tether, "gil");
		const opened = popups.next();
		const linking = user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			mode: "popup",
		});
		await opened;
		popups.opened[0]?.popup.close();
		await expect(linking).rejects.toMatchObject({
			code: "INVALID_REQUEST",
			details: { reason: "popup_closed" },
		});
		client.destroy();
	});

	it("linking an account that belongs to another user fails with ACCOUNT_ALREADY_LINKED", async () => {
		const { client: owner } = await signedInClient(tether, "hal");
		const { client, user, popups } = await signedInClient(tether, "ivy");
		const browser = createBrowser(tether);
		const opened = popups.next();
		// No account of ivy's has "admin"; at the provider the user picks hal's account instead.
		const linking = user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			mode: "popup",
			redirectTo: appUrl,
		});
		const landed = await browser.follow(await opened, { account: "hal" });
		popups.opened[0]?.popup.land(landed);
		await expect(linking).rejects.toMatchObject({
			code: "ACCOUNT_ALREADY_LINKED",
		});
		owner.destroy();
		client.destroy();
	});

	it("unlinks: the account is gone, and its cached token is not handed out again", async () => {
		const { client, user, popups, browser } = await signedInClient(
			tether,
			"jo",
		);
		// A second account at the same provider, linked in a popup.
		const opened = popups.next();
		const linking = user.getOrLinkConnectedAccount("upstream", {
			scopes: ["admin"],
			mode: "popup",
			redirectTo: appUrl,
		});
		const landed = await browser.follow(await opened, { account: "jo-work" });
		popups.opened[0]?.popup.land(landed);
		const work = await linking;
		expect(work.providerAccountId).toBe("jo-work");
		expect(await user.listConnectedAccounts()).toHaveLength(2);
		expect((await work.getAccessToken()).status).toBe("ok");

		await work.unlink();
		expect(
			await user.getConnectedAccount({
				provider: "upstream",
				providerAccountId: "jo-work",
			}),
		).toBeNull();
		await expect(work.getAccessToken()).rejects.toMatchObject({
			code: "CONNECTED_ACCOUNT_NOT_FOUND",
		});
		expect(
			(await user.listConnectedAccounts()).map((a) => a.providerAccountId),
		).toEqual(["jo"]);
		client.destroy();
	});
});

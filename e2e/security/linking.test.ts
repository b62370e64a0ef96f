import { beforeAll, describe, expect, it } from "vitest";
import type { SessionBody } from "../../packages/server/test/harness.ts";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
	signIn,
} from "./support/flows.ts";
import { appUrl, useSecurityTether } from "./support/security-tether.ts";

/**
 * Account-linking takeover attempts: a link intent opened by someone else, twice, at another
 * provider, or finished in another browser; a provider account that already belongs to another
 * user; an upgrade intent naming someone else's account; and two provider accounts sharing one
 * verified email. Identity is (provider config, provider account id), never the email.
 */
describe("linking takeover, against a real Tether process", () => {
	const tether = useSecurityTether({
		name: "security-linking",
		providers: ["upstream", "other"],
		upstream: {
			accountClaims: (id) => ({
				email: id.startsWith("twin")
					? "twin@upstream.test"
					: `${id}@upstream.test`,
				email_verified: true,
				name: `Name of ${id}`,
			}),
		},
	});
	let alice: SessionBody;
	let bob: SessionBody;
	beforeAll(async () => {
		alice = await signIn(tether(), "link-alice");
		bob = await signIn(tether(), "link-bob");
	});

	const intentFor = async (
		token: string,
		body: Record<string, unknown> = {},
		provider = "upstream",
	): Promise<string> => {
		const answer = await call(tether(), "POST", `/v1/link/${provider}`, {
			token,
			body,
		});
		expect(answer.status).toBe(200);
		return answer.body.url;
	};
	const accountsOf = async (session: SessionBody) =>
		(
			await call(tether(), "GET", "/v1/connected-accounts/me", {
				token: session.accessToken,
			})
		).body.items.map((a: { providerAccountId: string }) => a.providerAccountId);

	it("puts only the intent's handle in the URL, never a session token", async () => {
		const url = new URL(await intentFor(alice.accessToken));
		expect([...url.searchParams.keys()]).toEqual(["intent"]);
		expect(url.href).not.toContain(alice.accessToken);
		expect(url.searchParams.get("intent")).toMatch(/^[\w-]{43}$/);
	});

	it("never attaches the account to the user of the browser that opens someone else's intent", async () => {
		const url = await intentFor(alice.accessToken);
		// Bob's browser, with Bob signed in to the app elsewhere in it, opens Alice's intent.
		await newBrowser(tether()).follow(url, { account: "link-opened-by-bob" });
		expect(await accountsOf(bob)).not.toContain("link-opened-by-bob");
	});

	/*
	 * Forced linking (link CSRF): Alice makes a link intent for herself and gets Bob to open its URL;
	 * Bob, signed in at the provider, finishes the flow in his browser. The callback attaches
	 * nothing: it lands on the app with a one-time link code that only Alice's own credentials can
	 * redeem. Bob's app, redeeming it with Bob's session, burns it; so Alice cannot use it later
	 * either, even if she learns it.
	 */
	it("does not attach Bob's provider account to Alice when Alice's link intent is finished in Bob's browser (forced linking)", async () => {
		const url = await intentFor(alice.accessToken);
		const landed = await newBrowser(tether()).follow(url, {
			account: "link-forced-bob",
		});
		expect(await accountsOf(alice)).not.toContain("link-forced-bob");
		const code = landed.searchParams.get("link_code");
		expect(code).toMatch(/^[\w-]{43}$/);
		const byBob = await call(tether(), "POST", "/v1/link/complete", {
			token: bob.accessToken,
			body: { code },
		});
		expect(byBob.status).toBe(404);
		expect(byBob.body.code).toBe("LINK_NOT_FOUND");
		const byAlice = await call(tether(), "POST", "/v1/link/complete", {
			token: alice.accessToken,
			body: { code },
		});
		expect(byAlice.status).toBe(404);
		expect(await accountsOf(alice)).not.toContain("link-forced-bob");
		expect(await accountsOf(bob)).not.toContain("link-forced-bob");
		const token = await call(
			tether(),
			"POST",
			"/v1/connected-accounts/me/upstream/link-forced-bob/access-token",
			{ token: alice.accessToken },
		);
		expect(token.status).toBe(404);
	});

	it("opens an intent once: a second opening, in any browser, is refused before the provider", async () => {
		const url = await intentFor(alice.accessToken);
		const first = await newBrowser(tether()).get(url);
		expect(first.status).toBe(302);
		for (const browser of [newBrowser(tether()), newBrowser(tether())]) {
			const again = await browser.get(url);
			expect(again.status).toBe(400);
			expect(again.headers.get("location")).toBeNull();
			expect(again.headers.get("cache-control")).toBe("no-store");
		}
	});

	it("refuses an intent at another provider's start URL", async () => {
		const url = new URL(await intentFor(alice.accessToken));
		url.pathname = url.pathname.replace("/link/upstream/", "/link/other/");
		const answer = await newBrowser(tether()).get(url.toString());
		expect(answer.status).toBe(400);
		expect(answer.headers.get("location")).toBeNull();
	});

	it("refuses a link flow's callback in a browser other than the one that opened the intent", async () => {
		const { callback } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"link-stolen-callback",
			{ startUrl: await intentFor(alice.accessToken) },
		);
		const answer = await newBrowser(tether()).get(callback.toString());
		expect(answer.status).toBe(400);
		expect(
			await tether().store.findConnectedAccount(
				"upstream",
				"link-stolen-callback",
			),
		).toBeNull();
	});

	it("lets a session create intents only for itself", async () => {
		const answer = await call(tether(), "POST", "/v1/link/upstream", {
			token: bob.accessToken,
			body: { userId: alice.user.id },
		});
		expect(answer.status).toBe(400);
		expect(answer.body.url).toBeUndefined();
	});

	it("refuses to link an account that belongs to another user, without saying whose it is", async () => {
		const before = await call(
			tether(),
			"POST",
			`/v1/connected-accounts/me/upstream/link-alice/access-token`,
			{ token: alice.accessToken },
		);
		expect(before.status).toBe(200);
		// Bob links, and at the provider signs in as Alice's account (a shared machine, a phished
		// provider session): Tether must not move it to Bob or give him its tokens.
		const landed = await newBrowser(tether()).follow(
			await intentFor(bob.accessToken, { redirectTo: appUrl }),
			{ account: "link-alice" },
		);
		expect(`${landed.origin}${landed.pathname}`).toBe(appUrl);
		expect([...landed.searchParams.keys()]).toEqual(["linked", "link_code"]);
		const refused = await call(tether(), "POST", "/v1/link/complete", {
			token: bob.accessToken,
			body: { code: landed.searchParams.get("link_code") },
		});
		expect(refused.status).toBe(409);
		expect(refused.body.code).toBe("ACCOUNT_ALREADY_LINKED");
		for (const hint of [alice.user.id, "link-alice@upstream.test", "Name of"]) {
			expect(decodeURIComponent(landed.href)).not.toContain(hint);
			expect(JSON.stringify(refused.body)).not.toContain(hint);
		}
		expect(await accountsOf(bob)).not.toContain("link-alice");
		expect(await accountsOf(alice)).toContain("link-alice");
		const owned = await tether().store.findConnectedAccount(
			"upstream",
			"link-alice",
		);
		expect(owned?.userId).toBe(alice.user.id);
		// Alice's stored tokens are hers still, not the ones Bob's flow obtained.
		const after = await call(
			tether(),
			"POST",
			`/v1/connected-accounts/me/upstream/link-alice/access-token`,
			{ token: alice.accessToken },
		);
		expect(after.body.accessToken).toBe(before.body.accessToken);
		expect(
			(
				await call(
					tether(),
					"POST",
					`/v1/connected-accounts/me/upstream/link-alice/access-token`,
					{ token: bob.accessToken },
				)
			).status,
		).toBe(404);
	});

	it("does not reveal another user's account through an upgrade intent naming it", async () => {
		const naming = async (providerAccountId: string) => {
			const url = await intentFor(bob.accessToken, { providerAccountId });
			const start = await newBrowser(tether()).get(url);
			expect(start.status).toBe(302);
			return locationOf(start);
		};
		const theirs = await naming("link-alice");
		const nobodys = await naming("link-nobody-at-all");
		for (const toProvider of [theirs, nobodys]) {
			expect(toProvider?.searchParams.get("login_hint")).toBeNull();
			expect(toProvider?.href).not.toContain("link-alice");
		}
	});

	it("never links by email: two provider accounts with one verified email are two users", async () => {
		const first = await signIn(tether(), "twin-one");
		const second = await signIn(tether(), "twin-two");
		expect(second.user.id).not.toBe(first.user.id);
		expect(
			second.user.connectedAccounts.map((a) => a.providerAccountId),
		).toEqual(["twin-two"]);
	});

	it("links with the secret key for the named user only", async () => {
		const url = await intentFor(tether().secretKey, { userId: bob.user.id });
		const landed = await newBrowser(tether()).follow(url, {
			account: "link-for-bob",
		});
		expect(landed.searchParams.get("linked")).toBe("upstream");
		expect(await accountsOf(bob)).not.toContain("link-for-bob");
		const code = landed.searchParams.get("link_code");
		// The app backend redeems for the user it knows is signed in: naming Alice fails.
		const asAlice = await call(tether(), "POST", "/v1/link/complete", {
			token: tether().secretKey,
			body: { code, userId: alice.user.id },
		});
		expect(asAlice.status).toBe(404);
		expect(await accountsOf(bob)).not.toContain("link-for-bob");
		const url2 = await intentFor(tether().secretKey, { userId: bob.user.id });
		const landed2 = await newBrowser(tether()).follow(url2, {
			account: "link-for-bob",
		});
		const asBob = await call(tether(), "POST", "/v1/link/complete", {
			token: tether().secretKey,
			body: {
				code: landed2.searchParams.get("link_code"),
				userId: bob.user.id,
			},
		});
		expect(asBob.status).toBe(200);
		expect(asBob.body.providerAccountId).toBe("link-for-bob");
		expect(await accountsOf(bob)).toContain("link-for-bob");
		expect(await accountsOf(alice)).not.toContain("link-for-bob");
	});

	itLeavesNoSecrets(tether);
});

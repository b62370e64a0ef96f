import { describe, expect, it } from "vitest";
import {
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
	signinUrl,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

/**
 * Issue 3, "state": at least 128 random bits, single use, bound to the browser that started the
 * flow, checked before any token request. Every refusal here must happen before the upstream's
 * token endpoint hears of the code.
 */
describe("state and CSRF, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-state" });

	const codeGrants = () =>
		tether().upstream.counters.tokenRequests.authorization_code;

	/** Delivers a callback and checks it was refused before any token request, with no redirect. */
	async function expectRefused(
		deliver: () => Promise<Response>,
	): Promise<void> {
		const before = codeGrants();
		const answer = await deliver();
		expect(answer.status).toBe(400);
		expect(answer.headers.get("location")).toBeNull();
		expect(answer.headers.get("cache-control")).toBe("no-store");
		expect((await answer.json()).code).toBe("INVALID_REQUEST");
		expect(codeGrants()).toBe(before);
	}

	it("sends a fresh state of at least 128 random bits, S256 PKCE and the configured redirect_uri on every start", async () => {
		const browser = newBrowser(tether());
		const states = new Set<string>();
		const challenges = new Set<string>();
		for (let i = 0; i < 8; i++) {
			const start = await browser.get(signinUrl(tether()));
			const url = locationOf(start);
			const state = url?.searchParams.get("state") ?? "";
			expect(Buffer.from(state, "base64url").length).toBeGreaterThanOrEqual(16);
			expect(url?.searchParams.get("code_challenge_method")).toBe("S256");
			expect(url?.searchParams.get("redirect_uri")).toBe(
				`${tether().baseUrl}/v1/signin/provider/upstream/callback`,
			);
			states.add(state);
			challenges.add(url?.searchParams.get("code_challenge") ?? "");
		}
		expect(states.size).toBe(8);
		expect(challenges.size).toBe(8);
	});

	it("refuses a callback without a state", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "csrf-a");
		callback.searchParams.delete("state");
		await expectRefused(() => browser.get(callback.toString()));
	});

	it.each([
		["a made-up state", () => Buffer.alloc(32, 7).toString("base64url")],
		["an empty state", () => ""],
		["a huge state", () => "s".repeat(5000)],
	])("refuses a callback with %s", async (_name, forged) => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "csrf-b");
		callback.searchParams.set("state", forged());
		await expectRefused(() => browser.get(callback.toString()));
	});

	it("refuses a replayed callback: a state is good for one callback", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "csrf-c");
		const first = await browser.get(callback.toString());
		expect(first.status).toBe(302);
		expect(locationOf(first)?.searchParams.get("code")).toMatch(/^[\w-]{43}$/);
		await expectRefused(() => browser.get(callback.toString()));
		// The same state as a form POST is no second chance either.
		await expectRefused(() =>
			browser.get(`${callback.origin}${callback.pathname}`, {
				method: "POST",
				headers: { "content-type": "application/x-www-form-urlencoded" },
				body: callback.searchParams.toString(),
			}),
		);
	});

	it("refuses another browser's callback (login CSRF): the attacker's finished login cannot land in the victim's browser", async () => {
		const attacker = newBrowser(tether());
		const { callback } = await callbackFor(tether(), attacker, "csrf-mallory");
		const victim = newBrowser(tether());
		// The victim's browser has a binding cookie of its own, from a flow it started itself.
		await victim.get(signinUrl(tether()));
		await expectRefused(() => victim.get(callback.toString()));
	});

	it("refuses a callback from a client with no binding cookie at all", async () => {
		const { callback } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"csrf-d",
		);
		await expectRefused(() => fetch(callback, { redirect: "manual" }));
	});

	it("refuses a provider error aimed at another browser's flow instead of redirecting it", async () => {
		const { toProvider } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"csrf-e",
		);
		const forged = new URL(
			`${tether().baseUrl}/v1/signin/provider/upstream/callback`,
		);
		forged.searchParams.set("error", "access_denied");
		forged.searchParams.set(
			"state",
			toProvider.searchParams.get("state") ?? "",
		);
		await expectRefused(() => newBrowser(tether()).get(forged.toString()));
	});

	it("still signs in when everything is right (the refusals above are not blanket ones)", async () => {
		const session = await newBrowser(tether()).signIn("csrf-ok");
		expect(session.user.connectedAccounts[0]?.providerAccountId).toBe(
			"csrf-ok",
		);
	});

	itLeavesNoSecrets(tether);
});

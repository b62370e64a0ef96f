import { describe, expect, it } from "vitest";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
	signIn,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

/**
 * Authorization-code injection (RFC 9700 §4.5): an attacker who stole a victim's authorization code
 * (from a log, a Referer, a proxy) pastes it into a flow of their own, hoping Tether redeems it
 * and signs the attacker in as the victim. PKCE binds every code to the flow that asked for it: the
 * attacker's flow holds the wrong verifier, so the provider refuses the code.
 */
describe("authorization-code injection, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-injection" });

	/** The attacker's own flow, with the victim's code swapped in; returns where it landed. */
	async function inject(victimCode: string) {
		const attacker = newBrowser(tether());
		const { callback } = await callbackFor(tether(), attacker, "inj-mallory");
		callback.searchParams.set("code", victimCode);
		const exchangesBefore = tether().upstreams.upstream?.exchanges.length ?? 0;
		const answer = await attacker.get(callback.toString());
		const sent = tether().upstreams.upstream?.exchanges.slice(exchangesBefore);
		return { answer, sent: sent ?? [] };
	}

	function expectNoSession(answer: Response) {
		expect(answer.status).toBe(302);
		const landed = locationOf(answer);
		expect(landed?.searchParams.get("code")).toBeNull();
		expect(landed?.searchParams.get("error")).toBe("server_error");
	}

	it("does not sign an attacker in with a victim's sign-in code pasted into the attacker's flow", async () => {
		const { callback: victims } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"inj-victim",
		);
		const { answer, sent } = await inject(
			victims.searchParams.get("code") ?? "",
		);
		expectNoSession(answer);
		// Tether did try the code, with the attacker's flow's verifier, and the provider said no.
		expect(sent).toHaveLength(1);
		expect(sent[0]?.status).toBe(400);
		expect(JSON.parse(sent[0]?.answer ?? "{}").error).toBe("invalid_grant");
	});

	it("does not sign an attacker in with a code from the victim's account-linking flow", async () => {
		const owner = await signIn(tether(), "inj-owner");
		const intent = await call(tether(), "POST", "/v1/link/upstream", {
			token: owner.accessToken,
			body: {},
		});
		expect(intent.status).toBe(200);
		const { callback: victims } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"inj-linked",
			{ startUrl: intent.body.url },
		);
		const { answer } = await inject(victims.searchParams.get("code") ?? "");
		expectNoSession(answer);
		// Nothing of the victim's reached the attacker or anyone else.
		expect(
			await tether().store.findConnectedAccount("upstream", "inj-linked"),
		).toBeNull();
	});

	it("does not let a code travel with another flow's state into the victim's browser either", async () => {
		// The victim's own state with the attacker's code: the victim would end up signed in as the
		// attacker (login CSRF by code) if the provider took the code without its verifier.
		const victim = newBrowser(tether());
		const { callback: victimCallback } = await callbackFor(
			tether(),
			victim,
			"inj-victim-2",
		);
		const { callback: attackers } = await callbackFor(
			tether(),
			newBrowser(tether()),
			"inj-mallory-2",
		);
		victimCallback.searchParams.set(
			"code",
			attackers.searchParams.get("code") ?? "",
		);
		const answer = await victim.get(victimCallback.toString());
		expectNoSession(answer);
	});

	itLeavesNoSecrets(tether);
});

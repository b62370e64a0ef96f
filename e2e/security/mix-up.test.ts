import { describe, expect, it } from "vitest";
import {
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

/**
 * Mix-up (RFC 9700 §4.4): with two providers, one of them honest (`upstream`) and one the attacker
 * runs or has compromised (`other`), a code the honest provider issued must never be sent to the
 * other one's token endpoint, where the attacker would redeem it. Each provider here is its own
 * oidc-provider with its own issuer, and each advertises RFC 9207 `iss`.
 */
describe("mix-up between two providers, against a real Tether process", () => {
	const tether = useSecurityTether({
		name: "security-mixup",
		providers: ["upstream", "other"],
	});

	const honest = () => tether().upstreams.upstream?.upstream;
	const attacker = () => tether().upstreams.other?.upstream;
	/** Authorization-code grants at each provider. */
	const grants = () => ({
		honest: honest()?.counters.tokenRequests.authorization_code,
		attacker: attacker()?.counters.tokenRequests.authorization_code,
	});

	it("uses two distinct issuers (the premise of the attack)", () => {
		expect(honest()?.issuer).not.toBe(attacker()?.issuer);
	});

	it.each([
		[
			"the honest issuer",
			(url: URL) => url.searchParams.set("iss", honest()?.issuer ?? ""),
		],
		// Both providers advertise RFC 9207, so a missing iss is as bad as a wrong one.
		["no iss at all", (url: URL) => url.searchParams.delete("iss")],
	])(
		"refuses the honest provider's code at the attacker's callback, with %s: no token request anywhere",
		async (_name, setIssuer) => {
			const browser = newBrowser(tether());
			// The user meant to use `other`; its authorization endpoint bounced them to the honest one.
			const { callback: otherCallback } = await callbackFor(
				tether(),
				browser,
				"mix-a",
				{ provider: "other" },
			);
			const { callback: honestCallback } = await callbackFor(
				tether(),
				newBrowser(tether()),
				"mix-a",
			);
			const mixed = new URL(otherCallback);
			mixed.searchParams.set(
				"code",
				honestCallback.searchParams.get("code") ?? "",
			);
			setIssuer(mixed);
			const before = grants();
			const answer = await browser.get(mixed.toString());
			expect(answer.status).toBe(302);
			expect(locationOf(answer)?.searchParams.get("error")).toBe(
				"invalid_callback",
			);
			expect(locationOf(answer)?.searchParams.get("code")).toBeNull();
			expect(grants()).toEqual(before);
		},
	);

	it("refuses a whole honest callback (code, state, iss) replayed at the attacker's callback path", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "mix-c");
		const moved = new URL(
			callback.href.replace(
				"/provider/upstream/callback",
				"/provider/other/callback",
			),
		);
		const before = grants();
		const answer = await browser.get(moved.toString());
		expect(answer.status).toBe(400);
		expect(answer.headers.get("location")).toBeNull();
		expect(grants()).toEqual(before);
	});

	it("refuses the attacker's own iss on the honest provider's flow", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "mix-d");
		callback.searchParams.set("iss", attacker()?.issuer ?? "");
		const before = grants();
		const answer = await browser.get(callback.toString());
		expect(locationOf(answer)?.searchParams.get("error")).toBe(
			"invalid_callback",
		);
		expect(grants()).toEqual(before);
	});

	it("sends each provider's code to that provider's token endpoint only", async () => {
		for (const provider of ["upstream", "other"] as const) {
			const browser = newBrowser(tether());
			const { callback } = await callbackFor(tether(), browser, "mix-ok", {
				provider,
			});
			const before = grants();
			const answer = await browser.get(callback.toString());
			expect(locationOf(answer)?.searchParams.get("code")).toMatch(
				/^[\w-]{43}$/,
			);
			const after = grants();
			expect({
				honest: (after.honest ?? 0) - (before.honest ?? 0),
				attacker: (after.attacker ?? 0) - (before.attacker ?? 0),
			}).toEqual(
				provider === "upstream"
					? { honest: 1, attacker: 0 }
					: { honest: 0, attacker: 1 },
			);
		}
	});

	itLeavesNoSecrets(tether);
});

import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	locationOf,
	newBrowser,
	signinUrl,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

const s256 = (verifier: string) =>
	createHash("sha256").update(verifier).digest("base64url");
const newVerifier = () => randomBytes(48).toString("base64url");

/**
 * PKCE on both legs: Tether → provider (S256 on every flow, the verifier sent only to the token
 * endpoint), and app → Tether (`codeChallenge` at sign-in start, `codeVerifier` at the exchange), so
 * a one-time code leaked from the app's URL is worthless without the verifier.
 */
describe("PKCE, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-pkce" });

	it("proves each flow to the provider with the verifier behind that flow's own S256 challenge", async () => {
		const challenges: string[] = [];
		for (const account of ["pkce-a", "pkce-b"]) {
			const browser = newBrowser(tether());
			const { toProvider, callback } = await callbackFor(
				tether(),
				browser,
				account,
			);
			expect(toProvider.searchParams.get("code_challenge_method")).toBe("S256");
			expect(toProvider.searchParams.has("code_verifier")).toBe(false);
			const challenge = toProvider.searchParams.get("code_challenge") ?? "";
			challenges.push(challenge);
			expect((await browser.get(callback.toString())).status).toBe(302);
			const exchange = tether().upstreams.upstream?.exchanges.at(-1);
			const form = new URLSearchParams(exchange?.requestBody);
			expect(form.get("code")).toBe(callback.searchParams.get("code"));
			const verifier = form.get("code_verifier") ?? "";
			expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
			expect(s256(verifier)).toBe(challenge);
		}
		expect(new Set(challenges).size).toBe(2);
	});

	/** Signs in with an app-side challenge and returns the one-time code the app receives. */
	async function codeFor(challenge: string, account: string): Promise<string> {
		const landed = await newBrowser(tether()).follow(
			signinUrl(tether(), { codeChallenge: challenge }),
			{ account },
		);
		const code = landed.searchParams.get("code");
		if (code === null) throw new Error(`no code in ${landed.href}`);
		return code;
	}

	const exchange = (code: string, codeVerifier?: string) =>
		call(tether(), "POST", "/v1/token/exchange", {
			body: codeVerifier === undefined ? { code } : { code, codeVerifier },
		});

	it("refuses the exchange of a code from a flow with a challenge when the verifier is missing, wrong, or the challenge itself", async () => {
		const verifier = newVerifier();
		const challenge = s256(verifier);
		// Sent below as a would-be verifier, but a challenge is public and stored with the code.
		tether().ledger.markPublic(challenge);
		const unknown = await exchange(randomBytes(32).toString("base64url"));
		expect(unknown.status).toBe(400);
		for (const attempt of [
			undefined,
			newVerifier(),
			// A "plain" downgrade: the challenge presented as if it were the verifier.
			challenge,
			`${verifier}x`,
		]) {
			const answer = await exchange(
				await codeFor(challenge, "pkce-app"),
				attempt,
			);
			expect(answer.status).toBe(400);
			expect(answer.body.accessToken).toBeUndefined();
			// Indistinguishable from an unknown code: nothing says the code was real.
			expect(answer.body).toEqual(unknown.body);
		}
	});

	it("burns the code on a wrong verifier: the verifier cannot be guessed one try at a time", async () => {
		const verifier = newVerifier();
		const code = await codeFor(s256(verifier), "pkce-burn");
		expect((await exchange(code, newVerifier())).status).toBe(400);
		expect((await exchange(code, verifier)).status).toBe(400);
	});

	it("exchanges a code with the right verifier, once", async () => {
		const verifier = newVerifier();
		const code = await codeFor(s256(verifier), "pkce-right");
		const first = await exchange(code, verifier);
		expect(first.status).toBe(200);
		expect(first.body.user.connectedAccounts[0].providerAccountId).toBe(
			"pkce-right",
		);
		expect((await exchange(code, verifier)).status).toBe(400);
	});

	it.each([
		["too short", "a".repeat(42)],
		["padded", `${s256("x".repeat(43)).slice(0, 43)}=`],
		["not base64url", "+".repeat(43)],
	])(
		"refuses a %s codeChallenge at sign-in start",
		async (_name, challenge) => {
			const answer = await newBrowser(tether()).get(
				signinUrl(tether(), { codeChallenge: challenge }),
			);
			expect(answer.status).toBe(400);
			expect(locationOf(answer)).toBeNull();
		},
	);

	itLeavesNoSecrets(tether);
});

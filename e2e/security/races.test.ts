import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { tally } from "../support/tally.ts";
import {
	call,
	callbackFor,
	itLeavesNoSecrets,
	newBrowser,
	signIn,
	signinUrl,
} from "./support/flows.ts";
import { useSecurityTether } from "./support/security-tether.ts";

const parallel = 20;
const statuses = (answers: { status: number }[]) =>
	tally(answers, (answer) => String(answer.status));

/**
 * One-time things raced: each is consumed by one atomic database statement, so of 20 parallel
 * attempts exactly one wins, whatever the interleaving. A double spend here would mean two
 * sessions from one code, two readers of one set of provider tokens, or two flows from one link.
 */
describe("one-time endpoints raced, against a real Tether process", () => {
	const tether = useSecurityTether({ name: "security-races" });

	it("gives the guide's provider tokens to exactly one of 20 parallel reads", async () => {
		const session = await signIn(tether(), "race-tokens");
		const read = () =>
			call(tether(), "GET", "/v1/signin/provider/upstream/callback/tokens", {
				token: session.accessToken,
			});
		const answers = await Promise.all(Array.from({ length: parallel }, read));
		expect(statuses(answers)).toEqual({ 200: 1, 404: parallel - 1 });
		for (const answer of answers.filter((a) => a.status === 404))
			expect(answer.body.code).toBe("PROVIDER_SESSION_NOT_FOUND");
		const winner = answers.find((a) => a.status === 200);
		expect(winner?.headers.get("cache-control")).toBe("no-store");
		expect(winner?.body.accessToken).toEqual(expect.any(String));
		expect((await read()).status).toBe(404);
	});

	it("exchanges a one-time code for exactly one session out of 20 parallel tries", async () => {
		const landed = await newBrowser(tether()).follow(signinUrl(tether()), {
			account: "race-code",
		});
		const code = landed.searchParams.get("code");
		const answers = await Promise.all(
			Array.from({ length: parallel }, () =>
				call(tether(), "POST", "/v1/token/exchange", { body: { code } }),
			),
		);
		expect(statuses(answers)).toEqual({ 200: 1, 400: parallel - 1 });
	});

	it("exchanges a PKCE-bound code once too, with half the racers holding a wrong verifier", async () => {
		const verifier = randomBytes(40).toString("base64url");
		const challenge = createHash("sha256").update(verifier).digest("base64url");
		const landed = await newBrowser(tether()).follow(
			signinUrl(tether(), { codeChallenge: challenge }),
			{ account: "race-pkce" },
		);
		const code = landed.searchParams.get("code");
		const answers = await Promise.all(
			Array.from({ length: parallel }, (_, i) =>
				call(tether(), "POST", "/v1/token/exchange", {
					body: {
						code,
						codeVerifier:
							i % 2 === 0 ? verifier : randomBytes(40).toString("base64url"),
					},
				}),
			),
		);
		const wins = answers.filter((a) => a.status === 200);
		expect(wins.length).toBeLessThanOrEqual(1);
		expect(answers.filter((a) => a.status === 400)).toHaveLength(
			parallel - wins.length,
		);
	});

	it("delivers one callback once when 20 copies arrive at the same moment", async () => {
		const browser = newBrowser(tether());
		const { callback } = await callbackFor(tether(), browser, "race-callback");
		const before = tether().upstream.counters.tokenRequests.authorization_code;
		const answers = await Promise.all(
			Array.from({ length: parallel }, () => browser.get(callback.toString())),
		);
		expect(statuses(answers)).toEqual({ 302: 1, 400: parallel - 1 });
		expect(
			tether().upstream.counters.tokenRequests.authorization_code - before,
		).toBe(1);
	});

	it("opens a link intent in exactly one of 20 browsers racing for it", async () => {
		const owner = await signIn(tether(), "race-link-owner");
		const intent = await call(tether(), "POST", "/v1/link/upstream", {
			token: owner.accessToken,
			body: {},
		});
		const answers = await Promise.all(
			Array.from({ length: parallel }, () =>
				newBrowser(tether()).get(intent.body.url),
			),
		);
		expect(statuses(answers)).toEqual({ 302: 1, 400: parallel - 1 });
	});

	it("rotates a session refresh token once under 20 parallel uses, and treats the rest as reuse", async () => {
		const session = await signIn(tether(), "race-refresh");
		const answers = await Promise.all(
			Array.from({ length: parallel }, () =>
				call(tether(), "POST", "/v1/token", {
					body: { refreshToken: session.refreshToken },
				}),
			),
		);
		const wins = answers.filter((a) => a.status === 200);
		expect(wins.length).toBeLessThanOrEqual(1);
		expect(answers.filter((a) => a.status === 401)).toHaveLength(
			parallel - wins.length,
		);
		// The losers presented a rotated token: the family is revoked, the winner's token with it.
		for (const win of wins) {
			const next = await call(tether(), "POST", "/v1/token", {
				body: { refreshToken: win.body.refreshToken },
			});
			expect(next.status).toBe(401);
		}
	});

	it("unlinks an account once when 20 deletes race", async () => {
		const session = await signIn(tether(), "race-unlink");
		const answers = await Promise.all(
			Array.from({ length: parallel }, () =>
				call(
					tether(),
					"DELETE",
					"/v1/connected-accounts/me/upstream/race-unlink",
					{
						token: session.accessToken,
					},
				),
			),
		);
		expect(statuses(answers)).toEqual({ 204: 1, 404: parallel - 1 });
	});

	itLeavesNoSecrets(tether);
});

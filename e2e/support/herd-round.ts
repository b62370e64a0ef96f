import type { TokenAnswer } from "./access-token.ts";

export interface RoundVerdict {
	/** Distinct access tokens served, oldest first, with how many answers carried each. */
	tokens: { expiresAt: number; answers: number }[];
	/** When each refresh reached the upstream, in ms after the round began. */
	refreshSentMs: number[];
	/**
	 * Refreshes sent while the token before them was still fresh (outside its refresh margin):
	 * a broken single flight. Zero is the only acceptable value.
	 */
	refreshesWhileFresh: number;
	/** True when answers were still arriving after the round's first token had gone stale. */
	overran: boolean;
}

/**
 * Judges one herd by its timeline. With a 2-second token and a 1-second margin, a token is fresh
 * for one second only; a herd that the machine cannot answer within that second legitimately
 * needs a second refresh (SPEC.md: "fresh means not expiring within the refresh margin"). What
 * single flight forbids is a refresh while a fresh token exists, and that is what this counts —
 * so a round that fits in the window must show exactly one refresh.
 */
export function judgeRound(input: {
	answers: readonly TokenAnswer[];
	/** Epoch ms at which the upstream received each refresh of this round. */
	refreshesSentAt: readonly number[];
	roundStartedAt: number;
	roundEndedAt: number;
	marginMs: number;
}): RoundVerdict {
	const byToken = new Map<string, { expiresAt: number; answers: number }>();
	for (const answer of input.answers) {
		if (answer.accessToken === undefined || answer.expiresAt === undefined)
			continue;
		const seen = byToken.get(answer.accessToken);
		if (seen === undefined)
			byToken.set(answer.accessToken, {
				expiresAt: answer.expiresAt,
				answers: 1,
			});
		else seen.answers += 1;
	}
	const tokens = [...byToken.values()].sort(
		(a, b) => a.expiresAt - b.expiresAt,
	);
	const sent = [...input.refreshesSentAt].sort((a, b) => a - b);
	let refreshesWhileFresh = 0;
	for (let i = 1; i < sent.length; i++) {
		const previous = tokens[i - 1];
		const at = sent[i];
		// Without a served token to pin it to, a second refresh cannot be shown to be needed.
		if (
			previous === undefined ||
			at === undefined ||
			at < previous.expiresAt - input.marginMs
		)
			refreshesWhileFresh += 1;
	}
	const first = tokens[0];
	return {
		tokens,
		refreshSentMs: sent.map((at) => at - input.roundStartedAt),
		refreshesWhileFresh,
		overran:
			first !== undefined &&
			input.roundEndedAt > first.expiresAt - input.marginMs,
	};
}

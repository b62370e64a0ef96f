import { hashToken, randomToken } from "../auth/random.ts";
import { TetherError } from "../errors.ts";
import type { LinkIntentRow } from "../store/index.ts";
import type { VaultDeps } from "./deps.ts";

/** A link-intent URL is for opening right away in the user's browser. */
const linkIntentTtlMs = 5 * 60 * 1000;

/**
 * A one-time, short-lived URL that starts a link flow for `userId`. The URL carries only the
 * intent's random handle (stored hashed), never a session token.
 */
export async function createLinkIntent(
	deps: VaultDeps,
	input: {
		userId: string;
		provider: string;
		scopes: string[];
		redirectTo: string;
		providerAccountId: string | null;
	},
): Promise<string> {
	deps.providers.require(input.provider);
	const handle = randomToken();
	const now = deps.now();
	await deps.store.putLinkIntent({
		idHash: hashToken(handle),
		userId: input.userId,
		providerConfigId: input.provider,
		scopes: input.scopes,
		redirectTo: input.redirectTo,
		providerAccountId: input.providerAccountId,
		expiresAt: now + linkIntentTtlMs,
		createdAt: now,
	});
	const url = new URL(
		`${deps.config.baseUrl}/v1/link/${encodeURIComponent(input.provider)}/start`,
	);
	url.searchParams.set("intent", handle);
	return url.toString();
}

export async function consumeLinkIntent(
	deps: VaultDeps,
	provider: string,
	handle: string,
): Promise<LinkIntentRow> {
	const intent =
		handle.length > 128
			? null
			: await deps.store.consumeLinkIntent(hashToken(handle), deps.now());
	if (intent === null || intent.providerConfigId !== provider) {
		throw new TetherError(
			"INVALID_REQUEST",
			"This link is invalid or has expired; start linking again.",
			{
				details: { reason: "link_intent_unknown" },
			},
		);
	}
	return intent;
}

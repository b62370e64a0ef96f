import { revokeToken, sendRequest } from "@tether/oauth";
import { decrypt } from "../crypto/index.ts";
import type { RevocationRow } from "../store/index.ts";
import { startBackgroundLoop } from "./background-loop.ts";
import type { VaultDeps } from "./deps.ts";

const pollMs = 2_000;
const batchSize = 20;
/** A claimed item is someone's for this long; a process that dies mid-call frees it after. */
const claimMs = 60_000;
/** After this many tries (5 to 10 hours with the backoff below) the revocation is given up. */
const maxAttempts = 20;

/** Exponential backoff with jitter: 5 s, 10 s, 20 s … capped at an hour. */
function backoffMs(attempts: number): number {
	const base = Math.min(60 * 60 * 1000, 5_000 * 2 ** Math.max(0, attempts - 1));
	return Math.floor(base / 2 + Math.random() * (base / 2));
}

type Outcome = "revoked" | "retry" | "drop";

async function revokeOne(
	deps: VaultDeps,
	row: RevocationRow,
): Promise<{ outcome: Outcome; error?: string }> {
	const provider = deps.providers.get(row.providerConfigId);
	if (provider === undefined)
		return { outcome: "drop", error: "provider_not_configured" };
	const token = decrypt(deps.ring, row.tokenEnc, {
		table: "revocations",
		rowId: row.id,
		field: "token_enc",
	});
	const client = provider.credentials();
	const method = provider.entry.revocation;
	if (method.method === "none") return { outcome: "drop" };
	if (method.method === "custom") {
		const request = method.build({
			token,
			clientId: client.clientId,
			...(client.clientSecret === undefined
				? {}
				: { clientSecret: client.clientSecret }),
		});
		const outcome = await sendRequest(request, {
			fetch: deps.fetch,
			timeoutMs: provider.timeoutMs,
		});
		if (!outcome.ok) return { outcome: "retry", error: outcome.reason };
		if (method.okStatuses.includes(outcome.response.status))
			return { outcome: "revoked" };
		const status = outcome.response.status;
		return {
			outcome: status >= 500 || status === 429 ? "retry" : "drop",
			error: `status_${status}`,
		};
	}
	const endpoints = await provider.endpoints();
	if (endpoints.revocationEndpoint === undefined)
		return { outcome: "drop", error: "no_revocation_endpoint" };
	const result = await revokeToken(
		{ endpoints, client, token, tokenTypeHint: row.tokenTypeHint },
		{ fetch: deps.fetch, timeoutMs: provider.timeoutMs },
	);
	if (result.ok) return { outcome: "revoked" };
	// RFC 7009 §2.2: an invalid or unknown token is answered 200, so a refusal is about us or an
	// outage; only outages are worth another try.
	return {
		outcome: result.failure.kind === "transient" ? "retry" : "drop",
		error: result.failure.error,
	};
}

/**
 * Works the revocation queue that unlinking fills: claims due items through the database (so any
 * number of processes share the work without a leader), calls the provider, and reschedules
 * failures with backoff. Tokens were already deleted from the account; this only tells the provider.
 */
export function createRevocationWorker(
	deps: VaultDeps,
	options: { background: boolean },
) {
	async function runOnce(): Promise<number> {
		const now = deps.now();
		const rows = await deps.store.claimRevocations({
			now,
			limit: batchSize,
			claimUntil: now + claimMs,
		});
		let done = 0;
		for (const row of rows) {
			let result: { outcome: Outcome; error?: string };
			try {
				result = await revokeOne(deps, row);
			} catch (error) {
				result = {
					outcome: "retry",
					error: error instanceof Error ? error.name : "error",
				};
			}
			const log = {
				revocation: row.id,
				provider: row.providerConfigId,
				attempts: row.attempts,
				error: result.error,
			};
			const retry = result.outcome === "retry" && row.attempts < maxAttempts;
			deps.audit?.record({
				kind:
					result.outcome === "revoked"
						? "revocation.done"
						: "revocation.failed",
				provider: row.providerConfigId,
				reason:
					result.outcome === "revoked" ? null : retry ? "retry" : "dropped",
				detail: {
					tokenTypeHint: row.tokenTypeHint,
					attempts: row.attempts,
					...(result.error === undefined ? {} : { error: result.error }),
				},
			});
			if (retry) {
				await deps.store.rescheduleRevocation(
					row.id,
					deps.now() + backoffMs(row.attempts),
					result.error ?? "retry",
				);
				deps.logger.warn(log, "revocation failed; will retry");
				continue;
			}
			await deps.store.completeRevocation(row.id);
			done++;
			if (result.outcome === "revoked")
				deps.logger.info(log, "token revoked at provider");
			else deps.logger.warn(log, "revocation dropped");
		}
		return done;
	}

	return startBackgroundLoop({
		name: "revocation",
		enabled: options.background,
		delayMs: () => pollMs + Math.random() * 500,
		pass: runOnce,
		logger: deps.logger,
	});
}

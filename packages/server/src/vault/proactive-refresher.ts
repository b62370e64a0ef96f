import { TetherError } from "../errors.ts";
import { startBackgroundLoop } from "./background-loop.ts";
import type { VaultDeps } from "./deps.ts";
import type { RefreshEngine } from "./refresh-engine.ts";

/**
 * Refreshes tokens shortly before they expire, for accounts used recently, so callers rarely wait
 * on a provider. Every process runs one; the database hands each account to one of them (the same
 * lease the refresh engine takes), so there is no leader to elect and no double refresh.
 */
export function createProactiveRefresher(
	deps: VaultDeps & { refresh: RefreshEngine },
	options: { background: boolean },
) {
	const settings = deps.config.proactiveRefresh;
	const enabled = options.background && settings.enabled;
	async function runOnce(): Promise<number> {
		const now = deps.now();
		const margin = deps.config.refreshMarginSeconds * 1000;
		const rows = await deps.store.claimExpiring({
			expiringBefore: now + margin + settings.lookaheadSeconds * 1000,
			usedAfter: now - settings.usedWithinSeconds * 1000,
			limit: settings.batchSize,
			owner: deps.refresh.owner,
			now,
			leaseExpiresAt: now + deps.refresh.leaseMs,
		});
		let refreshed = 0;
		for (const row of rows) {
			try {
				await deps.refresh.fresh(row, { force: true });
				refreshed++;
			} catch (error) {
				// Reauth and outages are recorded on the account by the engine; nothing more to do here.
				if (!(error instanceof TetherError)) {
					deps.logger.error(
						{
							account: row.id,
							err: error instanceof Error ? error.message : String(error),
						},
						"proactive refresh failed",
					);
				}
			}
		}
		return refreshed;
	}

	return startBackgroundLoop({
		name: "proactive refresh",
		enabled,
		delayMs: () =>
			// ±20 % jitter keeps processes started together from polling in lockstep.
			settings.intervalSeconds * 1000 * (0.8 + Math.random() * 0.4),
		pass: runOnce,
		logger: deps.logger,
	});
}

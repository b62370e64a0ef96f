import type { Logger } from "../logger.ts";
import type { AccountStatus, Store } from "../store/index.ts";
import type { AuditEntry } from "../vault/audit.ts";
import { version } from "../version.ts";
import { createRegistry } from "./registry.ts";

/** Account counts come from the store at most this often (a scrape in between sees the last ones). */
const accountCountsEveryMs = 30_000;

const durationBuckets = [
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const methods = new Set([
	"GET",
	"HEAD",
	"POST",
	"PUT",
	"PATCH",
	"DELETE",
	"OPTIONS",
]);
const statuses: readonly AccountStatus[] = ["active", "reauth_required"];

export interface Metrics {
	/** One finished HTTP request; `route` is the matched route's template, never the raw path. */
	observeRequest(input: {
		method: string;
		route: string;
		status: number;
		seconds: number;
	}): void;
	/** Everything the vault records passes here too (synchronously, from the audit recorder). */
	observeAudit(entry: AuditEntry): void;
	/** Until when this process pauses refreshes for `provider` (its client was rejected), or null. */
	circuitOpenUntil(provider: string): number | null;
	/** The Prometheus text exposition. */
	render(): Promise<string>;
}

/**
 * Tether's metrics. Labels are route templates, configured provider ids (anything else is
 * `other`) and outcome names: never a user id, account id or token.
 */
export function createMetrics(deps: {
	store: Store;
	/** The configured provider ids (label values are limited to these). */
	providerIds: readonly string[];
	now: () => number;
	logger: Logger;
	/** Audit entries lost so far (the audit recorder's count). */
	auditDropped?: () => number;
	/** The access-token cache's counts (vault/hot-tokens.ts). */
	hotTokens?: () => { hits: number; misses: number; entries: number };
}): Metrics {
	const known = new Set(deps.providerIds);
	const provider = (id: string | null | undefined) =>
		id === null || id === undefined ? "none" : known.has(id) ? id : "other";

	const registry = createRegistry();
	const requests = registry.counter(
		"tether_http_requests_total",
		"HTTP requests by method, route template and status.",
		["method", "route", "status"],
	);
	const duration = registry.histogram(
		"tether_http_request_duration_seconds",
		"HTTP request duration by method and route template.",
		["method", "route"],
		durationBuckets,
	);
	const refreshes = registry.counter(
		"tether_refreshes_total",
		"Provider token refreshes by provider and outcome (success, or the failure kind: transient, permanent, misconfigured).",
		["provider", "outcome"],
	);
	const reads = registry.counter(
		"tether_access_token_reads_total",
		"Provider tokens handed out, by provider and route (access_token, provider_session, provider_refresh).",
		["provider", "via"],
	);
	const accountChanges = registry.counter(
		"tether_account_changes_total",
		"Connected-account changes by provider: linked (incl. sign-ins that stored tokens), unlinked, reauth_required.",
		["provider", "change"],
	);
	const revocations = registry.counter(
		"tether_revocations_total",
		"Token revocations at providers by outcome: revoked, retry, dropped.",
		["provider", "outcome"],
	);
	const adminActions = registry.counter(
		"tether_admin_actions_total",
		"Admin API actions: refresh_forced, webhook_replayed.",
		["action"],
	);
	const circuit = registry.gauge(
		"tether_provider_circuit_open",
		"1 while this process pauses refreshes for a provider that rejected Tether's client credentials.",
		["provider"],
	);
	const accounts = registry.gauge(
		"tether_connected_accounts",
		`Connected accounts by provider and status (from the database, at most ${accountCountsEveryMs / 1000} s old).`,
		["provider", "status"],
	);
	const auditDropped = registry.gauge(
		"tether_audit_entries_dropped",
		"Audit entries this process lost because the database kept refusing them.",
		[],
	);
	const tokenSources = registry.counter(
		"tether_access_token_cache_total",
		"Access tokens handed out by this process, by where they came from: hit (memory) or miss (the database, maybe a refresh).",
		["result"],
	);
	const tokenEntries = registry.gauge(
		"tether_access_token_cache_entries",
		"Accounts whose access token this process holds in memory.",
		[],
	);
	const reportedTokenSources = { hits: 0, misses: 0 };
	const memory = registry.gauge(
		"process_memory_bytes",
		"Process memory by kind (rss, heap_total, heap_used, external, array_buffers).",
		["kind"],
	);
	const started = registry.gauge(
		"process_start_time_seconds",
		"Start time of the process since the Unix epoch, in seconds.",
		[],
	);
	const build = registry.gauge(
		"tether_build_info",
		"Always 1; the version label says which Tether this is.",
		["version"],
	);
	started.set({}, Math.round(performance.timeOrigin / 1000));
	build.set({ version }, 1);

	// Bound series per label combination: the request path builds one short string, not label objects.
	const requestSeries = new Map<
		string,
		{ count: { inc(): void }; time: { observe(seconds: number): void } }
	>();
	const readSeries = new Map<string, { inc(by?: number): void }>();

	const circuitUntil = new Map<string, number>();
	let countsAt = Number.NEGATIVE_INFINITY;
	let counting: Promise<void> | undefined;

	async function refreshAccountCounts(): Promise<void> {
		const now = deps.now();
		if (now - countsAt < accountCountsEveryMs) return;
		counting ??= (async () => {
			try {
				const rows = await deps.store.countAccounts();
				accounts.clear();
				// Every configured provider shows, with zeros, so a dashboard never sees a gap.
				for (const id of known)
					for (const status of statuses)
						accounts.set({ provider: id, status }, 0);
				const sums = new Map<string, number>();
				for (const row of rows) {
					const key = `${provider(row.providerConfigId)}\u0000${row.status}`;
					sums.set(key, (sums.get(key) ?? 0) + row.count);
				}
				for (const [key, count] of sums) {
					const [id = "", status = ""] = key.split("\u0000");
					accounts.set({ provider: id, status }, count);
				}
			} catch (error) {
				deps.logger.warn(
					{ err: error instanceof Error ? error.message : String(error) },
					"metrics: counting accounts failed",
				);
			} finally {
				// A failure waits the same interval: a struggling database is not asked again at once.
				countsAt = deps.now();
			}
		})().finally(() => {
			counting = undefined;
		});
		await counting;
	}

	return {
		observeRequest({ method, route, status, seconds }) {
			const key = `${method} ${status} ${route}`;
			let bound = requestSeries.get(key);
			if (bound === undefined) {
				const m = methods.has(method) ? method : "OTHER";
				bound = {
					count: requests.series({ method: m, route, status: String(status) }),
					time: duration.series({ method: m, route }),
				};
				// Methods outside the list share "OTHER"; their raw names get no cache slot.
				if (m === method) requestSeries.set(key, bound);
			}
			bound.count.inc();
			bound.time.observe(seconds);
		},
		observeAudit(entry) {
			const p = provider(entry.provider);
			switch (entry.kind) {
				case "token.read": {
					const via = entry.reason ?? "access_token";
					const key = `${p} ${via}`;
					let bound = readSeries.get(key);
					if (bound === undefined) {
						bound = reads.series({ provider: p, via });
						readSeries.set(key, bound);
					}
					bound.inc();
					return;
				}
				case "token.refresh":
					refreshes.inc({ provider: p, outcome: "success" });
					return;
				case "token.refresh_failed": {
					refreshes.inc({ provider: p, outcome: entry.reason ?? "transient" });
					const until = entry.detail?.pausedUntil;
					if (typeof until === "number" && entry.provider)
						circuitUntil.set(entry.provider, until);
					return;
				}
				case "account.linked":
					accountChanges.inc({ provider: p, change: "linked" });
					return;
				case "account.unlinked":
					accountChanges.inc({ provider: p, change: "unlinked" });
					return;
				case "account.reauth_required":
					accountChanges.inc({ provider: p, change: "reauth_required" });
					return;
				case "revocation.done":
					revocations.inc({ provider: p, outcome: "revoked" });
					return;
				case "revocation.failed":
					revocations.inc({ provider: p, outcome: entry.reason ?? "retry" });
					return;
				case "account.refresh_forced":
					adminActions.inc({ action: "refresh_forced" });
					return;
				case "webhook.replayed":
					adminActions.inc({ action: "webhook_replayed" });
					return;
			}
		},
		circuitOpenUntil(id) {
			const until = circuitUntil.get(id);
			return until !== undefined && until > deps.now() ? until : null;
		},
		async render() {
			await refreshAccountCounts();
			const now = deps.now();
			for (const id of known)
				circuit.set(
					{ provider: id },
					(circuitUntil.get(id) ?? 0) > now ? 1 : 0,
				);
			auditDropped.set({}, deps.auditDropped?.() ?? 0);
			const cache = deps.hotTokens?.() ?? { hits: 0, misses: 0, entries: 0 };
			tokenSources
				.series({ result: "hit" })
				.inc(cache.hits - reportedTokenSources.hits);
			tokenSources
				.series({ result: "miss" })
				.inc(cache.misses - reportedTokenSources.misses);
			reportedTokenSources.hits = cache.hits;
			reportedTokenSources.misses = cache.misses;
			tokenEntries.set({}, cache.entries);
			const usage = process.memoryUsage();
			memory.set({ kind: "rss" }, usage.rss);
			memory.set({ kind: "heap_total" }, usage.heapTotal);
			memory.set({ kind: "heap_used" }, usage.heapUsed);
			memory.set({ kind: "external" }, usage.external);
			memory.set({ kind: "array_buffers" }, usage.arrayBuffers);
			return registry.render();
		},
	};
}

import { describe, expect, it } from "vitest";
import { postgresSkipReason, postgresUrl } from "../support/postgres.ts";
import {
	formatReport,
	restartLocalPostgres,
	runChaos,
	saveReport,
} from "./chaos-run.ts";

/**
 * The full chaos run (`npm run e2e:chaos`; issue 7): 3 Tether processes on PostgreSQL, 200
 * accounts with 2-second tokens at a strictly rotating upstream, several minutes of random load
 * with provider faults, SIGKILLs and restarts of Tether processes, and restarts of the local
 * PostgreSQL cluster. It restarts the shared cluster, so it never runs inside `npm test`.
 *
 * CHAOS_DURATION_SECONDS (default 240), CHAOS_ACCOUNTS (200), CHAOS_CONCURRENCY (24),
 * CHAOS_KILLS (5), CHAOS_PG_RESTARTS (2), CHAOS_FAULT_RATE (0.05), CHAOS_SEED,
 * CHAOS_PG_RESTART_COMMAND (default `pg_ctlcluster --skip-systemctl-redirect <version> main restart`).
 */

const env = (name: string, fallback: number) => {
	const value = process.env[name];
	return value === undefined || value === "" ? fallback : Number(value);
};
const durationMs = env("CHAOS_DURATION_SECONDS", 240) * 1000;

describe.skipIf(postgresUrl === undefined)(
	`chaos, full run${postgresSkipReason}`,
	() => {
		it(
			"every account survives provider faults, SIGKILLs and PostgreSQL restarts",
			async () => {
				const report = await runChaos({
					label: "full",
					durationMs,
					accounts: env("CHAOS_ACCOUNTS", 200),
					concurrency: env("CHAOS_CONCURRENCY", 24),
					faultRate: env("CHAOS_FAULT_RATE", 0.05),
					kills: env("CHAOS_KILLS", 5),
					outages: Math.max(1, Math.round(durationMs / 80_000)),
					pgRestarts: env("CHAOS_PG_RESTARTS", 2),
					restartPostgres: restartLocalPostgres,
					providerTimeoutSeconds: 3,
					proactiveRefresh: true,
					databaseUrl: postgresUrl ?? "",
				});
				const path = saveReport(report);
				console.log(`${formatReport(report)}\nreport: ${path}`);
				expect(report.failures).toEqual([]);
				expect(report.kills.length).toBeGreaterThan(0);
			},
			durationMs + 600_000,
		);
	},
);

import { describe, expect, it } from "vitest";
import { postgresSkipReason, postgresUrl } from "../support/postgres.ts";
import { formatReport, runChaos, saveReport } from "./chaos-run.ts";

/**
 * The chaos run's fast variant, inside `npm test`: 40 accounts for 35 seconds, provider faults
 * and one outage, one SIGKILL and restart of a Tether process. It does not restart PostgreSQL:
 * the cluster is shared with the other PostgreSQL suites running in parallel vitest workers, and
 * a restart would break them. The PostgreSQL restarts are in the full run, `npm run e2e:chaos`.
 */

describe.skipIf(postgresUrl === undefined)(
	`chaos, fast variant (no PostgreSQL restart)${postgresSkipReason}`,
	() => {
		it("every account survives provider faults and a SIGKILLed process", async () => {
			const report = await runChaos({
				label: "fast",
				durationMs: 35_000,
				accounts: 40,
				concurrency: 8,
				faultRate: 0.08,
				kills: 1,
				outages: 1,
				pgRestarts: 0,
				providerTimeoutSeconds: 3,
				proactiveRefresh: true,
				databaseUrl: postgresUrl ?? "",
			});
			const path = saveReport(report);
			console.log(`${formatReport(report)}\nreport: ${path}`);
			expect(report.failures).toEqual([]);
			expect(report.kills).toHaveLength(1);
			expect(
				report.injected.unavailable +
					report.injected.hang +
					report.injected.reset,
			).toBeGreaterThan(0);
		}, 180_000);
	},
);

/**
 * Turns the latest results (bench/results/<name>-latest.json) into the plots in docs/benchmarks/
 * and the Markdown tables of docs/benchmarks.md (printed, and written to
 * bench/results/tables.md to paste from).
 *
 *   npx tsx bench/report.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchDir, resultsDir } from "./lib/common.ts";
import {
	type Bar,
	barChart,
	lineChart,
	palette,
	type Series,
} from "./lib/svg.ts";

const docsDir = join(benchDir, "..", "docs", "benchmarks");
mkdirSync(docsDir, { recursive: true });

function latest<T>(name: string): T | undefined {
	const file = join(resultsDir, `${name}-latest.json`);
	return existsSync(file)
		? (JSON.parse(readFileSync(file, "utf8")) as T)
		: undefined;
}

const out: string[] = [];
const fmt = (value: number) => value.toLocaleString("en-US");

interface AccessTokenResults {
	date: string;
	settings: { rounds: number; durationSeconds: number; connections: number };
	summary: {
		target: string;
		kind: string;
		medianRps: number;
		minRps: number;
		maxRps: number;
		ratioToBare: number;
		pairedRatioMedian: number;
		p50Ms: number;
		p99Ms: number;
		serverCpuUsPerRequest: number;
		failures: number;
	}[];
	samples: Record<string, { loadAverage: number }[]>;
}

const access = latest<AccessTokenResults>("access-token");
if (access !== undefined) {
	const peer = access.summary.find((s) => s.kind === "peer");
	const loads = Object.values(access.samples).flatMap((list) =>
		list.map((s) => s.loadAverage),
	);
	out.push(
		`### Access-token path (${access.date}, ${access.settings.rounds} rounds × ${access.settings.durationSeconds} s, ${access.settings.connections} connections, load average ${Math.min(...loads)}–${Math.max(...loads)})`,
		"",
		"| target | req/s (median) | min–max | × bare | × Better Auth | p50 ms | p99 ms | server CPU µs/req | failed |",
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
		...access.summary.map(
			(s) =>
				`| ${s.target} | ${fmt(s.medianRps)} | ${fmt(s.minRps)}–${fmt(s.maxRps)} | ${s.ratioToBare} | ${peer === undefined ? "" : (s.medianRps / peer.medianRps).toFixed(1)} | ${s.p50Ms} | ${s.p99Ms} | ${s.serverCpuUsPerRequest} | ${s.failures} |`,
		),
		"",
	);
	const colorOf = (kind: string) =>
		kind === "bare"
			? "#6b7280"
			: kind === "framework"
				? "#9ca3af"
				: kind === "peer"
					? palette[1]
					: palette[0];
	const bars: Bar[] = access.summary.map((s) => ({
		label: s.target,
		value: s.medianRps,
		note: `${fmt(Math.round(s.medianRps))} (${s.ratioToBare}× bare)`,
		color: colorOf(s.kind),
	}));
	writeFileSync(
		join(docsDir, "access-token.svg"),
		barChart({
			title: "A fresh provider token over HTTP: requests per second",
			subtitle: `median of ${access.settings.rounds} alternating rounds, ${access.settings.connections} connections, 2 cores shared with the load generator`,
			unit: "requests per second",
			bars,
			min: 100,
		}),
	);
}

interface HerdResults {
	date: string;
	settings: { requests: number; rounds: number };
	loadAverage?: number[];
	summary: {
		system: string;
		database: string;
		processes: number;
		refreshesPerRound: number[];
		invalidGrantsPerRound: number[];
		failedPerRound: number[];
		distinctTokensPerRound: number[];
		liveTokensPerRound: number[];
		grantsRevoked: number;
		accountsLost: number;
		medianWallMs: number;
	}[];
}

const herd = latest<HerdResults>("refresh-herd");
if (herd !== undefined) {
	const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
	out.push(
		`### Refresh herd (${herd.date}, ${fmt(herd.settings.requests)} concurrent requests per round on an expired token, ${herd.settings.rounds} rounds per row${herd.loadAverage === undefined ? "" : `, load average at the end ${herd.loadAverage.join(" ")}`})`,
		"",
		"| system | database | processes | refreshes reaching the provider, per round | invalid_grant (all rounds) | failed requests, per round | distinct tokens handed out | of them live upstream | grants revoked | accounts lost | median wall ms |",
		"| --- | --- | ---: | --- | ---: | --- | --- | --- | ---: | ---: | ---: |",
		...herd.summary.map(
			(s) =>
				`| ${s.system} | ${s.database} | ${s.processes} | ${s.refreshesPerRound.join(", ")} | ${sum(s.invalidGrantsPerRound)} | ${s.failedPerRound.join(", ")} | ${s.distinctTokensPerRound.join(", ")} | ${s.liveTokensPerRound.join(", ")} | ${s.grantsRevoked} | ${s.accountsLost} of ${s.refreshesPerRound.length} | ${s.medianWallMs} |`,
		),
		"",
	);
	const bars: Bar[] = herd.summary.flatMap((s) => {
		const refreshes = sum(s.refreshesPerRound) / s.refreshesPerRound.length;
		const failed = sum(s.failedPerRound) / s.failedPerRound.length;
		const label = `${s.system}, ${s.database}, ${s.processes} proc.`;
		const color = s.system === "tether" ? palette[0] : palette[1];
		return [
			{
				label: `${label}: refreshes`,
				value: Math.max(refreshes, 0.5),
				note: `${refreshes} refresh(es)`,
				color,
			},
			{
				label: `${label}: failed`,
				value: Math.max(failed, 0.5),
				note: `${failed} failed`,
				color: s.system === "tether" ? "#93c5fd" : "#fca5a5",
			},
		];
	});
	writeFileSync(
		join(docsDir, "refresh-herd.svg"),
		barChart({
			title: `${fmt(herd.settings.requests)} concurrent requests on one expired token`,
			subtitle:
				"mean per round: refreshes reaching the provider, and failed requests (0 drawn at the axis)",
			unit: "count",
			bars,
			min: 0.5,
		}),
	);
}

interface ScaleResults {
	date: string;
	loadAverageAtEnd: number[];
	settings: {
		connections: number[];
		rounds: number;
		durationSeconds: number;
		accessTokenCacheEntries?: number | string;
	};
	summary: {
		database: string;
		kind: string;
		size: number;
		seedSeconds: number;
		seedAccountsPerSecond: number;
		databaseMiB: number;
		serverRssMiB: number;
		serverPeakRssMiB: number;
		byConnections: Record<
			string,
			{ medianRps: number; p50Ms: number; p99Ms: number; failed: number }
		>;
		refresher: {
			refreshesPerSecond: number | null;
			refreshed: number;
			due: number;
		} | null;
	}[];
	ratios: {
		kind: string;
		connections: number;
		from: number;
		to: number;
		p50Ratio: number | null;
		p99Ratio: number | null;
		rpsRatio: number | null;
	}[];
}

const scale = latest<ScaleResults>("scale");
if (scale !== undefined) {
	const levels = scale.settings.connections;
	out.push(
		`### Scale (${scale.date}, ${scale.settings.rounds} alternating rounds × ${scale.settings.durationSeconds} s, a random account per request, access-token cache ${scale.settings.accessTokenCacheEntries ?? "default"}, load average at the end ${scale.loadAverageAtEnd.join(" ")})`,
		"",
		`| database | accounts | seeding s (accounts/s) | database MiB | server RSS MiB (peak) | ${levels.map((c) => `c=${c} p50 / p99 ms | c=${c} req/s`).join(" | ")} | refresher refreshes/s |`,
		`| --- | ---: | ---: | ---: | ---: | ${levels.map(() => "---: | ---:").join(" | ")} | ---: |`,
		...scale.summary.map(
			(s) =>
				`| ${s.kind} | ${fmt(s.size)} | ${s.seedSeconds} (${fmt(s.seedAccountsPerSecond)}) | ${s.databaseMiB} | ${s.serverRssMiB} (${s.serverPeakRssMiB}) | ${levels
					.map((c) => {
						const m = s.byConnections[c];
						return m === undefined
							? " | "
							: `${m.p50Ms} / ${m.p99Ms} | ${fmt(m.medianRps)}`;
					})
					.join(
						" | ",
					)} | ${s.refresher?.refreshesPerSecond ?? "—"} (${s.refresher?.refreshed ?? 0}/${s.refresher?.due ?? 0}) |`,
		),
		"",
		"| database | connections | accounts | p50 ratio | p99 ratio | req/s ratio |",
		"| --- | ---: | --- | ---: | ---: | ---: |",
		...scale.ratios.map(
			(r) =>
				`| ${r.kind} | ${r.connections} | ${fmt(r.to)} vs ${fmt(r.from)} | ${r.p50Ratio} | ${r.p99Ratio} | ${r.rpsRatio} |`,
		),
		"",
	);
	for (const connections of levels) {
		const series: Series[] = scale.settings.connections.length
			? ["sqlite", "postgres"].flatMap((kind, k) => {
					const own = scale.summary.filter((s) => s.kind === kind);
					if (own.length === 0) return [];
					const point = (pick: "p50Ms" | "p99Ms") =>
						own.map((s) => ({
							x: s.size,
							y: s.byConnections[connections]?.[pick] ?? 0,
						}));
					return [
						{ label: `${kind} p50`, points: point("p50Ms"), color: palette[k] },
						{
							label: `${kind} p99`,
							points: point("p99Ms"),
							color: palette[k],
							dashed: true,
						},
					];
				})
			: [];
		writeFileSync(
			join(docsDir, `scale-latency-c${connections}.svg`),
			lineChart({
				title: `Access-token latency against accounts stored (${connections} connection${connections === 1 ? "" : "s"})`,
				subtitle: "a random account per request; median of alternating rounds",
				xUnit: "connected accounts",
				yUnit: "milliseconds",
				series,
			}),
		);
	}
}

const text = `${out.join("\n")}\n`;
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, "tables.md"), text);
console.log(text);
console.log(`plots in ${docsDir}`);

import type { AdminProvider, AdminStats } from "@tether/api";
import { useState } from "react";
import { count, dateTime, percent, relativeTime } from "./format.ts";
import { RefreshChart } from "./refresh-chart.tsx";
import { useAdmin } from "./use-admin.ts";

const ranges = {
	hour: { label: "Last hour", seconds: 3600, bucket: 60 },
	day: { label: "Last 24 hours", seconds: 86400, bucket: 3600 },
} as const;
type Range = keyof typeof ranges;

function Failures({
	failures,
}: {
	failures: AdminProvider["lastDay"]["failures"];
}) {
	return (
		<>
			{(["permanent", "transient", "misconfigured"] as const).map((kind) => (
				<div key={kind}>
					{kind}: <strong>{failures[kind]}</strong>
				</div>
			))}
		</>
	);
}

function ProvidersTable({ providers }: { providers: AdminProvider[] }) {
	return (
		<div className="table-wrap">
			<table>
				<caption className="visually-hidden">Configured providers</caption>
				<thead>
					<tr>
						<th scope="col">Provider</th>
						<th scope="col">Accounts</th>
						<th scope="col">Success (1 h)</th>
						<th scope="col">Success (24 h)</th>
						<th scope="col">Failures (24 h)</th>
						<th scope="col">Circuit</th>
						<th scope="col">Last failure</th>
					</tr>
				</thead>
				<tbody>
					{providers.map((p) => (
						<tr key={p.id}>
							<th scope="row">
								{p.displayName} <code>{p.id}</code>
								<div className="muted">{p.type}</div>
							</th>
							<td>
								{p.accounts.active} active
								{p.accounts.reauthRequired > 0 && (
									<div>
										<span className="badge warn">
											{p.accounts.reauthRequired} need reconnecting
										</span>
									</div>
								)}
							</td>
							<td>
								{percent(p.lastHour.successRate)}
								<div className="muted">
									{count(p.lastHour.refreshes, "refresh", "refreshes")}
								</div>
							</td>
							<td>
								{percent(p.lastDay.successRate)}
								<div className="muted">
									{count(p.lastDay.refreshes, "refresh", "refreshes")}
								</div>
							</td>
							<td>
								<Failures failures={p.lastDay.failures} />
							</td>
							<td>
								{p.circuit.open ? (
									<span className="badge bad">
										open until {dateTime(p.circuit.openUntil)}
									</span>
								) : (
									<span className="badge ok">closed</span>
								)}
							</td>
							<td>
								{p.lastFailure === null ? (
									"—"
								) : (
									<>
										{relativeTime(p.lastFailure.at)}:{" "}
										{p.lastFailure.kind ?? "?"}{" "}
										<code>{p.lastFailure.error ?? ""}</code>
										{p.lastFailure.status !== null &&
											` (HTTP ${p.lastFailure.status})`}
									</>
								)}
							</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

export function ProvidersView() {
	const [range, setRange] = useState<Range>("hour");
	const providers = useAdmin<{ items: AdminProvider[] }>("/v1/admin/providers");
	const { seconds, bucket } = ranges[range];
	// Fixed until Reload, so the path (and the request) changes only when asked to.
	const [until, setUntil] = useState(() => Date.now());
	const reload = () => {
		setUntil(Date.now());
		providers.reload();
	};
	const since = new Date(until - seconds * 1000).toISOString();
	const stats = useAdmin<AdminStats>(
		`/v1/admin/stats?since=${encodeURIComponent(since)}&until=${encodeURIComponent(new Date(until).toISOString())}&bucket=${bucket}`,
	);

	return (
		<>
			<section className="card" aria-labelledby="providers-heading">
				<h2 id="providers-heading">Providers</h2>
				<p className="explain">
					Refresh health per provider. Permanent failures mean a user must
					reconnect; transient ones (outages, rate limits) are retried;
					misconfigured means the provider refuses Tether's client credentials
					and opens the circuit.
				</p>
				<div className="actions">
					<button type="button" className="secondary" onClick={reload}>
						Reload
					</button>
				</div>
				{providers.result.state === "loading" && <p>Loading…</p>}
				{providers.result.state === "error" && (
					<p className="error" role="alert">
						{providers.result.message}
					</p>
				)}
				{providers.result.state === "ok" && (
					<ProvidersTable providers={providers.result.data.items} />
				)}
			</section>
			<section className="card" aria-labelledby="chart-heading">
				<h2 id="chart-heading">Refreshes over time</h2>
				<form className="inline" onSubmit={(event) => event.preventDefault()}>
					<div className="field">
						<label htmlFor="chart-range">Period</label>
						<select
							id="chart-range"
							value={range}
							onChange={(event) =>
								setRange(event.target.value === "day" ? "day" : "hour")
							}
						>
							{Object.entries(ranges).map(([key, value]) => (
								<option key={key} value={key}>
									{value.label}
								</option>
							))}
						</select>
					</div>
				</form>
				{stats.result.state === "loading" && <p>Loading…</p>}
				{stats.result.state === "error" && (
					<p className="error" role="alert">
						{stats.result.message}
					</p>
				)}
				{stats.result.state === "ok" && (
					<RefreshChart buckets={stats.result.data.buckets} />
				)}
			</section>
		</>
	);
}

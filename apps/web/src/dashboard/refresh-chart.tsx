import type { AdminStatsBucket } from "@tether/api";
import { clockTime, count } from "./format.ts";

interface Point {
	start: string;
	refreshes: number;
	failures: number;
}

export function pointsOf(buckets: readonly AdminStatsBucket[]): Point[] {
	return buckets.map((bucket) => ({
		start: bucket.start,
		refreshes: bucket.counts["token.refresh"] ?? 0,
		failures:
			bucket.refreshFailures.permanent +
			bucket.refreshFailures.transient +
			bucket.refreshFailures.misconfigured,
	}));
}

/** 1, 2, 5, 10, 20, 50 …: the smallest such step that fits `max` in about four lines. */
function niceStep(max: number): number {
	const rough = Math.max(max, 1) / 4;
	const magnitude = 10 ** Math.floor(Math.log10(rough));
	for (const factor of [1, 2, 5, 10]) {
		if (factor * magnitude >= rough) return Math.max(1, factor * magnitude);
	}
	return 10 * magnitude;
}

const width = 720;
const height = 220;
const pad = { top: 12, right: 12, bottom: 28, left: 40 };

/**
 * Refreshes and failed refreshes per bucket as stacked bars, drawn by hand in SVG. The numbers
 * are also in a table for screen readers and anyone who would rather read them.
 */
export function RefreshChart({
	buckets,
}: {
	buckets: readonly AdminStatsBucket[];
}) {
	const points = pointsOf(buckets);
	const max = Math.max(0, ...points.map((p) => p.refreshes + p.failures));
	const step = niceStep(max);
	const top = Math.max(step, Math.ceil(max / step) * step);
	const plotWidth = width - pad.left - pad.right;
	const plotHeight = height - pad.top - pad.bottom;
	const slot = plotWidth / Math.max(points.length, 1);
	const barWidth = Math.max(1, slot * 0.7);
	const y = (value: number) =>
		pad.top + plotHeight - (value / top) * plotHeight;
	const ticks: number[] = [];
	for (let value = 0; value <= top; value += step) ticks.push(value);
	const labelEvery = Math.max(1, Math.ceil(points.length / 8));
	const totalRefreshes = points.reduce((sum, p) => sum + p.refreshes, 0);
	const totalFailures = points.reduce((sum, p) => sum + p.failures, 0);
	const summary = `${count(totalRefreshes, "refresh", "refreshes")} and ${count(totalFailures, "failed refresh", "failed refreshes")} over ${count(points.length, "interval", "intervals")}`;

	return (
		<figure className="chart" style={{ margin: 0 }}>
			<div className="legend" aria-hidden="true">
				<span>
					<span className="swatch refresh" />
					Refreshes
				</span>
				<span>
					<span className="swatch failure" />
					Failed refreshes
				</span>
			</div>
			<svg
				viewBox={`0 0 ${width} ${height}`}
				role="img"
				aria-label={summary}
				data-testid="refresh-chart"
			>
				{ticks.map((value) => (
					<g key={value}>
						<line
							x1={pad.left}
							x2={width - pad.right}
							y1={y(value)}
							y2={y(value)}
							stroke="#e5e7eb"
						/>
						<text
							x={pad.left - 6}
							y={y(value) + 4}
							textAnchor="end"
							fontSize="11"
							fill="#4b5563"
						>
							{value}
						</text>
					</g>
				))}
				{points.map((point, index) => {
					const x = pad.left + index * slot + (slot - barWidth) / 2;
					const refreshTop = y(point.refreshes);
					const failureTop = y(point.refreshes + point.failures);
					return (
						<g key={point.start}>
							<title>
								{`${clockTime(point.start)}: ${point.refreshes} refreshes, ${point.failures} failed`}
							</title>
							{point.refreshes > 0 && (
								<rect
									x={x}
									y={refreshTop}
									width={barWidth}
									height={y(0) - refreshTop}
									fill="#1d4ed8"
								/>
							)}
							{point.failures > 0 && (
								<rect
									x={x}
									y={failureTop}
									width={barWidth}
									height={refreshTop - failureTop}
									fill="#b91c1c"
								/>
							)}
							{index % labelEvery === 0 && (
								<text
									x={x + barWidth / 2}
									y={height - 8}
									textAnchor="middle"
									fontSize="11"
									fill="#4b5563"
								>
									{clockTime(point.start)}
								</text>
							)}
						</g>
					);
				})}
				<line
					x1={pad.left}
					x2={width - pad.right}
					y1={y(0)}
					y2={y(0)}
					stroke="#6b7280"
				/>
			</svg>
			<figcaption className="muted">{summary}.</figcaption>
			<details>
				<summary>The numbers</summary>
				<div className="table-wrap">
					<table>
						<thead>
							<tr>
								<th scope="col">From</th>
								<th scope="col">Refreshes</th>
								<th scope="col">Failed</th>
							</tr>
						</thead>
						<tbody>
							{points
								.filter((p) => p.refreshes + p.failures > 0)
								.map((p) => (
									<tr key={p.start}>
										<td>{clockTime(p.start)}</td>
										<td>{p.refreshes}</td>
										<td>{p.failures}</td>
									</tr>
								))}
						</tbody>
					</table>
				</div>
			</details>
		</figure>
	);
}

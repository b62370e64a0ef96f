/**
 * Two small chart kinds as standalone SVG text, for docs/benchmarks/: horizontal bars on a log
 * axis (throughputs two orders of magnitude apart stay readable) and lines over a log x axis
 * (latency against the number of accounts). No dependencies; system fonts.
 */

const font =
	'font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12"';
export const palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];

const xml = (text: string) =>
	text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** 1, 2, 5, 10, 20, 50 … between `min` and `max`. */
function logTicks(min: number, max: number): number[] {
	const ticks: number[] = [];
	for (
		let decade = 10 ** Math.floor(Math.log10(min));
		decade <= max;
		decade *= 10
	)
		for (const step of [1, 2, 5]) {
			const value = decade * step;
			if (value >= min && value <= max) ticks.push(value);
		}
	return ticks;
}

const short = (value: number) =>
	value >= 1e6
		? `${value / 1e6}M`
		: value >= 1e3
			? `${value / 1e3}k`
			: String(value);

export interface Bar {
	label: string;
	value: number;
	/** Text after the bar (default: the value). */
	note?: string;
	color?: string;
}

/** Horizontal bars, log x axis from `min`. */
export function barChart(options: {
	title: string;
	subtitle?: string;
	unit: string;
	bars: Bar[];
	min?: number;
}): string {
	const labelWidth = 230;
	const plotWidth = 420;
	const noteWidth = 150;
	const barHeight = 22;
	const gap = 10;
	const top = options.subtitle === undefined ? 40 : 58;
	const width = labelWidth + plotWidth + noteWidth;
	const height = top + options.bars.length * (barHeight + gap) + 40;
	const max = Math.max(...options.bars.map((b) => b.value));
	const min =
		options.min ??
		10 **
			Math.floor(
				Math.log10(
					Math.max(1e-9, Math.min(...options.bars.map((b) => b.value))),
				),
			);
	const hi = 10 ** Math.ceil(Math.log10(max));
	const x = (value: number) =>
		labelWidth +
		(plotWidth * (Math.log10(Math.max(value, min)) - Math.log10(min))) /
			(Math.log10(hi) - Math.log10(min));
	const parts: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ${font}>`,
		`<title>${xml(options.title)}</title>`,
		`<rect width="100%" height="100%" fill="#ffffff"/>`,
		`<text x="12" y="22" font-size="15" font-weight="600">${xml(options.title)}</text>`,
	];
	if (options.subtitle !== undefined)
		parts.push(
			`<text x="12" y="42" fill="#555">${xml(options.subtitle)}</text>`,
		);
	const bottom = height - 30;
	for (const tick of logTicks(min, hi)) {
		const tx = x(tick).toFixed(1);
		parts.push(
			`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${bottom}" stroke="#e5e7eb"/>`,
			`<text x="${tx}" y="${bottom + 14}" text-anchor="middle" fill="#555">${short(tick)}</text>`,
		);
	}
	parts.push(
		`<text x="${labelWidth + plotWidth / 2}" y="${bottom + 28}" text-anchor="middle" fill="#555">${xml(options.unit)} (log scale)</text>`,
	);
	for (const [i, bar] of options.bars.entries()) {
		const y = top + i * (barHeight + gap);
		const end = x(bar.value);
		parts.push(
			`<text x="${labelWidth - 8}" y="${y + barHeight / 2 + 4}" text-anchor="end">${xml(bar.label)}</text>`,
			`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, end - labelWidth).toFixed(1)}" height="${barHeight}" fill="${bar.color ?? palette[0]}" rx="2"/>`,
			`<text x="${(end + 6).toFixed(1)}" y="${y + barHeight / 2 + 4}">${xml(bar.note ?? String(bar.value))}</text>`,
		);
	}
	parts.push("</svg>");
	return `${parts.join("\n")}\n`;
}

export interface Series {
	label: string;
	points: { x: number; y: number }[];
	color?: string;
	dashed?: boolean;
}

/** Lines over a log x axis and a linear y axis from 0. */
export function lineChart(options: {
	title: string;
	subtitle?: string;
	xUnit: string;
	yUnit: string;
	series: Series[];
}): string {
	const left = 60;
	const plotWidth = 460;
	const legendWidth = 200;
	const top = options.subtitle === undefined ? 40 : 58;
	const plotHeight = 240;
	const width = left + plotWidth + legendWidth;
	const height = top + plotHeight + 50;
	const xs = options.series.flatMap((s) => s.points.map((p) => p.x));
	const ys = options.series.flatMap((s) => s.points.map((p) => p.y));
	const xMin = Math.min(...xs);
	const xMax = Math.max(...xs);
	const yMax = niceCeil(Math.max(...ys) * 1.1);
	const x = (value: number) =>
		left +
		(xMax === xMin
			? plotWidth / 2
			: (plotWidth * (Math.log10(value) - Math.log10(xMin))) /
				(Math.log10(xMax) - Math.log10(xMin)));
	const y = (value: number) => top + plotHeight - (plotHeight * value) / yMax;
	const parts: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ${font}>`,
		`<title>${xml(options.title)}</title>`,
		`<rect width="100%" height="100%" fill="#ffffff"/>`,
		`<text x="12" y="22" font-size="15" font-weight="600">${xml(options.title)}</text>`,
	];
	if (options.subtitle !== undefined)
		parts.push(
			`<text x="12" y="42" fill="#555">${xml(options.subtitle)}</text>`,
		);
	for (let i = 0; i <= 5; i++) {
		const value = (yMax * i) / 5;
		const ty = y(value).toFixed(1);
		parts.push(
			`<line x1="${left}" y1="${ty}" x2="${left + plotWidth}" y2="${ty}" stroke="#e5e7eb"/>`,
			`<text x="${left - 6}" y="${Number(ty) + 4}" text-anchor="end" fill="#555">${Number(value.toPrecision(3))}</text>`,
		);
	}
	for (const tick of [...new Set(xs)].sort((a, b) => a - b)) {
		const tx = x(tick).toFixed(1);
		parts.push(
			`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${top + plotHeight}" stroke="#f1f5f9"/>`,
			`<text x="${tx}" y="${top + plotHeight + 16}" text-anchor="middle" fill="#555">${short(tick)}</text>`,
		);
	}
	parts.push(
		`<text x="${left + plotWidth / 2}" y="${top + plotHeight + 36}" text-anchor="middle" fill="#555">${xml(options.xUnit)} (log scale)</text>`,
		`<text x="14" y="${top + plotHeight / 2}" text-anchor="middle" fill="#555" transform="rotate(-90 14 ${top + plotHeight / 2})">${xml(options.yUnit)}</text>`,
	);
	for (const [i, series] of options.series.entries()) {
		const color = series.color ?? palette[i % palette.length];
		const points = series.points
			.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
			.join(" ");
		parts.push(
			`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6 4"' : ""}/>`,
			...series.points.map(
				(p) =>
					`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${color}"/>`,
			),
		);
		const ly = top + 10 + i * 20;
		parts.push(
			`<line x1="${left + plotWidth + 16}" y1="${ly}" x2="${left + plotWidth + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6 4"' : ""}/>`,
			`<text x="${left + plotWidth + 46}" y="${ly + 4}">${xml(series.label)}</text>`,
		);
	}
	parts.push("</svg>");
	return `${parts.join("\n")}\n`;
}

function niceCeil(value: number): number {
	if (value <= 0) return 1;
	const decade = 10 ** Math.floor(Math.log10(value));
	for (const step of [1, 2, 2.5, 5, 10])
		if (value <= decade * step) return decade * step;
	return decade * 10;
}

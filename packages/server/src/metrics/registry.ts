/**
 * Counters, gauges and histograms, and their Prometheus text exposition (format 0.0.4), by hand:
 * the format is a page long and a client library would be Tether's largest dependency for it.
 * Label values are whatever the caller passes, so callers pass only bounded sets (route
 * templates, provider config ids, outcome names), never ids or tokens.
 */

export type Labels = Record<string, string>;

export interface Counter {
	inc(labels: Labels, by?: number): void;
	/** The series for `labels`, to keep and increment without building a key each time. */
	series(labels: Labels): { inc(by?: number): void };
}

export interface Gauge {
	set(labels: Labels, value: number): void;
	/** Forgets every series (before setting a fresh snapshot). */
	clear(): void;
}

export interface Histogram {
	observe(labels: Labels, value: number): void;
	/** The series for `labels`, to keep and feed without building a key each time. */
	series(labels: Labels): { observe(value: number): void };
}

interface Series {
	labels: Labels;
	value: number;
}

interface HistogramSeries {
	labels: Labels;
	counts: number[];
	sum: number;
	count: number;
}

type Family =
	| {
			type: "counter" | "gauge";
			name: string;
			help: string;
			series: Map<string, Series>;
	  }
	| {
			type: "histogram";
			name: string;
			help: string;
			buckets: readonly number[];
			series: Map<string, HistogramSeries>;
	  };

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function escapeLabelValue(value: string): string {
	return value
		.replace(/\\/g, "\\\\")
		.replace(/\n/g, "\\n")
		.replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
	return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(value: number): string {
	if (Number.isNaN(value)) return "NaN";
	if (value === Number.POSITIVE_INFINITY) return "+Inf";
	if (value === Number.NEGATIVE_INFINITY) return "-Inf";
	return String(value);
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
	const parts = Object.entries(labels).map(
		([name, value]) => `${name}="${escapeLabelValue(value)}"`,
	);
	if (extra !== undefined)
		parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
	return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Series identity: the label values in the family's label order (names are fixed per family). */
function keyOf(labelNames: readonly string[], labels: Labels): string {
	let key = "";
	for (const name of labelNames) key += `${labels[name] ?? ""}\u0000`;
	return key;
}

function ordered(labelNames: readonly string[], labels: Labels): Labels {
	const out: Labels = {};
	for (const name of labelNames) out[name] = labels[name] ?? "";
	return out;
}

export interface Registry {
	counter(name: string, help: string, labelNames: readonly string[]): Counter;
	gauge(name: string, help: string, labelNames: readonly string[]): Gauge;
	histogram(
		name: string,
		help: string,
		labelNames: readonly string[],
		buckets: readonly number[],
	): Histogram;
	/** The exposition: every family in registration order, `# HELP` and `# TYPE` first. */
	render(): string;
}

export function createRegistry(): Registry {
	const families: Family[] = [];
	const names = new Set<string>();
	const claim = (name: string) => {
		if (!namePattern.test(name) || names.has(name))
			throw new Error(`metrics: bad or duplicate name ${name}`);
		names.add(name);
	};

	return {
		counter(name, help, labelNames) {
			claim(name);
			const series = new Map<string, Series>();
			families.push({ type: "counter", name, help, series });
			const get = (labels: Labels): Series => {
				const key = keyOf(labelNames, labels);
				let hit = series.get(key);
				if (hit === undefined) {
					hit = { labels: ordered(labelNames, labels), value: 0 };
					series.set(key, hit);
				}
				return hit;
			};
			return {
				inc(labels, by = 1) {
					get(labels).value += by;
				},
				series(labels) {
					const hit = get(labels);
					return {
						inc(by = 1) {
							hit.value += by;
						},
					};
				},
			};
		},
		gauge(name, help, labelNames) {
			claim(name);
			const series = new Map<string, Series>();
			families.push({ type: "gauge", name, help, series });
			return {
				set(labels, value) {
					const key = keyOf(labelNames, labels);
					const hit = series.get(key);
					if (hit !== undefined) hit.value = value;
					else series.set(key, { labels: ordered(labelNames, labels), value });
				},
				clear: () => series.clear(),
			};
		},
		histogram(name, help, labelNames, buckets) {
			claim(name);
			const bounds = [...buckets].sort((a, b) => a - b);
			const series = new Map<string, HistogramSeries>();
			families.push({ type: "histogram", name, help, buckets: bounds, series });
			const get = (labels: Labels): HistogramSeries => {
				const key = keyOf(labelNames, labels);
				let hit = series.get(key);
				if (hit === undefined) {
					hit = {
						labels: ordered(labelNames, labels),
						counts: bounds.map(() => 0),
						sum: 0,
						count: 0,
					};
					series.set(key, hit);
				}
				return hit;
			};
			const add = (hit: HistogramSeries, value: number) => {
				// Counts per bucket here; the exposition makes them cumulative.
				let index = 0;
				while (index < bounds.length && value > (bounds[index] ?? 0)) index++;
				if (index < bounds.length)
					hit.counts[index] = (hit.counts[index] ?? 0) + 1;
				hit.sum += value;
				hit.count += 1;
			};
			return {
				observe(labels, value) {
					add(get(labels), value);
				},
				series(labels) {
					const hit = get(labels);
					return { observe: (value) => add(hit, value) };
				},
			};
		},
		render() {
			const lines: string[] = [];
			for (const family of families) {
				lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
				lines.push(`# TYPE ${family.name} ${family.type}`);
				if (family.type !== "histogram") {
					for (const { labels, value } of family.series.values())
						lines.push(
							`${family.name}${renderLabels(labels)} ${formatValue(value)}`,
						);
					continue;
				}
				for (const s of family.series.values()) {
					let cumulative = 0;
					family.buckets.forEach((bound, i) => {
						cumulative += s.counts[i] ?? 0;
						lines.push(
							`${family.name}_bucket${renderLabels(s.labels, ["le", formatValue(bound)])} ${cumulative}`,
						);
					});
					lines.push(
						`${family.name}_bucket${renderLabels(s.labels, ["le", "+Inf"])} ${s.count}`,
					);
					lines.push(
						`${family.name}_sum${renderLabels(s.labels)} ${formatValue(s.sum)}`,
					);
					lines.push(
						`${family.name}_count${renderLabels(s.labels)} ${s.count}`,
					);
				}
			}
			return `${lines.join("\n")}\n`;
		},
	};
}

/** The part of autocannon's API the benchmarks use (the package ships no types). */
declare module "autocannon" {
	interface Options {
		url: string;
		connections?: number;
		duration?: number;
		amount?: number;
		pipelining?: number;
		timeout?: number;
		method?: string;
		headers?: Record<string, string>;
		body?: string;
	}
	interface Histogram {
		average: number;
		mean: number;
		stddev: number;
		min: number;
		max: number;
		total: number;
		p50: number;
		p90: number;
		p99: number;
		p99_9: number;
	}
	interface Result {
		duration: number;
		latency: Histogram;
		requests: Histogram & { sent: number };
		throughput: Histogram;
		errors: number;
		timeouts: number;
		non2xx: number;
		"2xx": number;
		statusCodeStats: Record<string, { count: number }>;
	}
	function autocannon(
		options: Options,
		callback: (error: Error | null, result: Result) => void,
	): unknown;
	export default autocannon;
	export type { Options, Result };
}

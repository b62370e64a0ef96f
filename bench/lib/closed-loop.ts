/**
 * A closed-loop load generator with exact latencies: `connections` workers, each on its own
 * kept-alive socket, send one request after another for `seconds`, each to a path `pick()` chooses
 * (a random account, for the scale benchmark). autocannon reports whole milliseconds, too coarse
 * for one connection at a few hundred microseconds a request.
 */
import { Agent, request } from "node:http";
import { percentile, round1 } from "./common.ts";

export interface ClosedLoopResult {
	requests: number;
	ok: number;
	failed: number;
	statuses: Record<string, number>;
	rps: number;
	/** Latencies in milliseconds, to 0.01 ms. */
	p50Ms: number;
	p90Ms: number;
	p99Ms: number;
	maxMs: number;
}

export async function closedLoop(options: {
	port: number;
	connections: number;
	seconds: number;
	pick: () => string;
	headers: Record<string, string>;
	body: string;
}): Promise<ClosedLoopResult> {
	const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
	const latencies: number[] = [];
	const statuses: Record<string, number> = {};
	const body = Buffer.from(options.body);
	const headers = { ...options.headers, "content-length": body.length };
	const one = (path: string) =>
		new Promise<number>((resolve) => {
			const req = request(
				{
					host: "127.0.0.1",
					port: options.port,
					path,
					method: "POST",
					agent,
					headers,
				},
				(res) => {
					res.resume();
					res.on("end", () => resolve(res.statusCode ?? 0));
				},
			);
			req.on("error", () => resolve(0));
			req.end(body);
		});
	const started = performance.now();
	const until = started + options.seconds * 1000;
	const worker = async () => {
		while (performance.now() < until) {
			const sent = performance.now();
			const status = await one(options.pick());
			latencies.push(performance.now() - sent);
			statuses[status] = (statuses[status] ?? 0) + 1;
		}
	};
	await Promise.all(Array.from({ length: options.connections }, worker));
	const elapsed = (performance.now() - started) / 1000;
	agent.destroy();
	const ok = statuses[200] ?? 0;
	const ms = (value: number) => Math.round(value * 100) / 100;
	return {
		requests: latencies.length,
		ok,
		failed: latencies.length - ok,
		statuses,
		rps: round1(ok / elapsed),
		p50Ms: ms(percentile(latencies, 50)),
		p90Ms: ms(percentile(latencies, 90)),
		p99Ms: ms(percentile(latencies, 99)),
		maxMs: ms(Math.max(...latencies)),
	};
}

import { describe, expect, it } from "vitest";
import { createRegistry } from "./registry.ts";

describe("metrics registry", () => {
	it("renders counters, gauges and cumulative histograms in the text format", () => {
		const registry = createRegistry();
		const hits = registry.counter("hits_total", "Hits.\nTwo lines", [
			"route",
			"status",
		]);
		const temp = registry.gauge("temp", "Temperature.", []);
		const latency = registry.histogram(
			"latency_seconds",
			"Latency.",
			["route"],
			[0.1, 0.01, 1],
		);
		hits.inc({ status: "200", route: "/a" });
		hits.inc({ route: "/a", status: "200" }, 2);
		hits.inc({ route: 'we"ird\\path\n', status: "500" });
		temp.set({}, 21.5);
		for (const v of [0.005, 0.05, 0.5, 5]) latency.observe({ route: "/a" }, v);
		expect(registry.render()).toBe(
			[
				"# HELP hits_total Hits.\\nTwo lines",
				"# TYPE hits_total counter",
				'hits_total{route="/a",status="200"} 3',
				'hits_total{route="we\\"ird\\\\path\\n",status="500"} 1',
				"# HELP temp Temperature.",
				"# TYPE temp gauge",
				"temp 21.5",
				"# HELP latency_seconds Latency.",
				"# TYPE latency_seconds histogram",
				'latency_seconds_bucket{route="/a",le="0.01"} 1',
				'latency_seconds_bucket{route="/a",le="0.1"} 2',
				'latency_seconds_bucket{route="/a",le="1"} 3',
				'latency_seconds_bucket{route="/a",le="+Inf"} 4',
				'latency_seconds_sum{route="/a"} 5.555',
				'latency_seconds_count{route="/a"} 4',
				"",
			].join("\n"),
		);
		temp.clear();
		expect(registry.render()).not.toContain("temp 21.5");
	});

	it("refuses a bad or duplicate metric name", () => {
		const registry = createRegistry();
		registry.counter("ok_total", "x", []);
		expect(() => registry.counter("ok_total", "x", [])).toThrow();
		expect(() => registry.gauge("bad-name", "x", [])).toThrow();
	});
});

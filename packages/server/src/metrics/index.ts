export {
	type Counter,
	createRegistry,
	type Gauge,
	type Histogram,
	type Labels,
	type Registry,
} from "./registry.ts";
export { createMetrics, type Metrics } from "./tether-metrics.ts";

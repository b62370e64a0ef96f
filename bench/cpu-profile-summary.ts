/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `bench/access-token.ts --cpu-prof`):
 * self time by function and by module, and inclusive time by function.
 *
 *   npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [--top 30] [--match <regex>]
 *                                        [--callers <regex>]
 *
 * `--match` keeps only functions whose name or file matches, for the inclusive table (e.g.
 * `--match 'issueAccessToken|verify|take|log'`).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
}
interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}
interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

const { values: args, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		top: { type: "string", default: "30" },
		match: { type: "string" },
		/** Also list the call stacks (a few frames up) of samples whose own function matches. */
		callers: { type: "string" },
	},
});
const file = positionals[0];
if (file === undefined) {
	console.error("usage: cpu-profile-summary.ts <file.cpuprofile> [--top N]");
	process.exit(2);
}
const top = Number(args.top);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

/** A short module name: the package under node_modules, the workspace file, or node's own. */
function moduleOf(url: string): string {
	if (url === "") return "(native/V8)";
	const nm = url.lastIndexOf("/node_modules/");
	if (nm !== -1) {
		const rest = url.slice(nm + "/node_modules/".length).split("/");
		return rest[0]?.startsWith("@")
			? `${rest[0]}/${rest[1]}`
			: (rest[0] ?? url);
	}
	const packages = url.indexOf("/packages/");
	if (packages !== -1) return url.slice(packages + 1);
	if (url.startsWith("node:")) return url;
	return url.replace(/^file:\/\//, "");
}

function keyOf(frame: CallFrame): string {
	const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
	if (frame.url === "") return name;
	return `${name}  ${moduleOf(frame.url)}:${frame.lineNumber + 1}`;
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes)
	for (const child of node.children ?? []) parent.set(child, node.id);

const callersOf =
	args.callers === undefined ? undefined : new RegExp(args.callers);
const callerStacks = new Map<string, number>();
const self = new Map<string, number>();
const selfByModule = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [index, sampleId] of profile.samples.entries()) {
	const delta = profile.timeDeltas[index] ?? 0;
	const node = byId.get(sampleId);
	if (node === undefined) continue;
	total += delta;
	const name = node.callFrame.functionName;
	if (name === "(idle)") {
		idle += delta;
		continue;
	}
	const key = keyOf(node.callFrame);
	self.set(key, (self.get(key) ?? 0) + delta);
	const module =
		name === "(garbage collector)" || name === "(program)"
			? name
			: moduleOf(node.callFrame.url);
	selfByModule.set(module, (selfByModule.get(module) ?? 0) + delta);
	if (callersOf?.test(key)) {
		const stack: string[] = [];
		for (
			let current = parent.get(sampleId);
			current !== undefined && stack.length < 6;
			current = parent.get(current)
		) {
			const frame = byId.get(current)?.callFrame;
			if (frame !== undefined) stack.push(keyOf(frame));
		}
		const joined = `${key}\n          <- ${stack.join("\n          <- ")}`;
		callerStacks.set(joined, (callerStacks.get(joined) ?? 0) + delta);
	}
	const seen = new Set<string>();
	for (
		let current: number | undefined = sampleId;
		current !== undefined;
		current = parent.get(current)
	) {
		const frame = byId.get(current)?.callFrame;
		if (frame === undefined) break;
		const k = keyOf(frame);
		if (seen.has(k)) continue;
		seen.add(k);
		inclusive.set(k, (inclusive.get(k) ?? 0) + delta);
	}
}

const busy = total - idle;
const pct = (value: number) => `${((100 * value) / busy).toFixed(1)}%`;
const ms = (value: number) => `${(value / 1000).toFixed(0)} ms`;
const table = (
	title: string,
	entries: Map<string, number>,
	filter?: RegExp,
) => {
	console.log(`\n${title}`);
	const rows = [...entries]
		.filter(([key]) => filter === undefined || filter.test(key))
		.sort((a, b) => b[1] - a[1])
		.slice(0, top);
	for (const [key, value] of rows)
		console.log(`${pct(value).padStart(7)} ${ms(value).padStart(9)}  ${key}`);
};

console.log(
	`${file}\nsampled ${ms(total)}, busy ${ms(busy)} (${((100 * busy) / total).toFixed(0)}% of wall), shares below are of busy time`,
);
table("self time by module", selfByModule);
table("self time by function", self);
table(
	"inclusive time by function",
	inclusive,
	args.match === undefined ? undefined : new RegExp(args.match),
);
if (callersOf !== undefined)
	table(`stacks of ${callersOf.source}`, callerStacks);

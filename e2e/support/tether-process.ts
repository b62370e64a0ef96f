import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Upstream } from "@tether/testkit";
import { upstreamProvider } from "../../packages/server/test/harness.ts";

export { freePort } from "@tether/testkit";

const repoRoot = resolve(import.meta.dirname, "../..");
const bin = resolve(repoRoot, "packages/cli/bin/tether.js");
/** Lines of output kept per process, for a failing test's message. */
const tailLines = 400;

/** Every child still alive, killed if the test worker exits without cleaning up. */
const alive = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook() {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on("exit", () => {
		for (const child of alive) child.kill("SIGKILL");
	});
}

/**
 * Writes a config file for `startTetherProcess`, readable by its owner only (it holds keys):
 * production mode, loopback providers allowed (the test's upstream), and then `config`.
 */
export function writeTetherConfig(
	path: string,
	config: Record<string, unknown>,
): string {
	writeFileSync(
		path,
		JSON.stringify({
			mode: "production",
			allowInsecureProviders: true,
			...config,
		}),
		{ mode: 0o600 },
	);
	return path;
}

/** The test's upstream as an `oidc` provider with the scopes every suite signs in with. */
export function upstreamOidc(
	id: string,
	upstream: Upstream,
	overrides: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		...upstreamProvider(upstream, id),
		scopes: ["openid", "email", "profile", "offline_access"],
		...overrides,
	};
}

export interface TetherProcess {
	name: string;
	pid: number;
	/** `http://127.0.0.1:<port>`: where this process listens (not necessarily the config's baseUrl). */
	url: string;
	/** The last lines the process wrote (stdout and stderr). */
	tail(): string;
	/** How many log lines had this `msg` (e.g. `"refreshed"`). */
	countLog(msg: string): number;
	/** Resolves with the exit code or signal once the process is gone. */
	readonly exited: Promise<string>;
	readonly running: boolean;
	/** Sends the signal and waits for the exit. A no-op for a process already gone. */
	kill(signal?: NodeJS.Signals): Promise<string>;
}

/**
 * Runs `tether start` as a real child process, as an operator would, and resolves once it
 * prints `Tether is running`. Output is always drained: a child blocked on a full pipe would
 * look like a hung server.
 */
export async function startTetherProcess(input: {
	name: string;
	configPath: string;
	port: number;
	env?: Record<string, string>;
	startTimeoutMs?: number;
	/** Sees every line the process writes, beyond the kept tail (e.g. to sweep logs for secrets). */
	onLine?: (line: string) => void;
}): Promise<TetherProcess> {
	installExitHook();
	const child = spawn(process.execPath, [bin, "start"], {
		cwd: repoRoot,
		env: {
			...process.env,
			TETHER_CONFIG: input.configPath,
			PORT: String(input.port),
			HOST: "127.0.0.1",
			LOG_LEVEL: "info",
			...input.env,
		},
		stdio: ["ignore", "pipe", "pipe"],
	});
	alive.add(child);
	const lines: string[] = [];
	const counts = new Map<string, number>();
	let partial = "";
	let running = true;
	const exited = new Promise<string>((done) => {
		child.once("exit", (code, signal) => {
			running = false;
			alive.delete(child);
			done(signal ?? String(code));
		});
	});
	const onData = (chunk: Buffer) => {
		const text = partial + chunk.toString("utf8");
		const parts = text.split("\n");
		partial = parts.pop() ?? "";
		for (const line of parts) {
			input.onLine?.(line);
			lines.push(line);
			if (lines.length > tailLines) lines.shift();
			const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
			if (msg !== undefined) counts.set(msg, (counts.get(msg) ?? 0) + 1);
		}
	};
	child.stdout.on("data", onData);
	child.stderr.on("data", onData);

	const tail = () => [...lines, partial].join("\n");
	const started = new Promise<void>((done, fail) => {
		const timer = setTimeout(
			() =>
				fail(
					new Error(`${input.name} did not start in time; output:\n${tail()}`),
				),
			input.startTimeoutMs ?? 60_000,
		);
		const check = () => {
			if (lines.some((line) => line.includes("Tether is running"))) {
				clearTimeout(timer);
				child.stdout.off("data", check);
				done();
			}
		};
		child.stdout.on("data", check);
		void exited.then((how) => {
			clearTimeout(timer);
			fail(
				new Error(`${input.name} exited (${how}) before starting:\n${tail()}`),
			);
		});
	});

	const handle: TetherProcess = {
		name: input.name,
		pid: child.pid ?? -1,
		url: `http://127.0.0.1:${input.port}`,
		tail,
		countLog: (msg) => counts.get(msg) ?? 0,
		exited,
		get running() {
			return running;
		},
		async kill(signal = "SIGKILL") {
			if (running) child.kill(signal);
			return exited;
		},
	};
	try {
		await started;
	} catch (error) {
		await handle.kill();
		throw error;
	}
	return handle;
}

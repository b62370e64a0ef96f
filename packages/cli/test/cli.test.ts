import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
	createLogger,
	createServer as createTether,
	loadConfig,
} from "@tether/server";
import { freePort } from "@tether/testkit";
import { afterEach, describe, expect, it } from "vitest";

const bin = resolve(import.meta.dirname, "../bin/tether.js");
const run = promisify(execFile);

function waitForOutput(
	child: ChildProcess,
	pattern: RegExp,
	timeoutMs = 30_000,
): Promise<string> {
	return new Promise((resolvePromise, reject) => {
		let output = "";
		const timer = setTimeout(
			() => reject(new Error(`timed out; output so far:\n${output}`)),
			timeoutMs,
		);
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			if (pattern.test(output)) {
				clearTimeout(timer);
				resolvePromise(output);
			}
		};
		child.stdout?.on("data", onData);
		child.stderr?.on("data", onData);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`exited ${code} before ${pattern}; output:\n${output}`));
		});
	});
}

/** A development setup started once: its session-signing key is stored, encrypted, under its key. */
async function startedDevelopmentSetup() {
	const cwd = mkdtempSync(join(tmpdir(), "tether-cli-"));
	const config = loadConfig({ env: {}, cwd });
	const tether = await createTether({
		config,
		background: false,
		logger: createLogger({ level: "silent" }),
	});
	await tether.close();
	return { cwd, config };
}

describe("tether CLI", () => {
	let child: ChildProcess | undefined;
	afterEach(() => {
		child?.kill("SIGKILL");
		child = undefined;
	});

	it("start with no config serves the development setup and stops cleanly on SIGTERM", async () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-cli-"));
		const port = await freePort();
		child = spawn(process.execPath, [bin, "start"], {
			cwd,
			env: { ...process.env, PORT: String(port) },
		});
		const output = await waitForOutput(child, /Tether is running: (\S+)/);
		expect(output).toContain(`http://127.0.0.1:${port}/`);
		const health = await fetch(`http://127.0.0.1:${port}/v1/healthz`);
		expect(health.status).toBe(200);
		expect(await health.json()).toMatchObject({ status: "ok" });
		const openapi = await fetch(`http://127.0.0.1:${port}/openapi.json`);
		expect((await openapi.json()).paths).toHaveProperty(
			"/v1/connected-accounts/{user}",
		);

		const exited = new Promise<number | null>((r) =>
			child?.once("exit", (code) => r(code)),
		);
		child.kill("SIGTERM");
		expect(await exited).toBe(0);
		child = undefined;
	});

	it("refuses an unsafe production config, naming the fields", async () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-cli-"));
		writeFileSync(
			join(cwd, "tether.json"),
			JSON.stringify({
				baseUrl: "http://tether.example.com",
				database: "sqlite:./t.db",
				developmentProvider: true,
			}),
		);
		const failure = await run(process.execPath, [bin, "start"], {
			cwd,
			env: {
				...process.env,
				TETHER_CONFIG: "tether.json",
				TETHER_ENCRYPTION_KEYS: "",
			},
		}).catch((error: { code: number; stderr: string }) => error);
		expect("code" in failure && failure.code).toBe(1);
		const { stderr } = failure as { stderr: string };
		for (const field of [
			"encryptionKeys",
			"allowedRedirectUrls",
			"developmentProvider",
			"baseUrl",
		]) {
			expect(stderr).toContain(field);
		}
	});

	it("keys generate prints a usable key; doctor checks the development setup", async () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-cli-"));
		const { stdout } = await run(
			process.execPath,
			[bin, "keys", "generate", "k9"],
			{ cwd },
		);
		expect(stdout.trim()).toMatch(/^k9:[A-Za-z0-9+/]{43}=$/);
		const doctor = await run(process.execPath, [bin, "doctor"], { cwd });
		expect(doctor.stdout).toMatch(/✓ key ring/);
		expect(doctor.stdout).toMatch(/✓ database: sqlite reachable/);
	});

	it("keys rotate re-encrypts stored secrets under a new first key, and doctor then sees none left", async () => {
		const { cwd, config } = await startedDevelopmentSetup();
		const newKey = `k2:${Buffer.alloc(32, 3).toString("base64")}`;
		const env = {
			...process.env,
			TETHER_ENCRYPTION_KEYS: [newKey, ...config.encryptionKeys].join(","),
		};
		const before = await run(process.execPath, [bin, "doctor"], { cwd, env });
		expect(before.stdout).toMatch(
			/await `tether keys rotate`|all tokens under the primary key/,
		);
		const rotated = await run(process.execPath, [bin, "keys", "rotate"], {
			cwd,
			env,
		});
		expect(rotated.stdout).toContain('re-encrypting under key "k2"');
		expect(rotated.stdout).toMatch(/rotated 1 rows/);
		const again = await run(process.execPath, [bin, "keys", "rotate"], {
			cwd,
			env,
		});
		expect(again.stdout).toMatch(/rotated 0 rows/);
		const signing = await run(
			process.execPath,
			[bin, "keys", "rotate-signing"],
			{ cwd, env },
		);
		expect(signing.stdout).toMatch(
			/^new session-signing key sk_[\w-]+\nno key retired/,
		);
		// The old key can go now: the new one alone opens everything.
		const onlyNew = { ...process.env, TETHER_ENCRYPTION_KEYS: newKey };
		const restarted = await createTether({
			config: loadConfig({ env: onlyNew, cwd }),
			background: false,
			logger: createLogger({ level: "silent" }),
		});
		await restarted.close();
	});

	it("names a key dropped before rotating: doctor fails on it, start refuses with a readable message", async () => {
		const { cwd, config } = await startedDevelopmentSetup();
		// The stored signing key is under the development key; a ring without it cannot open it.
		const stranger = `k9:${Buffer.alloc(32, 9).toString("base64")}`;
		const env = { ...process.env, TETHER_ENCRYPTION_KEYS: stranger };
		const [oldKeyId] = (config.encryptionKeys[0] ?? "").split(":");
		const doctor = await run(process.execPath, [bin, "doctor"], {
			cwd,
			env,
		}).then(
			() => {
				throw new Error("doctor passed with a key missing");
			},
			(failure: { code: number; stdout: string }) => failure,
		);
		expect(doctor.code).toBe(1);
		expect(doctor.stdout).toContain(
			`values under keys missing from encryptionKeys: "${oldKeyId}" (1 row)`,
		);
		child = spawn(process.execPath, [bin, "start"], {
			cwd,
			env: { ...env, PORT: String(await freePort()) },
		});
		const exitCode = new Promise<number | null>((r) =>
			child?.once("exit", (code) => r(code)),
		);
		let stderr = "";
		child.stderr?.on("data", (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		expect(await exitCode).toBe(1);
		expect(stderr).toContain(
			`encryptionKeys: stored values are encrypted under key "${oldKeyId}", which is not configured`,
		);
		expect(stderr).not.toMatch(/EnvelopeError|\n\s+at /);
	});
});

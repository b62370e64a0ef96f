import { loadConfig, runDoctor } from "@tether/server";
import type { CliIo } from "../io.ts";

export async function doctor(io: CliIo): Promise<number> {
	let config: ReturnType<typeof loadConfig>;
	try {
		config = loadConfig({
			env: io.env,
			cwd: io.cwd,
			warn: (m) => io.stderr.write(`warning: ${m}\n`),
		});
	} catch (error) {
		io.stdout.write(
			`✗ config: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		return 1;
	}
	const checks = await runDoctor({ config });
	for (const check of checks)
		io.stdout.write(`${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}\n`);
	return checks.every((check) => check.ok) ? 0 : 1;
}

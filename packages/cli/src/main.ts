import { run } from "./run.ts";

const code = await run({
	argv: process.argv.slice(2),
	env: process.env,
	cwd: process.cwd(),
	stdout: process.stdout,
	stderr: process.stderr,
});
process.exit(code);

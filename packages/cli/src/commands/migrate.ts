import { createStore, loadConfig } from "@tether/server";
import type { CliIo } from "../io.ts";

export async function migrate(io: CliIo): Promise<number> {
	const config = loadConfig({
		env: io.env,
		cwd: io.cwd,
		warn: (m) => io.stderr.write(`warning: ${m}\n`),
	});
	const store = await createStore(config.database);
	try {
		await store.migrate();
		io.stdout.write("migrations applied\n");
		return 0;
	} finally {
		await store.close();
	}
}

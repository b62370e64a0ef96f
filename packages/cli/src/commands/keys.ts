import {
	createKeyRing,
	createStore,
	generateKey,
	loadConfig,
	renderProgress,
	rotateKeys,
} from "@tether/server";
import type { CliIo } from "../io.ts";

export function keysGenerate(io: CliIo): number {
	const id = io.argv[2];
	io.stdout.write(`${generateKey(id)}\n`);
	return 0;
}

/** Re-encrypts every stored envelope under the primary (first) key. Safe to interrupt and re-run. */
export async function keysRotate(io: CliIo): Promise<number> {
	const config = loadConfig({
		env: io.env,
		cwd: io.cwd,
		warn: (m) => io.stderr.write(`warning: ${m}\n`),
	});
	const ring = createKeyRing(config.encryptionKeys);
	const store = await createStore(config.database);
	const controller = new AbortController();
	const onSignal = () => controller.abort();
	process.once("SIGINT", onSignal);
	try {
		await store.migrate();
		io.stdout.write(`re-encrypting under key "${ring.primaryKeyId}"\n`);
		const summary = await rotateKeys({
			store,
			ring,
			batchSize: 500,
			signal: controller.signal,
			onProgress: (progress) => {
				const line = renderProgress(progress);
				io.stdout.write(io.stdout.isTTY === true ? `\r${line}` : `${line}\n`);
			},
		});
		if (io.stdout.isTTY === true) io.stdout.write("\n");
		io.stdout.write(`rotated ${summary.rotated} rows\n`);
		for (const failure of summary.failed) {
			io.stderr.write(
				`could not decrypt ${failure.table} row ${failure.id}: ${failure.code}\n`,
			);
		}
		return summary.failed.length === 0 ? 0 : 1;
	} finally {
		process.off("SIGINT", onSignal);
		await store.close();
	}
}

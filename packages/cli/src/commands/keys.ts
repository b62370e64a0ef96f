import {
	createKeyRing,
	createStore,
	generateKey,
	loadConfig,
	loadSigningKeys,
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

/**
 * Adds a session-signing key. Every process signs with it within a minute; sessions signed with
 * older keys keep verifying, and keys superseded over an hour ago are retired.
 */
export async function keysRotateSigning(io: CliIo): Promise<number> {
	const config = loadConfig({
		env: io.env,
		cwd: io.cwd,
		warn: (m) => io.stderr.write(`warning: ${m}\n`),
	});
	const store = await createStore(config.database);
	try {
		await store.migrate();
		const now = Date.now();
		const keys = await loadSigningKeys({
			store,
			ring: createKeyRing(config.encryptionKeys),
			issuer: config.baseUrl,
			audience: "tether",
			now,
		});
		const { kid, retired } = await keys.rotate(now);
		io.stdout.write(`new session-signing key ${kid}\n`);
		io.stdout.write(
			retired.length === 0
				? "no key retired (older keys retire an hour after they are superseded)\n"
				: `retired ${retired.join(", ")}\n`,
		);
		return 0;
	} finally {
		await store.close();
	}
}

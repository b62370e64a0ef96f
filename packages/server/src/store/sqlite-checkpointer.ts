import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** How often the worker copies the write-ahead log back into the database file. */
const everyMs = 100;
/** SQLite's own default: a connection that commits past this many log pages checkpoints. */
const autocheckpointPages = 1000;

/**
 * The worker's whole program, plain JavaScript so no loader is needed in the thread. It opens its
 * own connection and runs PASSIVE checkpoints: they copy committed pages without waiting for
 * readers or writers, and (unlike a commit, or a TRUNCATE checkpoint) leave other connections'
 * `PRAGMA data_version` alone, so the access-token cache does not take them for a change.
 */
const program = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const timer = setInterval(() => {
	try {
		db.pragma("wal_checkpoint(PASSIVE)");
	} catch (error) {
		// Busy (another process checkpoints) is fine; anything else ends the worker.
		if (error && error.code !== "SQLITE_BUSY") throw error;
	}
}, workerData.everyMs);
parentPort.on("message", () => {
	clearInterval(timer);
	db.close();
	parentPort.close();
});
`;

export interface Checkpointer {
	stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop. By default the connection whose commit takes the log
 * past 1,000 pages copies them into the database file and syncs it, there and then: with many
 * distinct accounts in use (every read an audit row on a random page) that was a stall of several
 * milliseconds every few hundred requests. Here the main connection never checkpoints; a worker
 * thread with its own connection does, every 100 ms. If the worker cannot start or dies, the main
 * connection checkpoints for itself again.
 */
export function startCheckpointer(
	db: BetterSqlite3.Database,
	path: string,
): Checkpointer {
	const fallBack = () => {
		if (db.open) db.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
	};
	let worker: Worker;
	try {
		worker = new Worker(program, {
			eval: true,
			workerData: {
				driver: createRequire(import.meta.url).resolve("better-sqlite3"),
				path,
				everyMs,
			},
		});
	} catch {
		return { stop: async () => {} };
	}
	db.pragma("wal_autocheckpoint = 0");
	worker.unref();
	let stopping = false;
	const exited = new Promise<void>((resolve) => {
		worker.on("exit", () => {
			if (!stopping) fallBack();
			resolve();
		});
	});
	worker.on("error", () => {
		// An exit follows; the fallback runs there.
	});
	return {
		async stop() {
			if (stopping) return exited;
			stopping = true;
			// Unreferenced, the worker would not keep this process alive long enough to hear it exit.
			worker.ref();
			worker.postMessage("stop");
			await exited;
			fallBack();
		},
	};
}

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** How often the worker copies the write-ahead log back into the database file. */
const checkpointEveryMs = 100;
/** SQLite's own default: a connection that commits past this many log pages checkpoints. */
const autocheckpointPages = 1000;

/**
 * The worker's whole program, plain JavaScript so no loader is needed in the thread. It opens its
 * own connection to the file, runs each batch it is sent in one `BEGIN IMMEDIATE` transaction and
 * answers with the batch's id, and runs PASSIVE checkpoints: they copy committed pages without
 * waiting for readers or writers, and (unlike a TRUNCATE checkpoint) leave other connections'
 * `PRAGMA data_version` alone.
 */
const program = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
db.pragma("synchronous = NORMAL");
db.pragma("wal_autocheckpoint = 0");
const statements = new Map();
const runAll = db.transaction((sql, rows) => {
	let statement = statements.get(sql);
	if (statement === undefined) {
		statement = db.prepare(sql);
		statements.set(sql, statement);
	}
	for (const row of rows) statement.run(row);
});
const checkpoint = () => {
	try {
		db.pragma("wal_checkpoint(PASSIVE)");
	} catch (error) {
		// Busy (another process checkpoints) is fine; anything else ends the worker.
		if (!error || error.code !== "SQLITE_BUSY") throw error;
	}
};
const timer = setInterval(checkpoint, workerData.checkpointEveryMs);
parentPort.on("message", (message) => {
	if (message.stop) {
		clearInterval(timer);
		checkpoint();
		db.close();
		parentPort.close();
		return;
	}
	try {
		runAll.immediate(message.sql, message.rows);
		parentPort.postMessage({ id: message.id });
	} catch (error) {
		parentPort.postMessage({
			id: message.id,
			error: { message: String(error && error.message), code: error && error.code },
		});
	}
});
`;

export interface SqliteWorker {
	/**
	 * Runs `sql` once per row, in one transaction on the worker's connection. Undefined when the
	 * worker is not running: the caller writes on its own connection instead.
	 */
	run(sql: string, rows: Record<string, unknown>[]): Promise<void> | undefined;
	stop(): Promise<void>;
}

/**
 * A second connection to the same file on a worker thread, for the writes no request waits for
 * and for WAL checkpoints, so neither holds the event loop (better-sqlite3 is synchronous).
 * - Checkpoints: by default the connection whose commit takes the log past 1,000 pages copies
 *   them into the database file and syncs it, there and then. Here the main connection never
 *   checkpoints; the worker does, every 100 ms.
 * - Append batches (the audit log): with many distinct accounts in use, nearly every request adds
 *   a row, and a batch's transaction held requests for a few hundred microseconds.
 * Its commits are another connection's, so they move the main connection's `data_version` and
 * the access-token cache refills what it held (as for another process's write): it never serves
 * stale, it misses a little more. If the worker cannot start or dies, the main connection
 * checkpoints for itself again and `run` hands batches back.
 */
export function startSqliteWorker(
	db: BetterSqlite3.Database,
	path: string,
	busyTimeoutMs: number,
): SqliteWorker {
	const stopped: SqliteWorker = { run: () => undefined, stop: async () => {} };
	let worker: Worker;
	try {
		worker = new Worker(program, {
			eval: true,
			workerData: {
				driver: createRequire(import.meta.url).resolve("better-sqlite3"),
				path,
				busyTimeoutMs,
				checkpointEveryMs,
			},
		});
	} catch {
		return stopped;
	}
	db.pragma("wal_autocheckpoint = 0");
	worker.unref();
	let running = true;
	let nextId = 0;
	const waiting = new Map<
		number,
		{ resolve: () => void; reject: (error: Error) => void }
	>();
	worker.on(
		"message",
		(answer: { id: number; error?: { message: string; code?: string } }) => {
			const settle = waiting.get(answer.id);
			waiting.delete(answer.id);
			if (answer.error === undefined) settle?.resolve();
			else
				settle?.reject(
					Object.assign(new Error(answer.error.message), {
						code: answer.error.code,
					}),
				);
		},
	);
	const exited = new Promise<void>((resolve) => {
		worker.on("exit", () => {
			running = false;
			if (db.open) db.pragma(`wal_autocheckpoint = ${autocheckpointPages}`);
			for (const settle of waiting.values())
				settle.reject(new Error("SQLite worker stopped"));
			waiting.clear();
			resolve();
		});
	});
	worker.on("error", () => {
		// An exit follows; it hands checkpoints back and fails what was waiting.
	});
	return {
		run(sql, rows) {
			if (!running) return undefined;
			const id = nextId++;
			return new Promise<void>((resolve, reject) => {
				waiting.set(id, { resolve, reject });
				worker.postMessage({ id, sql, rows });
			});
		},
		async stop() {
			if (running) {
				running = false;
				// Unreferenced, the worker would not keep this process alive long enough to hear it exit.
				worker.ref();
				// Batches already sent are answered first: the worker handles messages in order.
				worker.postMessage({ stop: true });
			}
			await exited;
		},
	};
}

import {
	type EncryptedRow,
	type EncryptedTable,
	encryptedColumns,
	type Store,
} from "../store/types.ts";
import { decrypt, encrypt, keyIdOf } from "./envelope.ts";
import { EnvelopeError, type EnvelopeErrorCode } from "./errors.ts";
import type { KeyRing } from "./key-ring.ts";
import type { RotateProgress } from "./progress-bar.ts";

/** A row rotation left alone because one of its values would not open. */
export interface RotateFailure {
	table: EncryptedTable;
	id: string;
	code: EnvelopeErrorCode;
}

export interface RotateSummary {
	/** Rows rewritten under the primary key by this run. */
	rotated: number;
	/** Rows that would not decrypt; untouched, and reported by id only (never by value). */
	failed: RotateFailure[];
	/**
	 * Rows this run did not write because a concurrent write changed them first, every time it
	 * tried. That writer used its own primary key; a re-run picks up whatever is still not under ours.
	 */
	skipped: number;
}

export interface RotateKeysInput {
	/** Only the three rotation methods are used. */
	store: Pick<
		Store,
		| "countEncryptedNotUnderKey"
		| "listEncryptedNotUnderKey"
		| "replaceEncrypted"
	>;
	ring: KeyRing;
	/** Rows read per query. Default 500. */
	batchSize?: number;
	/** Called once when a table starts and after each batch. A throw stops the run. */
	onProgress?: (progress: RotateProgress) => void;
	/** Aborting stops the run between rows, rejecting with the signal's reason. */
	signal?: AbortSignal;
}

/**
 * A table is walked again when a pass lost a compare-and-set (a refresh rewrote the row meanwhile):
 * the fresh value may still be under an old key if the writer runs an older configuration. Bounded,
 * because a writer that keeps using an old primary would otherwise keep this loop busy forever.
 */
const maxPasses = 3;

/**
 * Re-encrypts every stored envelope under the ring's primary key, online (`tether keys rotate`).
 *
 * Resumable without a checkpoint file: each pass selects only rows that still hold a value not under
 * the primary key, and each row is rewritten in one atomic compare-and-set. A run killed at any
 * point leaves every row either wholly old or wholly new, and the next run simply finds fewer rows.
 */
export async function rotateKeys(
	input: RotateKeysInput,
): Promise<RotateSummary> {
	const { store, ring, signal } = input;
	const batchSize = input.batchSize ?? 500;
	if (!Number.isInteger(batchSize) || batchSize < 1) {
		throw new RangeError("batchSize must be a positive integer");
	}
	const primary = ring.primaryKeyId;
	const summary: RotateSummary = { rotated: 0, failed: [], skipped: 0 };
	// Iterating the contract's table list: a table added there is rotated without touching this file.
	for (const table of Object.keys(encryptedColumns) as EncryptedTable[]) {
		signal?.throwIfAborted();
		let total = await store.countEncryptedNotUnderKey(table, primary);
		let done = 0;
		const report = () => {
			// New rows written under an old key during the run can push `done` past the first count.
			total = Math.max(total, done);
			input.onProgress?.({ table, done, total });
		};
		report();
		const failedIds = new Set<string>();
		const lostIds = new Set<string>();
		for (let pass = 0; pass < maxPasses; pass++) {
			let lostThisPass = false;
			let afterId = "";
			for (;;) {
				signal?.throwIfAborted();
				const rows = await store.listEncryptedNotUnderKey(
					table,
					primary,
					afterId,
					batchSize,
				);
				const last = rows.at(-1);
				if (last === undefined) break;
				// A store that ignored `afterId` would loop forever on the same batch.
				if (last.id === afterId) {
					throw new Error(
						`store returned ${table} row ${afterId} again after it`,
					);
				}
				for (const row of rows) {
					signal?.throwIfAborted();
					// Failed rows come back on later passes (they are still under the old key).
					if (failedIds.has(row.id)) continue;
					const outcome = await rotateRow({ store, ring, table, row });
					if (outcome === "rotated") {
						summary.rotated++;
						lostIds.delete(row.id);
					} else if (outcome === "lost") {
						lostIds.add(row.id);
						lostThisPass = true;
					} else if (outcome !== "unchanged") {
						failedIds.add(row.id);
						summary.failed.push({ table, id: row.id, code: outcome });
					}
					if (pass === 0) done++;
				}
				afterId = last.id;
				if (pass === 0) report();
			}
			if (!lostThisPass) break;
		}
		summary.skipped += lostIds.size;
	}
	return summary;
}

type RowOutcome = "rotated" | "lost" | "unchanged" | EnvelopeErrorCode;

async function rotateRow(input: {
	store: RotateKeysInput["store"];
	ring: KeyRing;
	table: EncryptedTable;
	row: EncryptedRow;
}): Promise<RowOutcome> {
	const { store, ring, table, row } = input;
	const primary = ring.primaryKeyId;
	const next: Record<string, string | null> = { ...row.values };
	let changed = false;
	// Field names come from the contract, not from the row, so the AAD matches what the writers bound.
	for (const field of encryptedColumns[table]) {
		const value = row.values[field];
		if (value === null || value === undefined) continue;
		try {
			// A row is listed when any one value is old; its other values may already be current.
			if (keyIdOf(value) === primary) continue;
			const aad = { table, rowId: row.id, field };
			next[field] = encrypt(ring, decrypt(ring, value, aad), aad);
			changed = true;
		} catch (error) {
			// Nothing of this row is written, its readable values included: whoever investigates
			// gets the row exactly as it was.
			if (error instanceof EnvelopeError) return error.code;
			throw error;
		}
	}
	if (!changed) return "unchanged";
	// Compare-and-set on the values we decrypted: a refresh that rewrote the row meanwhile wins, and
	// its value is either under the primary already or found again by the next pass.
	const written = await store.replaceEncrypted(table, row.id, row.values, next);
	return written ? "rotated" : "lost";
}

/**
 * Key ids found in stored envelopes that the ring does not hold, with how many rows use each.
 * Such rows cannot be opened: a key was dropped from the config before `tether keys rotate`
 * finished. Only rows not under the primary key are read, so after a rotation this costs nothing.
 */
export async function findMissingKeys(input: {
	store: Pick<Store, "listEncryptedNotUnderKey">;
	ring: KeyRing;
	batchSize?: number;
}): Promise<Map<string, number>> {
	const { store, ring } = input;
	const batchSize = input.batchSize ?? 1000;
	const known = new Set(ring.keyIds);
	const missing = new Map<string, number>();
	for (const table of Object.keys(encryptedColumns) as EncryptedTable[]) {
		let after = "";
		for (;;) {
			const rows = await store.listEncryptedNotUnderKey(
				table,
				ring.primaryKeyId,
				after,
				batchSize,
			);
			for (const row of rows) {
				const unknown = new Set<string>();
				for (const value of Object.values(row.values)) {
					if (value === null) continue;
					let keyId: string;
					try {
						keyId = keyIdOf(value);
					} catch {
						continue; // not an envelope: rotation reports those by row
					}
					if (!known.has(keyId)) unknown.add(keyId);
				}
				for (const keyId of unknown)
					missing.set(keyId, (missing.get(keyId) ?? 0) + 1);
			}
			const last = rows.at(-1);
			if (last === undefined || rows.length < batchSize) break;
			after = last.id;
		}
	}
	return missing;
}

/** `k1` (3 rows), `k0` (1 row) */
export function describeMissingKeys(missing: Map<string, number>): string {
	return [...missing]
		.map(([keyId, rows]) => `"${keyId}" (${rows} row${rows === 1 ? "" : "s"})`)
		.join(", ");
}

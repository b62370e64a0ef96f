import type { Adapter } from "oidc-provider";
import { readJsonFile, writeJsonFile } from "./state-files.ts";

type Payload = Record<string, unknown>;

interface Entry {
	payload: Payload;
	/** Epoch milliseconds; absent for records that never expire. */
	expiresAt?: number;
}

interface StoredData {
	version: 1;
	/** Keyed `<model>:<id>`, as oidc-provider's own memory adapter does. */
	entries: Record<string, Entry>;
}

export type AdapterFactory = (model: string) => Adapter;

function isStoredData(value: unknown): value is StoredData {
	return (
		typeof value === "object" &&
		value !== null &&
		(value as { version?: unknown }).version === 1 &&
		typeof (value as { entries?: unknown }).entries === "object" &&
		(value as { entries?: unknown }).entries !== null
	);
}

/**
 * oidc-provider's storage (sessions, grants, codes, tokens) in one JSON file, so a restart
 * of the development server forgets nothing: accounts linked before keep refreshing. The whole
 * file is rewritten on every change, which is fine at one developer's pace and no further.
 * One process only; this is the development provider's store, not a production adapter.
 */
export function createFileAdapter(
	file: string,
	{
		clockToleranceSeconds,
		now = Date.now,
	}: { clockToleranceSeconds: number; now?: () => number },
): AdapterFactory {
	const stored = readJsonFile(file) ?? { version: 1, entries: {} };
	if (!isStoredData(stored)) {
		throw new Error(
			`${file}: not a development provider data file; delete it to start afresh`,
		);
	}
	const entries = new Map<string, Entry>(Object.entries(stored.entries));

	const live = (entry: Entry | undefined): Entry | undefined =>
		entry !== undefined &&
		(entry.expiresAt === undefined || entry.expiresAt > now())
			? entry
			: undefined;

	function save(): void {
		for (const [key, entry] of entries) {
			if (live(entry) === undefined) entries.delete(key);
		}
		writeJsonFile(file, {
			version: 1,
			entries: Object.fromEntries(entries),
		} satisfies StoredData);
	}

	// A copy, so oidc-provider's changes to what it found reach the file only through upsert.
	const copy = (entry: Entry | undefined): Payload | undefined =>
		entry === undefined ? undefined : structuredClone(entry.payload);

	return (model) => {
		const prefix = `${model}:`;
		const findWhere = (test: (payload: Payload) => boolean) => {
			for (const [key, entry] of entries) {
				if (key.startsWith(prefix) && live(entry) && test(entry.payload))
					return copy(entry);
			}
			return undefined;
		};
		return {
			async upsert(id, payload, expiresIn) {
				entries.set(prefix + id, {
					payload: structuredClone(payload),
					...(typeof expiresIn === "number"
						? { expiresAt: now() + (expiresIn + clockToleranceSeconds) * 1000 }
						: {}),
				});
				save();
			},
			async find(id) {
				return copy(live(entries.get(prefix + id)));
			},
			async findByUid(uid) {
				return findWhere((payload) => payload.uid === uid);
			},
			async findByUserCode(userCode) {
				return findWhere((payload) => payload.userCode === userCode);
			},
			async consume(id) {
				const entry = live(entries.get(prefix + id));
				if (entry === undefined) return;
				entry.payload.consumed = Math.floor(now() / 1000);
				save();
			},
			async destroy(id) {
				if (entries.delete(prefix + id)) save();
			},
			async revokeByGrantId(grantId) {
				let removed = false;
				for (const [key, entry] of entries) {
					if (key.startsWith(prefix) && entry.payload.grantId === grantId) {
						entries.delete(key);
						removed = true;
					}
				}
				if (removed) save();
			},
		};
	};
}

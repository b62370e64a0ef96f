import { decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createKeyRing, generateKey } from "../crypto/index.ts";
import { createStore, type Store } from "../store/index.ts";
import { loadSigningKeys } from "./signing-keys.ts";

const ring = createKeyRing([generateKey("k1")]);
const minute = 60_000;
const t0 = Date.parse("2026-12-04T12:00:00Z");
let store: Store | undefined;

afterEach(async () => {
	await store?.close();
	store = undefined;
});

async function open(now: number) {
	store ??= createStore("sqlite::memory:");
	await store.migrate();
	return loadSigningKeys({
		store,
		ring,
		issuer: "http://tether.test",
		audience: "tether",
		now,
	});
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const sign = (keys: Awaited<ReturnType<typeof open>>, now: number) =>
	keys.sign({ sub: "u1" }, { expiresInSeconds: 900, now });

describe("session-signing keys", () => {
	it("rotates without signing anyone out, and retires a key an hour after it was superseded", async () => {
		const keys = await open(t0);
		const first = await sign(keys, t0);

		const b = await keys.rotate(t0 + 10 * minute);
		expect(b.retired).toEqual([]);
		const second = await sign(keys, t0 + 11 * minute);
		expect(kidOf(second)).toBe(b.kid);
		expect(await keys.verify(first, t0 + 11 * minute)).not.toBeNull();

		const c = await keys.rotate(t0 + 10 * minute + 2 * 60 * minute);
		expect(c.retired).toEqual([kidOf(first)]);
		expect(keys.jwks().keys.map((k) => k.kid)).toEqual([c.kid, b.kid]);
		expect(
			await keys.verify(first, t0 + 10 * minute + 2 * 60 * minute),
		).toBeNull();
	});

	it("another process signs with the new key within a minute", async () => {
		const rotator = await open(t0);
		const other = await open(t0);
		const { kid } = await rotator.rotate(t0 + 20_000);
		expect(kidOf(await sign(other, t0 + 40_000))).not.toBe(kid);
		expect(kidOf(await sign(other, t0 + 61_000))).toBe(kid);
	});
});

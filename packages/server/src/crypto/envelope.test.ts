import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
	createKeyRing,
	decrypt,
	EnvelopeError,
	type EnvelopeErrorCode,
	encrypt,
	generateKey,
	keyIdOf,
	parseKeyList,
} from "./index.ts";

// Fixed, recognisable key bytes so a test can search messages for them.
const k1Bytes = Buffer.alloc(32, 0x11).toString("base64");
const k2Bytes = Buffer.alloc(32, 0x22).toString("base64");
const k1 = `k1:${k1Bytes}`;
const k2 = `k2:${k2Bytes}`;
const aad = {
	table: "connected_accounts",
	rowId: "ca_A",
	field: "access_token_enc",
};

function codeOf(run: () => unknown): EnvelopeErrorCode | "no error" {
	try {
		run();
	} catch (error) {
		if (error instanceof EnvelopeError) return error.code;
		throw error;
	}
	return "no error";
}

function errorOf(run: () => unknown): EnvelopeError {
	try {
		run();
	} catch (error) {
		if (error instanceof EnvelopeError) return error;
		throw error;
	}
	throw new Error("expected an EnvelopeError");
}

/** Flips one bit of the decoded bytes of part `index` and re-encodes it canonically. */
function flipByte(envelope: string, index: 2 | 3, byte: number): string {
	const parts = envelope.split(".");
	const bytes = Buffer.from(parts[index] ?? "", "base64url");
	const at = byte < 0 ? bytes.length + byte : byte;
	bytes[at] = (bytes[at] ?? 0) ^ 0x01;
	parts[index] = bytes.toString("base64url");
	return parts.join(".");
}

describe("envelope round trip", () => {
	const ring = createKeyRing([k1, k2]);

	it.each([
		["an ordinary token", "ya29.a0AfH6SMBx-example_token"],
		["the empty string", ""],
		["unicode", "jeton-été-東京-🔑\u0000end"],
		["a long token", "x".repeat(64 * 1024)],
		["JSON", JSON.stringify({ accessToken: "a", refreshToken: "r" })],
	])("keeps %s intact", (_name, plaintext) => {
		const envelope = encrypt(ring, plaintext, aad);
		expect(decrypt(ring, envelope, aad)).toBe(plaintext);
	});

	it("writes the documented format under the primary key", () => {
		const envelope = encrypt(ring, "secret-token", aad);
		expect(envelope).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
		expect(keyIdOf(envelope)).toBe("k1");
		expect(envelope).not.toContain("secret-token");
		// 12 plaintext bytes + 16 tag bytes.
		const body = Buffer.from(envelope.split(".")[3] ?? "", "base64url");
		expect(body.length).toBe(12 + 16);
	});

	it("uses a fresh IV every time", () => {
		const ivs = new Set<string>();
		const bodies = new Set<string>();
		for (let i = 0; i < 1000; i++) {
			const [, , iv, body] = encrypt(ring, "same", aad).split(".");
			ivs.add(iv ?? "");
			bodies.add(body ?? "");
		}
		expect(ivs.size).toBe(1000);
		expect(bodies.size).toBe(1000);
	});
});

describe("envelope tampering", () => {
	const ring = createKeyRing([k1, k2]);
	const envelope = encrypt(ring, "refresh-token-value", aad);

	it.each([
		["the first iv byte", () => flipByte(envelope, 2, 0)],
		["the last iv byte", () => flipByte(envelope, 2, -1)],
		["a ciphertext byte", () => flipByte(envelope, 3, 0)],
		["a tag byte", () => flipByte(envelope, 3, -1)],
		[
			"the key id (to another key in the ring)",
			() => envelope.replace(".k1.", ".k2."),
		],
	])("rejects a change to %s as ENVELOPE_AUTH_FAILED", (_name, tamper) => {
		const changed = tamper();
		expect(changed).not.toBe(envelope);
		expect(codeOf(() => decrypt(ring, changed, aad))).toBe(
			"ENVELOPE_AUTH_FAILED",
		);
	});

	it("rejects an unknown version as ENVELOPE_MALFORMED", () => {
		const changed = `v2${envelope.slice(2)}`;
		expect(codeOf(() => decrypt(ring, changed, aad))).toBe(
			"ENVELOPE_MALFORMED",
		);
		expect(codeOf(() => keyIdOf(changed))).toBe("ENVELOPE_MALFORMED");
	});

	it.each([
		["empty", ""],
		["plaintext", "not-an-envelope"],
		["three parts", envelope.split(".").slice(0, 3).join(".")],
		["five parts", `${envelope}.x`],
		["a bad key id", envelope.replace(".k1.", ".k+1.")],
		["a short iv", envelope.replace(/\.([^.]{16})\./, ".AAAA.")],
		["a body shorter than a tag", envelope.replace(/[^.]+$/, "A".repeat(20))],
		["a non-base64url body", `${envelope.slice(0, -1)}=`],
		// Same bytes, different spelling: accepting it would make two strings one value.
		["a non-canonical body", nonCanonicalBody(envelope)],
	])("rejects %s as ENVELOPE_MALFORMED", (_name, value) => {
		expect(codeOf(() => decrypt(ring, value, aad))).toBe("ENVELOPE_MALFORMED");
	});

	it("never puts plaintext or ciphertext in the message", () => {
		const error = errorOf(() => decrypt(ring, flipByte(envelope, 3, 0), aad));
		const [, , iv, body] = envelope.split(".");
		expect(error.message).not.toContain("refresh-token-value");
		expect(error.message).not.toContain(iv);
		expect(error.message).not.toContain(body?.slice(0, 12));
	});
});

/**
 * Re-spells the body with a different last character that decodes to the same bytes. The body is
 * 35 bytes (19 + 16), so its last base64url character carries 2 unused low bits: flip one.
 */
function nonCanonicalBody(envelope: string): string {
	const parts = envelope.split(".");
	const body = parts[3] ?? "";
	const alphabet =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const last = alphabet.indexOf(body.at(-1) ?? "A");
	parts[3] = body.slice(0, -1) + alphabet[last ^ 0b01];
	const respelled = parts.join(".");
	if (
		Buffer.from(parts[3], "base64url").compare(
			Buffer.from(body, "base64url"),
		) !== 0
	) {
		throw new Error("test helper: the respelling changed the bytes");
	}
	return respelled;
}

describe("envelope binding to row and field", () => {
	const ring = createKeyRing([k1]);
	const fromRowA = encrypt(ring, "token-of-A", aad);

	it("fails when a value is copied to another row", () => {
		expect(
			codeOf(() => decrypt(ring, fromRowA, { ...aad, rowId: "ca_B" })),
		).toBe("ENVELOPE_AUTH_FAILED");
	});

	it("fails when a value is copied to another field of the same row", () => {
		expect(
			codeOf(() =>
				decrypt(ring, fromRowA, { ...aad, field: "refresh_token_enc" }),
			),
		).toBe("ENVELOPE_AUTH_FAILED");
	});

	it("fails when a value is copied to another table", () => {
		expect(
			codeOf(() => decrypt(ring, fromRowA, { ...aad, table: "revocations" })),
		).toBe("ENVELOPE_AUTH_FAILED");
	});

	it("cannot be fooled by moving text between AAD parts", () => {
		const a = encrypt(ring, "t", { table: "x", rowId: "a.b", field: "c" });
		expect(
			codeOf(() => decrypt(ring, a, { table: "x", rowId: "a", field: "b.c" })),
		).toBe("ENVELOPE_AUTH_FAILED");
	});
});

describe("key ring", () => {
	it("decrypts with a secondary key after the primary changed", () => {
		const before = createKeyRing([k1]);
		const envelope = encrypt(before, "old-token", aad);
		const after = createKeyRing([k2, k1]);
		expect(after.primaryKeyId).toBe("k2");
		expect(after.keyIds).toEqual(["k2", "k1"]);
		expect(decrypt(after, envelope, aad)).toBe("old-token");
		expect(keyIdOf(encrypt(after, "new-token", aad))).toBe("k2");
	});

	it("reports a key id the ring no longer has as ENVELOPE_UNKNOWN_KEY", () => {
		const envelope = encrypt(createKeyRing([k1]), "t", aad);
		const error = errorOf(() => decrypt(createKeyRing([k2]), envelope, aad));
		expect(error.code).toBe("ENVELOPE_UNKNOWN_KEY");
		expect(error.keyId).toBe("k1");
	});

	it("shows no key material when inspected or serialised", () => {
		const ring = createKeyRing([k1, k2]);
		const shown = `${inspect(ring, { showHidden: true, depth: 5 })} ${JSON.stringify(ring)}`;
		expect(shown).not.toContain(k1Bytes);
		expect(shown).not.toContain(k2Bytes);
		expect(shown).toContain("k1");
	});

	it("rejects a look-alike object that createKeyRing did not make", () => {
		expect(() =>
			encrypt({ primaryKeyId: "k1", keyIds: ["k1"] }, "t", aad),
		).toThrow(TypeError);
	});

	const longId = "a".repeat(33);
	it.each([
		["no keys", [], undefined, undefined],
		["a missing colon", [k1, k2Bytes], 1, undefined],
		["an empty id", [`:${k1Bytes}`], 0, undefined],
		["an id that is too long", [`${longId}:${k1Bytes}`], 0, undefined],
		["an id with a dot", [`k.1:${k1Bytes}`], 0, undefined],
		// The key pasted before its id: the "id" is key material and must not be echoed.
		["key and id swapped", [`${k1Bytes}:k1`], 0, undefined],
		["a duplicate id", [k1, `k1:${k2Bytes}`], 1, "k1"],
		[
			"a 16-byte key",
			[`k1:${Buffer.alloc(16, 0x11).toString("base64")}`],
			0,
			"k1",
		],
		[
			"a 33-byte key",
			[k2, `k3:${Buffer.alloc(33, 0x11).toString("base64")}`],
			1,
			"k3",
		],
		["a hex key", [`k1:${Buffer.alloc(32, 0x11).toString("hex")}`], 0, "k1"],
		["a non-base64 key", [`k1:*${k1Bytes}`], 0, "k1"],
	])(
		"rejects %s, naming the entry but not its key",
		(_name, keys, keyIndex, keyId) => {
			const error = errorOf(() => createKeyRing(keys));
			expect(error.code).toBe("KEY_INVALID");
			expect(error.keyIndex).toBe(keyIndex);
			expect(error.keyId).toBe(keyId);
			if (keyIndex !== undefined) {
				expect(error.message).toContain(`[${keyIndex}]`);
			}
			if (keyId !== undefined) expect(error.message).toContain(`"${keyId}"`);
			for (const entry of keys) {
				const material = entry.slice(entry.indexOf(":") + 1);
				expect(error.message).not.toContain(material);
				expect(error.message).not.toContain(material.slice(0, 8));
			}
			expect(error.message).not.toContain(k1Bytes.slice(0, 8));
			expect(error.message).not.toContain(k2Bytes.slice(0, 8));
		},
	);

	it("accepts base64url and unpadded keys, and surrounding spaces", () => {
		const raw = Buffer.alloc(32, 0xfb);
		const ring = createKeyRing([
			` a:${raw.toString("base64url")} `,
			`b:${raw.toString("base64").replace(/=+$/, "")}`,
		]);
		const envelope = encrypt(ring, "t", aad);
		expect(
			decrypt(
				createKeyRing([
					`x:${raw.toString("base64")}`,
					`a:${raw.toString("base64")}`,
				]),
				envelope,
				aad,
			),
		).toBe("t");
	});
});

describe("parseKeyList", () => {
	it("splits TETHER_ENCRYPTION_KEYS on commas, trimming and dropping empties", () => {
		expect(parseKeyList(` ${k2} , ${k1},, `)).toEqual([k2, k1]);
		expect(parseKeyList("")).toEqual([]);
		expect(createKeyRing(parseKeyList(`${k2},${k1}`)).primaryKeyId).toBe("k2");
	});
});

describe("generateKey", () => {
	it("makes a usable key under the given id", () => {
		const entry = generateKey("k9");
		expect(entry).toMatch(/^k9:[A-Za-z0-9+/]{43}=$/);
		const ring = createKeyRing([entry]);
		expect(decrypt(ring, encrypt(ring, "t", aad), aad)).toBe("t");
	});

	it("defaults to a dated, random id and fresh bytes each time", () => {
		const a = generateKey();
		const b = generateKey();
		expect(a).toMatch(/^k\d{8}-[0-9a-f]{4}:/);
		expect(a.split(":")[1]).not.toBe(b.split(":")[1]);
		expect(createKeyRing([a]).primaryKeyId).toBe(a.split(":")[0]);
	});

	it("refuses an id the envelope header could not carry", () => {
		expect(codeOf(() => generateKey("bad.id"))).toBe("KEY_INVALID");
	});
});

import {
	type CryptoKey,
	exportJWK,
	generateKeyPair,
	importJWK,
	type JSONWebKeySet,
	type JWK,
	type JWTPayload,
	jwtVerify,
	SignJWT,
} from "jose";
import { decrypt, encrypt, type KeyRing } from "../crypto/index.ts";
import type { SigningKeyRow, Store } from "../store/index.ts";
import { randomToken } from "./random.ts";

/** ES256: small signatures, and every JOSE library an app backend might use verifies it. */
const alg = "ES256";

function aadOf(kid: string) {
	return { table: "signing_keys", rowId: kid, field: "private_jwk_enc" };
}

interface LoadedKey {
	kid: string;
	createdAt: number;
	publicJwk: JWK;
	verifyKey: CryptoKey;
}

export interface SigningKeys {
	/** Signs claims with the newest key. */
	sign(
		claims: JWTPayload,
		input: { expiresInSeconds: number; now: number },
	): Promise<string>;
	/** Verifies signature, issuer, audience and expiry; null for anything that fails. */
	verify(token: string, now: number): Promise<JWTPayload | null>;
	/** The public keys every process of this deployment signs with (`/.well-known/jwks.json`). */
	jwks(): JSONWebKeySet;
	/**
	 * Adds a new signing key; old ones keep verifying, so nobody is signed out. Keys superseded more
	 * than `retireAfterMs` ago (default an hour: every session JWT they signed has expired, and
	 * JWKS caches have moved on) are retired in the same call. Resolves with the new key's id and
	 * the retired ones.
	 */
	rotate(
		now: number,
		options?: { retireAfterMs?: number },
	): Promise<{ kid: string; retired: string[] }>;
}

/** How stale a process's view of the key table may get before signing re-reads it. */
const reloadIntervalMs = 60_000;
const defaultRetireAfterMs = 3_600_000;

/**
 * Session-signing keys live in the database, their private halves encrypted like provider tokens,
 * so every process sharing the database signs and verifies the same sessions. The first process to
 * find none creates one; if two race, both keys are kept and both verify.
 */
export async function loadSigningKeys(input: {
	store: Store;
	ring: KeyRing;
	issuer: string;
	audience: string;
	now: number;
}): Promise<SigningKeys> {
	const { store, ring, issuer, audience } = input;
	let keys: LoadedKey[] = [];
	let signing: { kid: string; key: CryptoKey } | undefined;
	let lastReload = 0;

	async function createKey(now: number): Promise<string> {
		const { publicKey, privateKey } = await generateKeyPair(alg, {
			extractable: true,
		});
		const kid = `sk_${randomToken(9)}`;
		const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
		const privateJwk = await exportJWK(privateKey);
		const row: SigningKeyRow = {
			kid,
			alg,
			publicJwk,
			privateJwkEnc: encrypt(ring, JSON.stringify(privateJwk), aadOf(kid)),
			createdAt: now,
			retiredAt: null,
		};
		await store.insertSigningKey(row);
		return kid;
	}

	async function reload(now: number): Promise<void> {
		lastReload = now;
		const rows = (await store.listSigningKeys()).filter(
			(row) => row.retiredAt === null,
		);
		const loaded: LoadedKey[] = [];
		for (const row of rows) {
			const publicJwk: JWK = { ...row.publicJwk };
			loaded.push({
				kid: row.kid,
				createdAt: row.createdAt,
				publicJwk,
				verifyKey: await asKey(publicJwk),
			});
		}
		loaded.sort(
			(a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid),
		);
		keys = loaded;
		const newest = rows.find((row) => row.kid === loaded[0]?.kid);
		if (newest !== undefined && newest.kid !== signing?.kid) {
			const privateJwk: unknown = JSON.parse(
				decrypt(ring, newest.privateJwkEnc, aadOf(newest.kid)),
			);
			if (typeof privateJwk !== "object" || privateJwk === null)
				throw new Error("stored signing key is not a JWK");
			signing = { kid: newest.kid, key: await asKey(privateJwk) };
		}
	}

	await reload(input.now);
	if (keys.length === 0) {
		await createKey(input.now);
		await reload(input.now);
	}

	return {
		async sign(claims, { expiresInSeconds, now }) {
			// Another process (or `tether keys rotate-signing`) may have added a newer key.
			if (now - lastReload > reloadIntervalMs) await reload(now);
			if (signing === undefined) throw new Error("no signing key loaded");
			const iat = Math.floor(now / 1000);
			return new SignJWT(claims)
				.setProtectedHeader({ alg, kid: signing.kid, typ: "JWT" })
				.setIssuer(issuer)
				.setAudience(audience)
				.setIssuedAt(iat)
				.setExpirationTime(iat + expiresInSeconds)
				.sign(signing.key);
		},
		async verify(token, now) {
			const kid = kidOf(token);
			if (kid === undefined) return null;
			let key = keys.find((k) => k.kid === kid);
			// A key another process just created: look again, at most once a second.
			if (key === undefined && now - lastReload > 1000) {
				await reload(now);
				key = keys.find((k) => k.kid === kid);
			}
			if (key === undefined) return null;
			try {
				const { payload } = await jwtVerify(token, key.verifyKey, {
					issuer,
					audience,
					algorithms: [alg],
					currentDate: new Date(now),
				});
				return payload;
			} catch {
				return null;
			}
		},
		jwks() {
			return { keys: keys.map((k) => k.publicJwk) };
		},
		async rotate(now, options = {}) {
			const retireAfterMs = options.retireAfterMs ?? defaultRetireAfterMs;
			const kid = await createKey(now);
			await reload(now);
			// `keys` is newest first; each key was superseded when the one before it was created.
			const retired: string[] = [];
			for (let i = 1; i < keys.length; i++) {
				const supersededAt = keys[i - 1]?.createdAt ?? now;
				const key = keys[i];
				if (key !== undefined && now - supersededAt > retireAfterMs) {
					await store.retireSigningKey(key.kid, now);
					retired.push(key.kid);
				}
			}
			if (retired.length > 0) await reload(now);
			return { kid, retired };
		},
	};
}

async function asKey(jwk: JWK | object): Promise<CryptoKey> {
	const key = await importJWK(jwk as JWK, alg);
	if (key instanceof Uint8Array) throw new Error("expected an asymmetric key");
	return key;
}

function kidOf(token: string): string | undefined {
	const header = token.split(".", 1)[0];
	if (header === undefined || header.length === 0 || header.length > 512)
		return undefined;
	try {
		const parsed: unknown = JSON.parse(
			Buffer.from(header, "base64url").toString("utf8"),
		);
		if (
			typeof parsed === "object" &&
			parsed !== null &&
			"kid" in parsed &&
			typeof parsed.kid === "string"
		) {
			return parsed.kid;
		}
	} catch {
		// Not a JWT header; the caller treats it as an invalid credential.
	}
	return undefined;
}

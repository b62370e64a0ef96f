import { generateKeyPairSync } from "node:crypto";
import { getCatalogEntry } from "@tether/oauth";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { ConfigError, type ProviderConfig } from "../config/index.ts";
import { createClientCredentials } from "./client-credentials.ts";

const apple = getCatalogEntry("apple");
if (apple === undefined) throw new Error("apple is in the catalog");

function p256() {
	const { privateKey, publicKey } = generateKeyPairSync("ec", {
		namedCurve: "prime256v1",
	});
	return {
		pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
		publicKey,
	};
}

function appleConfig(privateKey: string | undefined): ProviderConfig {
	return {
		id: "apple",
		type: "apple",
		clientId: "com.example.web",
		clientSecretJwt: {
			teamId: "TEAM123456",
			keyId: "KEY1234567",
			...(privateKey === undefined ? {} : { privateKey }),
		},
	};
}

describe("client credentials", () => {
	it("presents the configured secret as it is", () => {
		const github = getCatalogEntry("github");
		if (github === undefined) throw new Error("github is in the catalog");
		const credentials = createClientCredentials({
			config: {
				id: "github",
				type: "github",
				clientId: "gh-client",
				clientSecret: "gh-secret",
			},
			index: 0,
			entry: github,
			audience: undefined,
			now: Date.now,
		});
		expect(credentials()).toEqual({
			clientId: "gh-client",
			clientSecret: "gh-secret",
			authMethod: github.clientAuth,
		});
	});

	it("signs Apple's client secret as an ES256 JWT and renews it before it expires", async () => {
		const key = p256();
		let clock = Date.parse("2026-12-04T12:00:00Z");
		const credentials = createClientCredentials({
			config: appleConfig(key.pem),
			index: 0,
			entry: apple,
			audience: "https://appleid.apple.com",
			now: () => clock,
		});
		const first = credentials();
		expect(first.clientId).toBe("com.example.web");
		expect(first.authMethod).toBe("client_secret_post");
		const secret = first.clientSecret ?? "";
		expect(decodeProtectedHeader(secret)).toEqual({
			alg: "ES256",
			kid: "KEY1234567",
		});
		const { payload } = await jwtVerify(secret, key.publicKey, {
			issuer: "TEAM123456",
			subject: "com.example.web",
			audience: "https://appleid.apple.com",
			currentDate: new Date(clock),
		});
		expect(payload.exp).toBe(Math.floor(clock / 1000) + 3600);

		clock += 40 * 60_000;
		expect(credentials().clientSecret).toBe(secret);
		clock += 15 * 60_000;
		const renewed = credentials().clientSecret ?? "";
		expect(renewed).not.toBe(secret);
		await jwtVerify(renewed, key.publicKey, { currentDate: new Date(clock) });
	});

	it("refuses a missing, unreadable or non-P-256 key at start-up, naming the field", () => {
		const build = (privateKey: string | undefined) => () =>
			createClientCredentials({
				config: appleConfig(privateKey),
				index: 2,
				entry: apple,
				audience: "https://appleid.apple.com",
				now: Date.now,
			});
		const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
			.privateKey.export({ type: "pkcs8", format: "pem" })
			.toString();
		for (const [privateKey, problem] of [
			[undefined, "providers[2].clientSecretJwt.privateKey: missing"],
			["not a key", "providers[2].clientSecretJwt.privateKey: not a PEM"],
			[rsa, "providers[2].clientSecretJwt.privateKey: must be a P-256"],
		] as const) {
			const attempt = build(privateKey);
			expect(attempt).toThrow(ConfigError);
			expect(attempt).toThrow(problem);
		}
		expect(() =>
			createClientCredentials({
				config: { id: "apple", type: "apple", clientId: "com.example.web" },
				index: 0,
				entry: apple,
				audience: "https://appleid.apple.com",
				now: Date.now,
			}),
		).toThrow("providers[0].clientSecretJwt: Apple signs client secrets");
	});
});

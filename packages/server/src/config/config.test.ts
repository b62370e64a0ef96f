import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "./index.ts";

const key = `k1:${Buffer.alloc(32, 7).toString("base64")}`;
const secretKey = `tsk_${"a".repeat(40)}`;

function production(overrides: Record<string, unknown> = {}) {
	return {
		baseUrl: "https://tether.example.com",
		database: "sqlite:./x.db",
		encryptionKeys: [key],
		secretKeys: [secretKey],
		allowedRedirectUrls: ["https://app.example.com/"],
		providers: [
			{ id: "google", type: "google", clientId: "id", clientSecret: "s" },
		],
		...overrides,
	};
}

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
	try {
		parseConfig(raw, env);
		return [];
	} catch (error) {
		if (error instanceof ConfigError) return error.problems;
		throw error;
	}
}

describe("config", () => {
	it("accepts the documented contract and fills the defaults", () => {
		const config = parseConfig(production());
		expect(config).toMatchObject({
			mode: "production",
			refreshMarginSeconds: 300,
			providerTimeoutSeconds: 10,
			exposeProviderRefreshTokens: true,
			allowInsecureProviders: false,
			developmentProvider: false,
		});
	});

	it("names the field of every problem", () => {
		expect(
			problemsOf({
				...production(),
				baseUrl: "not a url",
				refreshMarginSeconds: -1,
			}),
		).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^baseUrl:/),
				expect.stringMatching(/^refreshMarginSeconds:/),
			]),
		);
		expect(problemsOf({ ...production(), unknownField: 1 })).toEqual([
			expect.stringContaining("unknownField"),
		]);
		expect(
			problemsOf(
				production({
					providers: [{ id: "Bad Id", type: "google", clientId: "x" }],
				}),
			),
		).toEqual([expect.stringMatching(/^providers\.0\.id:/)]);
	});

	it("refuses unsafe production settings", () => {
		expect(problemsOf(production({ encryptionKeys: [] }))).toEqual([
			expect.stringMatching(/^encryptionKeys:/),
		]);
		expect(problemsOf(production({ allowedRedirectUrls: [] }))).toEqual([
			expect.stringMatching(/^allowedRedirectUrls:/),
		]);
		expect(problemsOf(production({ developmentProvider: true }))).toEqual([
			expect.stringMatching(/^developmentProvider:/),
		]);
		expect(
			problemsOf(production({ baseUrl: "http://tether.example.com" })),
		).toEqual([expect.stringMatching(/^baseUrl:/)]);
		expect(
			problemsOf(
				production({
					providers: [
						{
							id: "acme",
							type: "oidc",
							clientId: "x",
							issuer: "http://id.acme.test",
						},
					],
				}),
			),
		).toEqual([expect.stringMatching(/^providers\[0\]\.issuer:/)]);
	});

	it("lets http:// provider endpoints through only on loopback with allowInsecureProviders", () => {
		const loopback = {
			id: "local",
			type: "oidc",
			clientId: "x",
			issuer: "http://127.0.0.1:9999",
		};
		expect(problemsOf(production({ providers: [loopback] }))).toHaveLength(1);
		expect(
			problemsOf(
				production({ providers: [loopback], allowInsecureProviders: true }),
			),
		).toEqual([]);
		const remote = { ...loopback, issuer: "http://10.0.0.1:9999" };
		expect(
			problemsOf(
				production({ providers: [remote], allowInsecureProviders: true }),
			),
		).toHaveLength(1);
	});

	it("rejects duplicate provider ids and weak secret keys", () => {
		const google = { id: "google", type: "google", clientId: "x" };
		expect(problemsOf(production({ providers: [google, google] }))).toEqual([
			expect.stringMatching(/^providers\[1\]\.id:/),
		]);
		expect(problemsOf(production({ secretKeys: ["tsk_short"] }))).toEqual([
			expect.stringMatching(/^secretKeys\[0\]:/),
		]);
	});

	it("takes secrets from the environment over the file", () => {
		const config = parseConfig(
			production({ encryptionKeys: undefined, secretKeys: undefined }),
			{
				TETHER_ENCRYPTION_KEYS: `${key}, k0:${Buffer.alloc(32, 1).toString("base64")}`,
				TETHER_SECRET_KEYS: secretKey,
			},
		);
		expect(config.encryptionKeys).toHaveLength(2);
		expect(config.secretKeys).toEqual([secretKey]);
	});

	it("takes provider secrets from TETHER_PROVIDER_<ID>_… over the file", () => {
		const config = parseConfig(
			production({
				providers: [
					{ id: "github-work", type: "github", clientId: "id" },
					{
						id: "apple",
						type: "apple",
						clientId: "com.example.web",
						clientSecretJwt: { teamId: "T", keyId: "K", privateKey: "file" },
					},
					{ id: "google", type: "google", clientId: "id", clientSecret: "s" },
				],
			}),
			{
				TETHER_PROVIDER_GITHUB_WORK_CLIENT_SECRET: "from-env",
				TETHER_PROVIDER_APPLE_PRIVATE_KEY: "pem-from-env",
			},
		);
		expect(config.providers.map((p) => p.clientSecret)).toEqual([
			"from-env",
			undefined,
			"s",
		]);
		expect(config.providers[1]?.clientSecretJwt).toEqual({
			teamId: "T",
			keyId: "K",
			privateKey: "pem-from-env",
		});
	});

	it("takes an admin secret (long enough in production) and keeps metrics private by default", () => {
		const strong = "s".repeat(32);
		expect(parseConfig(production())).toMatchObject({
			metrics: { public: false },
		});
		expect(parseConfig(production()).adminSecret).toBeUndefined();
		expect(parseConfig(production({ adminSecret: strong })).adminSecret).toBe(
			strong,
		);
		expect(
			parseConfig(production({ adminSecret: "file-secret" }), {
				TETHER_ADMIN_SECRET: strong,
			}).adminSecret,
		).toBe(strong);
		expect(problemsOf(production({ adminSecret: "short" }))).toEqual([
			expect.stringMatching(/^adminSecret:/),
		]);
		expect(problemsOf(production(), { TETHER_ADMIN_SECRET: "short" })).toEqual([
			expect.stringMatching(/^adminSecret:/),
		]);
		expect(
			parseConfig(production({ metrics: { public: true } })).metrics,
		).toEqual({ public: true });
		expect(problemsOf(production({ metrics: { open: true } }))).toEqual([
			expect.stringContaining("metrics"),
		]);
	});

	it("without TETHER_CONFIG runs the development setup and keeps its generated keys", () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-config-"));
		const warnings: string[] = [];
		const first = loadConfig({
			env: { PORT: "4321" },
			cwd,
			warn: (m) => warnings.push(m),
		});
		expect(first).toMatchObject({
			mode: "development",
			baseUrl: "http://127.0.0.1:4321",
			database: `sqlite:${join(cwd, ".tether/tether.db")}`,
			developmentProvider: true,
		});
		expect(warnings).toHaveLength(1);
		expect(statSync(join(cwd, ".tether/secrets.json")).mode & 0o777).toBe(
			0o600,
		);
		const second = loadConfig({ env: {}, cwd, warn: (m) => warnings.push(m) });
		expect(second.encryptionKeys).toEqual(first.encryptionKeys);
		expect(warnings).toHaveLength(1);
		expect(readFileSync(join(cwd, ".tether/secrets.json"), "utf8")).toContain(
			first.encryptionKeys[0],
		);
	});

	it("reports an unreadable or malformed config file by path, not by content", () => {
		const cwd = mkdtempSync(join(tmpdir(), "tether-config-"));
		writeFileSync(
			join(cwd, "tether.json"),
			'{ "baseUrl": "secret-looking-value" ',
		);
		expect(() =>
			loadConfig({ env: { TETHER_CONFIG: "tether.json" }, cwd }),
		).toThrow(/tether\.json is not valid JSON/);
		expect(() =>
			loadConfig({ env: { TETHER_CONFIG: "missing.json" }, cwd }),
		).toThrow(/cannot be read/);
	});
});

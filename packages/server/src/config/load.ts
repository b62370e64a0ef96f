import { randomBytes } from "node:crypto";
import {
	chmodSync,
	existsSync,
	mkdirSync,
	readFileSync,
	writeFileSync,
} from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { developmentProviderIssuer } from "../dev-provider/index.ts";
import {
	applyEnvironment,
	ConfigError,
	findProblems,
	type TetherConfig,
} from "./resolve.ts";
import { configFileSchema } from "./schema.ts";

export interface LoadConfigInput {
	env: Record<string, string | undefined>;
	cwd: string;
	/** Called with human-facing warnings (the development key, …). */
	warn?: (message: string) => void;
}

/** Validates a parsed config file; the thrown `ConfigError` names every bad field. */
export function parseConfig(
	raw: unknown,
	env: Record<string, string | undefined> = {},
): TetherConfig {
	const parsed = configFileSchema.safeParse(raw);
	if (!parsed.success) {
		throw new ConfigError(
			parsed.error.issues.map(
				(issue) =>
					`${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`,
			),
		);
	}
	const config = applyEnvironment(parsed.data, env);
	const problems = findProblems(config);
	if (problems.length > 0) throw new ConfigError(problems);
	return config;
}

/**
 * `TETHER_CONFIG` names a JSON file (production unless it says `"mode": "development"`); without
 * it, the development setup: SQLite and generated keys under `./.tether/`, and the built-in
 * development provider as provider `dev`.
 */
export function loadConfig({
	env,
	cwd,
	warn = () => {},
}: LoadConfigInput): TetherConfig {
	const path = env.TETHER_CONFIG;
	if (path !== undefined && path !== "") {
		const file = resolve(cwd, path);
		let raw: unknown;
		try {
			raw = JSON.parse(readFileSync(file, "utf8"));
		} catch (error) {
			const reason =
				error instanceof SyntaxError ? "is not valid JSON" : "cannot be read";
			throw new ConfigError([`TETHER_CONFIG: ${file} ${reason}`]);
		}
		return withAbsoluteDatabase(parseConfig(raw, env), cwd);
	}
	return withAbsoluteDatabase(developmentConfig({ env, cwd, warn }), cwd);
}

interface DevelopmentSecrets {
	encryptionKeys: string[];
	secretKeys: string[];
	/** Tether's client secret at the development provider. */
	developmentProviderClientSecret: string;
}

/** The development provider as the development setup configures it: provider `dev`. */
const developmentProviderId = "dev";
const developmentProviderClientId = "tether-dev";

function developmentConfig({
	env,
	cwd,
	warn = () => {},
}: LoadConfigInput): TetherConfig {
	const port = env.PORT ?? "3000";
	const baseUrl = `http://127.0.0.1:${port}`;
	const secrets = readOrCreateDevelopmentSecrets(
		resolve(cwd, ".tether/secrets.json"),
		warn,
	);
	return parseConfig(
		{
			mode: "development",
			baseUrl,
			database: "sqlite:./.tether/tether.db",
			encryptionKeys: secrets.encryptionKeys,
			secretKeys: secrets.secretKeys,
			allowedRedirectUrls: [`${baseUrl}/`, `http://localhost:${port}/`],
			allowInsecureProviders: true,
			developmentProvider: true,
			providers: [
				{
					id: developmentProviderId,
					type: "oidc",
					issuer: developmentProviderIssuer(baseUrl),
					clientId: developmentProviderClientId,
					clientSecret: secrets.developmentProviderClientSecret,
					scopes: ["openid", "email", "profile", "offline_access"],
					// Every sign-in shows both pages: the name (so connecting a second account as
					// someone else is one form away; it is prefilled) and the consent screen. OIDC
					// also grants `offline_access` only with prompt=consent.
					params: { prompt: "login consent" },
					// Its access tokens live 60 s. With the default margin (300 s) every token
					// would count as expiring and each call would refresh; with 20 s one token
					// serves for about 40 s and then the refresh is there to see.
					refreshMarginSeconds: 20,
				},
			],
		},
		env,
	);
}

function generateClientSecret(): string {
	return randomBytes(32).toString("base64url");
}

function writeSecrets(file: string, secrets: object): void {
	mkdirSync(dirname(file), { recursive: true });
	writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
	chmodSync(file, 0o600);
}

function readOrCreateDevelopmentSecrets(
	file: string,
	warn: (message: string) => void,
): DevelopmentSecrets {
	if (existsSync(file)) {
		const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
		if (
			typeof parsed === "object" &&
			parsed !== null &&
			"encryptionKeys" in parsed &&
			"secretKeys" in parsed &&
			Array.isArray(parsed.encryptionKeys) &&
			Array.isArray(parsed.secretKeys)
		) {
			const stored =
				"developmentProviderClientSecret" in parsed &&
				typeof parsed.developmentProviderClientSecret === "string" &&
				parsed.developmentProviderClientSecret !== ""
					? parsed.developmentProviderClientSecret
					: undefined;
			// A secrets file from before the development provider: add its client secret, keep
			// everything else as it was.
			const developmentProviderClientSecret = stored ?? generateClientSecret();
			if (stored === undefined) {
				writeSecrets(file, { ...parsed, developmentProviderClientSecret });
			}
			return {
				encryptionKeys: parsed.encryptionKeys.filter(
					(k): k is string => typeof k === "string",
				),
				secretKeys: parsed.secretKeys.filter(
					(k): k is string => typeof k === "string",
				),
				developmentProviderClientSecret,
			};
		}
		throw new ConfigError([
			`${file}: not a Tether development secrets file; delete it to start afresh`,
		]);
	}
	const secrets: DevelopmentSecrets = {
		encryptionKeys: [`dev1:${randomBytes(32).toString("base64")}`],
		secretKeys: [`tsk_${randomBytes(24).toString("base64url")}`],
		developmentProviderClientSecret: generateClientSecret(),
	};
	writeSecrets(file, secrets);
	warn(
		`development setup: generated an encryption key, a secret key and the development provider's client secret in ${file}. ` +
			"Fine for trying Tether; for production set TETHER_CONFIG and keep keys out of the working directory.",
	);
	return secrets;
}

/**
 * `sqlite:<relative path>` means relative to the working directory the config was loaded for, not
 * to wherever the process happens to run later (tests and tools load configs for other folders).
 */
function withAbsoluteDatabase(config: TetherConfig, cwd: string): TetherConfig {
	if (!config.database.startsWith("sqlite:")) return config;
	const path = config.database.slice("sqlite:".length);
	if (path === ":memory:" || isAbsolute(path)) return config;
	return { ...config, database: `sqlite:${resolve(cwd, path)}` };
}

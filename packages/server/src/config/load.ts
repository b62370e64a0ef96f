import { randomBytes } from "node:crypto";
import {
	chmodSync,
	existsSync,
	mkdirSync,
	readFileSync,
	writeFileSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
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
 * it, the development setup: SQLite and a generated key under `./.tether/`.
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
		return parseConfig(raw, env);
	}
	return developmentConfig({ env, cwd, warn });
}

interface DevelopmentSecrets {
	encryptionKeys: string[];
	secretKeys: string[];
}

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
		},
		env,
	);
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
			return {
				encryptionKeys: parsed.encryptionKeys.filter(
					(k): k is string => typeof k === "string",
				),
				secretKeys: parsed.secretKeys.filter(
					(k): k is string => typeof k === "string",
				),
			};
		}
		throw new ConfigError([
			`${file}: not a Tether development secrets file; delete it to start afresh`,
		]);
	}
	const secrets: DevelopmentSecrets = {
		encryptionKeys: [`dev1:${randomBytes(32).toString("base64")}`],
		secretKeys: [`tsk_${randomBytes(24).toString("base64url")}`],
	};
	mkdirSync(dirname(file), { recursive: true });
	writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
	chmodSync(file, 0o600);
	warn(
		`development setup: generated an encryption key and a secret key in ${file}. ` +
			"Fine for trying Tether; for production set TETHER_CONFIG and keep keys out of the working directory.",
	);
	return secrets;
}

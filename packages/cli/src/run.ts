import { ConfigError } from "@tether/server";
import { doctor } from "./commands/doctor.ts";
import {
	keysGenerate,
	keysRotate,
	keysRotateSigning,
} from "./commands/keys.ts";
import { migrate } from "./commands/migrate.ts";
import { start } from "./commands/start.ts";
import type { CliIo } from "./io.ts";

const usage = `Usage: tether <command>

Commands:
  start            serve Tether (PORT, default 3000; TETHER_CONFIG names a JSON config file,
                   none runs the development setup under ./.tether/)
  migrate          apply pending database migrations
  keys generate    print a new encryption key ("<id>:<base64>") to add to encryptionKeys
  keys rotate      re-encrypt every stored token under the first key (online, resumable)
  keys rotate-signing
                   add a session-signing key (no one is signed out); retire keys superseded
                   over an hour ago
  doctor           check config, database, key ring and provider discovery
`;

/** Runs one CLI command; resolves to the process exit code. */
export async function run(io: CliIo): Promise<number> {
	const [command, sub] = io.argv;
	try {
		switch (command) {
			case "start":
				return await start(io);
			case "migrate":
				return await migrate(io);
			case "doctor":
				return await doctor(io);
			case "keys":
				if (sub === "generate") return keysGenerate(io);
				if (sub === "rotate") return await keysRotate(io);
				if (sub === "rotate-signing") return await keysRotateSigning(io);
				break;
			case undefined:
			case "help":
			case "--help":
			case "-h":
				io.stdout.write(usage);
				return 0;
		}
		io.stderr.write(`unknown command: ${io.argv.join(" ")}\n\n${usage}`);
		return 2;
	} catch (error) {
		if (error instanceof ConfigError) {
			io.stderr.write(`${error.message}\n`);
			return 1;
		}
		throw error;
	}
}

import {
	chmodSync,
	mkdirSync,
	readFileSync,
	renameSync,
	writeFileSync,
} from "node:fs";
import { dirname } from "node:path";

/** Reads a JSON file; undefined when it does not exist. Anything else unreadable throws. */
export function readJsonFile(file: string): unknown {
	let text: string;
	try {
		text = readFileSync(file, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw error;
	}
	try {
		return JSON.parse(text);
	} catch {
		throw new Error(
			`${file} is not valid JSON; delete it to start the development provider afresh`,
		);
	}
}

/**
 * Writes a JSON file readable by its owner only (0600), through a temporary file and a rename
 * so a crash mid-write never leaves half a file behind.
 */
export function writeJsonFile(
	file: string,
	value: unknown,
	{ indent }: { indent?: number } = {},
): void {
	mkdirSync(dirname(file), { recursive: true });
	const temporary = `${file}.${process.pid}.tmp`;
	writeFileSync(temporary, `${JSON.stringify(value, null, indent)}\n`, {
		mode: 0o600,
	});
	chmodSync(temporary, 0o600);
	renameSync(temporary, file);
}

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
	argv: string[];
	env: Record<string, string | undefined>;
	cwd: string;
	stdout: { write(text: string): unknown; isTTY?: boolean };
	stderr: { write(text: string): unknown };
}

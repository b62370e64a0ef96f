/** One progress report of a key rotation: rows of `table` handled so far out of `total`. */
export interface RotateProgress {
	table: string;
	done: number;
	total: number;
}

const barWidth = 24;
// The longest encrypted table name (`connected_accounts`); padding to it keeps every line the same
// width, so a `\r`-rewritten line never leaves the tail of a longer previous one behind.
const tableWidth = 18;

/**
 * Renders one fixed-width line, e.g. `connected_accounts [#########---------------]  38% 380/1000`.
 * Pure: the CLI decides whether to print it after `\r` (a TTY) or on its own line.
 * A table with nothing to do renders as complete.
 */
export function renderProgress(progress: RotateProgress): string {
	const total = Math.max(0, progress.total);
	const done = Math.min(Math.max(0, progress.done), total);
	const ratio = total === 0 ? 1 : done / total;
	const filled = Math.floor(ratio * barWidth);
	const bar = "#".repeat(filled) + "-".repeat(barWidth - filled);
	const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
	const counts = `${done}/${total}`;
	return `${progress.table.padEnd(tableWidth)} [${bar}] ${percent} ${counts.padEnd(2 * String(total).length + 1)}`;
}

import type { Logger } from "../logger.ts";

export interface BackgroundLoop {
	/** One pass now (tests and tools; the loop runs passes on its own). */
	runOnce(): Promise<number>;
	/** Stops scheduling and waits for a pass in progress. */
	stop(): Promise<void>;
}

/**
 * Runs `pass` again and again, each time `delayMs()` after the previous pass ended (never
 * overlapping), logging a failed pass instead of stopping. Timers are unref'd so a loop never keeps
 * the process alive. With `enabled` false only `runOnce` does anything.
 */
export function startBackgroundLoop(input: {
	name: string;
	enabled: boolean;
	delayMs: () => number;
	pass: () => Promise<number>;
	logger: Logger;
}): BackgroundLoop {
	let timer: NodeJS.Timeout | undefined;
	let running: Promise<number> | undefined;
	let stopped = false;

	function schedule() {
		if (stopped || !input.enabled) return;
		timer = setTimeout(() => {
			running = input
				.pass()
				.catch((error: unknown) => {
					input.logger.error(
						{ err: error instanceof Error ? error.message : String(error) },
						`${input.name} pass failed`,
					);
					return 0;
				})
				.finally(() => {
					running = undefined;
					schedule();
				});
		}, input.delayMs());
		timer.unref();
	}
	schedule();

	return {
		runOnce: input.pass,
		async stop() {
			stopped = true;
			if (timer !== undefined) clearTimeout(timer);
			await running;
		},
	};
}

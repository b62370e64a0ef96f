/** The child side of `forkChild`: nothing else is imported, so the baseline stays bare. */

/** Children answer `{ cpu: true }` with their CPU time; `{ stop: true }` makes them exit. */
export function answerParent(stop: () => Promise<void>): void {
	process.on("message", (message: { cpu?: boolean; stop?: boolean }) => {
		if (message.cpu === true) {
			const { user, system } = process.cpuUsage();
			process.send?.({ cpu: user + system });
		}
		if (message.stop === true)
			void stop()
				.catch(() => {})
				.finally(() => process.exit(0));
	});
}

/** Counts items by a label: readable in an assertion's diff (`{ "tether-1 200": 100, … }`). */
export function tally<T>(
	items: readonly T[],
	label: (item: T) => string,
): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const item of items) {
		const key = label(item);
		counts[key] = (counts[key] ?? 0) + 1;
	}
	return counts;
}

export const sleep = (ms: number) =>
	new Promise<void>((done) => setTimeout(done, Math.max(0, ms)));

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function within<T>(
	promise: Promise<T>,
	ms: number,
	message: string,
): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([
			promise,
			new Promise<never>((_, fail) => {
				timer = setTimeout(() => fail(new Error(message)), ms);
			}),
		]);
	} finally {
		clearTimeout(timer);
	}
}

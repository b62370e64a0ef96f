/** "in 42 s", "3 min ago": how far a moment is from now, for tables. */
export function relativeTime(iso: string | null, now = Date.now()): string {
	if (iso === null) return "—";
	const at = Date.parse(iso);
	if (Number.isNaN(at)) return iso;
	const seconds = Math.round((at - now) / 1000);
	const size = Math.abs(seconds);
	if (size < 3) return "just now";
	const text =
		size < 90
			? `${size} s`
			: size < 90 * 60
				? `${Math.round(size / 60)} min`
				: size < 36 * 3600
					? `${Math.round(size / 3600)} h`
					: `${Math.round(size / 86400)} d`;
	return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

export function percent(rate: number | null): string {
	return rate === null ? "—" : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)}%`;
}

export function clockTime(iso: string): string {
	return new Date(iso).toLocaleTimeString([], {
		hour: "2-digit",
		minute: "2-digit",
	});
}

export function dateTime(iso: string | null): string {
	return iso === null ? "—" : new Date(iso).toLocaleString();
}

/** "1 refresh", "3 refreshes". */
export function count(n: number, one: string, many: string): string {
	return `${n} ${n === 1 ? one : many}`;
}

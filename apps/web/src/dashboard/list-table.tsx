import type { ReactNode } from "react";
import type { Loaded } from "./use-admin.ts";

/**
 * A loaded admin list as the dashboard shows one: loading, the error, an empty-state note, or a
 * captioned table with a header row and one row per item.
 */
export function ListTable<T>({
	result,
	caption,
	columns,
	empty,
	row,
}: {
	result: Loaded<{ items: T[] }>;
	/** Read by screen readers; hidden on screen (each view has its own heading). */
	caption: string;
	columns: readonly string[];
	empty: ReactNode;
	row: (item: T) => ReactNode;
}) {
	if (result.state === "loading") return <p>Loading…</p>;
	if (result.state === "error")
		return (
			<p className="error" role="alert">
				{result.message}
			</p>
		);
	if (result.data.items.length === 0) return <p className="muted">{empty}</p>;
	return (
		<div className="table-wrap">
			<table>
				<caption className="visually-hidden">{caption}</caption>
				<thead>
					<tr>
						{columns.map((column) => (
							<th key={column} scope="col">
								{column}
							</th>
						))}
					</tr>
				</thead>
				<tbody>{result.data.items.map(row)}</tbody>
			</table>
		</div>
	);
}

/**
 * Cursor paging: `trail` holds the cursors that led to the current page (empty: the first), so
 * going back pops one and going on pushes the page's `nextCursor`.
 */
export function Pager({
	trail,
	setTrail,
	nextCursor,
	back,
	forward,
}: {
	trail: string[];
	setTrail: (trail: string[]) => void;
	nextCursor: string | null;
	back: string;
	forward: string;
}) {
	return (
		<div className="actions">
			{trail.length > 0 && (
				<button
					type="button"
					className="secondary"
					onClick={() => setTrail(trail.slice(0, -1))}
				>
					{back}
				</button>
			)}
			{nextCursor !== null && (
				<button
					type="button"
					className="secondary"
					onClick={() => setTrail([...trail, nextCursor])}
				>
					{forward}
				</button>
			)}
		</div>
	);
}

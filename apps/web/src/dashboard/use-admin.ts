import { useCallback, useEffect, useState } from "react";
import { adminFetch, errorText } from "./admin-api.ts";

export type Loaded<T> =
	| { state: "loading" }
	| { state: "error"; message: string }
	| { state: "ok"; data: T };

/** GETs an admin path (re-read when `path` changes or `reload` is called). */
export function useAdmin<T>(path: string | null): {
	result: Loaded<T>;
	reload: () => void;
} {
	const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
	const [round, setRound] = useState(0);
	useEffect(() => {
		if (path === null) return;
		let live = true;
		// Keep showing the last data while re-reading, so tables do not flicker.
		void round;
		adminFetch<T>(path).then(
			(data) => live && setResult({ state: "ok", data }),
			(error: unknown) =>
				live && setResult({ state: "error", message: errorText(error) }),
		);
		return () => {
			live = false;
		};
	}, [path, round]);
	const reload = useCallback(() => setRound((n) => n + 1), []);
	return { result, reload };
}

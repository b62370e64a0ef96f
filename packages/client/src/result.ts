/** The outcome of a call whose failure is expected and handled, as the reference SDK shapes it. */
export type Result<T, E> =
	| { status: "ok"; data: T }
	| { status: "error"; error: E };

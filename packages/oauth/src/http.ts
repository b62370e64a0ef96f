/** The fetch this package calls; `globalThis.fetch` fits. Inject it to control the network. */
export type FetchFn = (request: Request) => Promise<Response>;

/** A provider's answer, read in full, so the processing steps stay synchronous and pure. */
export interface HttpResponse {
	status: number;
	headers: Headers;
	body: string;
}

/** What sending produced: an answer, or the reason there was none. */
export type HttpOutcome =
	| { ok: true; response: HttpResponse }
	| { ok: false; reason: "timeout" | "network" | "aborted"; message: string };

export interface SendOptions {
	/** Default `globalThis.fetch`. */
	fetch?: FetchFn;
	/** Whole-exchange limit, headers and body, in milliseconds. Default 10 000. */
	timeoutMs?: number;
	/** Lets the caller cancel, e.g. when its own request goes away. */
	signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

function describe(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	// Node's fetch hides the socket error (ECONNRESET, ECONNREFUSED…) in `cause`.
	const cause: unknown = error.cause;
	if (cause instanceof Error && cause.message !== "") {
		return `${error.message}: ${cause.message}`;
	}
	return error.message;
}

/**
 * Sends a built request and reads the whole body within the timeout. Never throws for network
 * trouble: a reset, a refused connection or a provider that hangs all come back as data.
 */
export async function sendRequest(
	request: Request,
	options: SendOptions = {},
): Promise<HttpOutcome> {
	const fetchFn = options.fetch ?? globalThis.fetch;
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const timeout = AbortSignal.timeout(timeoutMs);
	const signal = options.signal
		? AbortSignal.any([options.signal, timeout])
		: timeout;

	// A custom fetch may ignore the signal; racing against it keeps the timeout a promise.
	let stopListening = (): void => {};
	const abandoned = new Promise<never>((_, reject) => {
		const onAbort = (): void => reject(signal.reason);
		signal.addEventListener("abort", onAbort, { once: true });
		stopListening = () => signal.removeEventListener("abort", onAbort);
	});
	abandoned.catch(() => {});

	try {
		const exchange = (async (): Promise<HttpResponse> => {
			const response = await fetchFn(new Request(request, { signal }));
			const body = await response.text();
			return { status: response.status, headers: response.headers, body };
		})();
		exchange.catch(() => {});
		const response = await Promise.race([exchange, abandoned]);
		return { ok: true, response };
	} catch (error) {
		if (timeout.aborted) {
			return {
				ok: false,
				reason: "timeout",
				message: `no complete answer within ${timeoutMs} ms`,
			};
		}
		if (options.signal?.aborted) {
			return { ok: false, reason: "aborted", message: describe(error) };
		}
		return { ok: false, reason: "network", message: describe(error) };
	} finally {
		stopListening();
	}
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) is either delay-seconds or an HTTP-date; both become
 * seconds from `now`. Unparsable values are ignored rather than guessed.
 */
export function parseRetryAfter(
	value: string | null,
	now: Date,
): number | undefined {
	if (value === null) return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed);
	// Every HTTP-date form names a month; this keeps V8's lenient Date.parse from reading
	// "-5" or "2" as a year.
	if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
	const at = Date.parse(trimmed);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

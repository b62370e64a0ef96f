import type { IncomingMessage, ServerResponse } from "node:http";

/** The development provider's forms are a few fields; anything bigger is not one of them. */
const maxFormBytes = 16 * 1024;

export class FormError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

/** Reads an `application/x-www-form-urlencoded` body, as the pages' forms send it. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
	const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim();
	if (type !== "application/x-www-form-urlencoded") {
		req.resume();
		throw new FormError(415, "Expected a form submission.");
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > maxFormBytes) throw new FormError(413, "The form is too large.");
		chunks.push(chunk as Buffer);
	}
	return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Sends one of the provider's pages. The policy allows the inline style and nothing else: no
 * scripts, no framing. It leaves out `form-action`, which browsers also apply to the redirects
 * after a submission, and those end at the app, on another origin.
 */
export function sendHtml(
	res: ServerResponse,
	status: number,
	html: string,
): void {
	res.statusCode = status;
	res.setHeader("Content-Type", "text/html; charset=utf-8");
	res.setHeader("Cache-Control", "no-store");
	res.setHeader(
		"Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
	);
	res.setHeader("X-Content-Type-Options", "nosniff");
	res.setHeader("Referrer-Policy", "no-referrer");
	res.end(html);
}

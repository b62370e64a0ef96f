import { connect } from "node:net";

/**
 * HTTP/1.1 over a bare socket, byte for byte as given: no URL normalisation (`..`, `//`, `%2F`
 * reach the server as written), raw header bytes, chunked or lying bodies. One request per
 * connection (`Connection: close`), so the answer is everything up to the server's close.
 */
export interface RawRequest {
	method: string;
	/** The request-target, as sent (a Buffer for bytes that are not UTF-8). */
	target: string | Buffer;
	headers?: [string, string | Buffer][];
	body?: string | Buffer;
	/** Send the body with `Transfer-Encoding: chunked` instead of `Content-Length`. */
	chunked?: boolean;
	/** Stop writing after this many body bytes (a client that gives up mid-body). */
	truncateBodyAt?: number;
}

export interface RawResponse {
	/** 0 when the connection closed without an answer. */
	status: number;
	headers: Record<string, string>;
	body: Buffer;
	text(): string;
}

function parseResponse(data: Buffer): RawResponse {
	// Interim answers (100 Continue) come first; the final one follows.
	while (
		/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString("latin1"))
	) {
		const interimEnd = data.indexOf("\r\n\r\n");
		if (interimEnd === -1) break;
		data = data.subarray(interimEnd + 4);
	}
	const end = data.indexOf("\r\n\r\n");
	if (end === -1) throw new Error(`no header end in ${data.length} bytes`);
	const [statusLine = "", ...lines] = data
		.subarray(0, end)
		.toString("latin1")
		.split("\r\n");
	const status = Number(statusLine.split(" ")[1]);
	const headers: Record<string, string> = {};
	for (const line of lines) {
		const colon = line.indexOf(":");
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line
				.slice(colon + 1)
				.trim();
	}
	let body = data.subarray(end + 4);
	if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
		const parts: Buffer[] = [];
		let at = 0;
		for (;;) {
			const lineEnd = body.indexOf("\r\n", at);
			if (lineEnd === -1) break;
			const size = Number.parseInt(
				body.subarray(at, lineEnd).toString("latin1"),
				16,
			);
			if (!(size > 0)) break;
			parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
			at = lineEnd + 2 + size + 2;
		}
		body = Buffer.concat(parts);
	} else if (headers["content-length"] !== undefined) {
		body = body.subarray(0, Number(headers["content-length"]));
	}
	return { status, headers, body, text: () => body.toString("utf8") };
}

/** Sends one request and resolves with the answer, however the connection ends. */
export function rawRequest(
	port: number,
	request: RawRequest,
	timeoutMs = 20_000,
): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const socket = connect(port, "127.0.0.1");
		const chunks: Buffer[] = [];
		let settled = false;
		const timer = setTimeout(() => {
			settled = true;
			socket.destroy();
			reject(new Error(`no answer within ${timeoutMs} ms`));
		}, timeoutMs);
		const finish = () => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			const data = Buffer.concat(chunks);
			if (data.length === 0) {
				resolve({
					status: 0,
					headers: {},
					body: data,
					text: () => "",
				});
				return;
			}
			try {
				resolve(parseResponse(data));
			} catch (error) {
				reject(error);
			}
		};
		socket.on("data", (chunk: Buffer) => chunks.push(chunk));
		socket.on("end", finish);
		socket.on("close", finish);
		// EPIPE or ECONNRESET after an early answer (a 413 before the body): judged by what arrived.
		socket.on("error", () => {});
		socket.on("connect", () => {
			const body =
				request.body === undefined
					? undefined
					: typeof request.body === "string"
						? Buffer.from(request.body, "utf8")
						: request.body;
			// A caller's own Host header (a forged one, say) replaces the default.
			const host = request.headers?.some(
				([name]) => name.toLowerCase() === "host",
			)
				? ""
				: `Host: 127.0.0.1:${port}\r\n`;
			const head: Buffer[] = [
				Buffer.from(`${request.method} `, "latin1"),
				typeof request.target === "string"
					? Buffer.from(request.target, "utf8")
					: request.target,
				Buffer.from(` HTTP/1.1\r\n${host}Connection: close\r\n`, "latin1"),
			];
			for (const [name, value] of request.headers ?? []) {
				head.push(
					Buffer.from(`${name}: `, "latin1"),
					typeof value === "string" ? Buffer.from(value, "latin1") : value,
					Buffer.from("\r\n", "latin1"),
				);
			}
			if (body !== undefined) {
				head.push(
					Buffer.from(
						request.chunked
							? "Transfer-Encoding: chunked\r\n"
							: `Content-Length: ${body.length}\r\n`,
						"latin1",
					),
				);
			}
			head.push(Buffer.from("\r\n", "latin1"));
			socket.write(Buffer.concat(head));
			if (body === undefined) return;
			const sent =
				request.truncateBodyAt === undefined
					? body
					: body.subarray(0, request.truncateBodyAt);
			if (request.chunked) {
				for (let at = 0; at < sent.length; at += 64 * 1024) {
					const piece = sent.subarray(at, at + 64 * 1024);
					socket.write(`${piece.length.toString(16)}\r\n`);
					socket.write(piece);
					socket.write("\r\n");
				}
				if (request.truncateBodyAt === undefined) socket.write("0\r\n\r\n");
			} else {
				socket.write(sent);
			}
			if (request.truncateBodyAt !== undefined) socket.end();
		});
	});
}

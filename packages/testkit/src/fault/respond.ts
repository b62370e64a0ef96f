import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultBehaviour, FaultEndpoint } from "./behaviours.ts";

export function randomToken(prefix: string): string {
	return `${prefix}_${randomBytes(18).toString("base64url")}`;
}

function sendJson(
	res: ServerResponse,
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
): void {
	res.writeHead(status, {
		"content-type": "application/json",
		"cache-control": "no-store",
		...headers,
	});
	res.end(JSON.stringify(body));
}

function retryAfterHeader(
	value: string | number | null | undefined,
	fallback: string,
): Record<string, string> {
	if (value === null) return {};
	return { "retry-after": String(value ?? fallback) };
}

function tokenSuccess(
	res: ServerResponse,
	behaviour: Extract<FaultBehaviour, { kind: "success" }>,
	form: Record<string, string>,
): void {
	const fields: Record<string, string | number> = {
		access_token: randomToken("at"),
		token_type: "Bearer",
	};
	const expiresIn =
		behaviour.expiresIn === undefined ? 3600 : behaviour.expiresIn;
	if (expiresIn !== null) fields.expires_in = expiresIn;
	const mode = behaviour.refreshToken ?? "rotate";
	const presented = form.refresh_token;
	if (mode === "rotate" || (mode === "keep" && presented === undefined)) {
		fields.refresh_token = randomToken("rt");
	} else if (mode === "keep" && presented !== undefined) {
		fields.refresh_token = presented;
	}
	const scope = behaviour.scope ?? form.scope;
	if (scope !== undefined) fields.scope = scope;

	if (behaviour.format === "form") {
		res.writeHead(200, {
			"content-type": "application/x-www-form-urlencoded; charset=utf-8",
		});
		res.end(
			new URLSearchParams(
				Object.entries(fields).map(([key, value]) => [key, String(value)]),
			).toString(),
		);
		return;
	}
	sendJson(res, 200, fields);
}

/** Writes the scripted answer for one request. */
export function answer(
	endpoint: FaultEndpoint,
	behaviour: FaultBehaviour,
	form: Record<string, string>,
	req: IncomingMessage,
	res: ServerResponse,
): void {
	switch (behaviour.kind) {
		case "success":
			if (endpoint === "token") tokenSuccess(res, behaviour, form);
			else if (endpoint === "userinfo") {
				sendJson(res, 200, behaviour.claims ?? { sub: "fault-user" });
			} else {
				res.writeHead(200).end();
			}
			return;
		case "unavailable":
			sendJson(
				res,
				503,
				{ error: "temporarily_unavailable" },
				retryAfterHeader(behaviour.retryAfter, "30"),
			);
			return;
		case "rate_limited":
			sendJson(
				res,
				429,
				{ error: "slow_down", error_description: "too many requests" },
				retryAfterHeader(behaviour.retryAfter, "60"),
			);
			return;
		case "hang":
			// Nothing: closeServer() destroys the socket.
			return;
		case "reset":
			req.socket.resetAndDestroy();
			return;
		case "html_error":
			res.writeHead(502, { "content-type": "text/html" });
			res.end(
				"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>",
			);
			return;
		case "bad_refresh_token":
			sendJson(res, 200, {
				error: "bad_refresh_token",
				error_description: "The refresh token passed is incorrect or expired.",
			});
			return;
		case "invalid_grant":
			sendJson(res, 400, {
				error: "invalid_grant",
				error_description: "refresh token is invalid or revoked",
			});
			return;
		case "invalid_client":
			sendJson(
				res,
				401,
				{
					error: "invalid_client",
					error_description: "client authentication failed",
				},
				{ "www-authenticate": 'Basic realm="fault"' },
			);
			return;
	}
}

import { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { createSecretKeyMatcher } from "../auth/secret-keys.ts";
import { isLoopbackHost, type TetherConfig } from "../config/index.ts";
import { TetherError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

/**
 * The TCP peer's address, from the socket itself. Never `X-Forwarded-For` or any other header:
 * those are whatever the client wrote. No socket (an in-process `app.request()`) means no address.
 */
export function socketAddress(c: Context): string | undefined {
	const env: unknown = c.env;
	if (typeof env !== "object" || env === null || !("incoming" in env))
		return undefined;
	const incoming = env.incoming;
	return incoming instanceof IncomingMessage
		? incoming.socket.remoteAddress
		: undefined;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, how dual-stack sockets report IPv4). */
export function isLoopbackAddress(address: string | undefined): boolean {
	if (address === undefined) return false;
	const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
	return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

function hostnameOf(value: string | undefined): string | undefined {
	if (value === undefined) return undefined;
	try {
		return new URL(value.includes("://") ? value : `http://${value}`).hostname;
	} catch {
		return undefined;
	}
}

/**
 * A request from this machine to this machine: the socket's peer is loopback, the `Host` header
 * names a loopback host (a DNS-rebinding page reaches 127.0.0.1 under its own name), and a browser's
 * `Origin`, if any, is a loopback page too (a page elsewhere cannot drive the API from the
 * operator's browser).
 */
function fromThisMachine(c: Context): boolean {
	if (!isLoopbackAddress(socketAddress(c))) return false;
	const host = hostnameOf(c.req.header("host"));
	if (host === undefined || !isLoopbackHost(host)) return false;
	const origin = c.req.header("origin");
	if (origin === undefined) return true;
	const originHost = hostnameOf(origin);
	return originHost !== undefined && isLoopbackHost(originHost);
}

function bearer(c: Context): string | undefined {
	const header = c.req.header("authorization");
	return header === undefined
		? undefined
		: /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header)?.[1];
}

/**
 * Who may use the operator surfaces:
 * - the admin API: `Authorization: Bearer <adminSecret>` (compared in constant time) whenever a
 *   secret is configured; without one, in development, requests from this machine only (see
 *   `fromThisMachine`); without one in production, nobody.
 * - `/metrics`: anyone in development or with `metrics.public`; otherwise the admin secret.
 */
export function createAdminAccess(config: TetherConfig) {
	const secret = config.adminSecret;
	const matches =
		secret === undefined ? () => false : createSecretKeyMatcher([secret]);
	const hasSecret = (c: Context) => {
		const presented = bearer(c);
		return presented !== undefined && matches(presented);
	};

	const admin: MiddlewareHandler<AppEnv> = async (c, next) => {
		if (secret !== undefined) {
			if (!hasSecret(c))
				throw new TetherError(
					"UNAUTHENTICATED",
					"The admin API needs Authorization: Bearer <adminSecret>.",
				);
			return next();
		}
		if (config.mode === "development" && fromThisMachine(c)) return next();
		throw new TetherError(
			"UNAUTHENTICATED",
			config.mode === "development"
				? "Without adminSecret the admin API answers only requests from this machine."
				: "The admin API is off: configure adminSecret (or TETHER_ADMIN_SECRET).",
			{
				details: {
					reason:
						config.mode === "development" ? "loopback_only" : "no_admin_secret",
				},
			},
		);
	};

	const metrics: MiddlewareHandler<AppEnv> = async (c, next) => {
		if (config.mode === "development" || config.metrics.public) return next();
		if (!hasSecret(c))
			throw new TetherError(
				"UNAUTHENTICATED",
				"Metrics need Authorization: Bearer <adminSecret> (or metrics.public in the config).",
			);
		return next();
	};

	return { admin, metrics };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import {
	clockToleranceSeconds,
	providerConfiguration,
} from "./configuration.ts";
import { createFileAdapter } from "./file-adapter.ts";
import { FormError, sendHtml } from "./http.ts";
import { handleInteraction, matchInteraction } from "./interactions.ts";
import { loadOrCreateKeys } from "./keys.ts";
import { loadOidcProvider, withoutProviderNotices } from "./load-provider.ts";
import { errorPage } from "./pages.ts";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DevelopmentProviderInput {
	/** The issuer identifier, with the mount path: `<baseUrl>/dev-oidc`. */
	issuer: string;
	clientId: string;
	/** Absent: a public client (PKCE alone). */
	clientSecret?: string;
	/** The client's one redirect URI: Tether's callback for this provider. */
	redirectUri: string;
	/** Default 60, so Tether's refresh of the token happens while someone watches. */
	accessTokenTtlSeconds?: number;
	/**
	 * Where the provider keeps its keys (`dev-provider.json`) and its sessions, grants and
	 * tokens (`dev-provider-data.json`), both 0600: the development setup's `./.tether/`.
	 */
	directory: string;
	/** Told about unexpected failures (answered with a generic error page or a 500). */
	onError?: (error: unknown) => void;
}

export interface DevelopmentProvider {
	issuer: string;
	/** The issuer's path (`/dev-oidc`): requests under it belong to `handler`. */
	mountPath: string;
	/** Serves a request whose path is under `mountPath`, as the server received it. */
	handler: NodeHandler;
	close(): Promise<void>;
}

function isUnder(path: string, mountPath: string): boolean {
	return (
		mountPath === "" || path === mountPath || path.startsWith(`${mountPath}/`)
	);
}

/**
 * A real OpenID provider (oidc-provider) for trying every flow offline: a login form that
 * takes any name, a consent screen, 60-second access tokens and rotating refresh tokens. It
 * shares the server's port under its issuer's path, so a newcomer has one URL to think about.
 */
export async function createDevelopmentProvider(
	input: DevelopmentProviderInput,
): Promise<DevelopmentProvider> {
	const issuer = input.issuer.replace(/\/+$/, "");
	const mountPath = new URL(issuer).pathname.replace(/\/+$/, "");
	const { default: Provider } = await loadOidcProvider();

	const configuration = providerConfiguration({
		mountPath,
		client: {
			clientId: input.clientId,
			clientSecret: input.clientSecret,
			redirectUri: input.redirectUri,
		},
		keys: await loadOrCreateKeys(join(input.directory, "dev-provider.json")),
		adapter: createFileAdapter(
			join(input.directory, "dev-provider-data.json"),
			{ clockToleranceSeconds },
		),
		accessTokenTtlSeconds: input.accessTokenTtlSeconds ?? 60,
	});
	const provider = await withoutProviderNotices(
		() => new Provider(issuer, configuration),
	);
	provider.on("server_error", (_ctx, error) => input.onError?.(error));
	const callback = provider.callback();
	let closed = false;

	function fail(res: ServerResponse, error: unknown): void {
		if (res.headersSent) {
			res.destroy();
			return;
		}
		if (error instanceof FormError) {
			sendHtml(
				res,
				error.status,
				errorPage({ title: "Cannot continue", message: error.message }),
			);
			return;
		}
		if (error instanceof Error && error.name === "SessionNotFound") {
			sendHtml(
				res,
				400,
				errorPage({
					title: "This sign-in has expired",
					message:
						"The page was open too long, or this browser does not have the sign-in's cookie (another browser, or cookies blocked).",
				}),
			);
			return;
		}
		input.onError?.(error);
		sendHtml(
			res,
			500,
			errorPage({
				title: "Something went wrong",
				message: "The development provider could not finish this step.",
			}),
		);
	}

	return {
		issuer,
		mountPath,
		handler(req, res) {
			const original = req.url ?? "/";
			const queryAt = original.indexOf("?");
			const path = queryAt === -1 ? original : original.slice(0, queryAt);
			if (closed || !isUnder(path, mountPath)) {
				res.statusCode = closed ? 503 : 404;
				res.setHeader("Content-Type", "text/plain; charset=utf-8");
				res.end(closed ? "shutting down\n" : "not found\n");
				return;
			}
			// Mounted as Express's `app.use(prefix, …)` mounts it: oidc-provider reads the mount
			// path back from `originalUrl` minus `url` (else `baseUrl`) to build its own URLs.
			const inner = original.slice(mountPath.length);
			Object.assign(req, { originalUrl: original, baseUrl: mountPath });
			req.url = inner.startsWith("/") ? inner : `/${inner}`;

			const route = matchInteraction(path.slice(mountPath.length));
			if (route === undefined) {
				callback(req, res);
				return;
			}
			handleInteraction(provider, mountPath, route, req, res).catch(
				(error: unknown) => fail(res, error),
			);
		},
		async close() {
			closed = true;
		},
	};
}

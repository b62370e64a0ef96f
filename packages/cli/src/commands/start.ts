import { createLogger, createServer, listen, loadConfig } from "@tether/server";
import { createWebHandler } from "@tether/web";
import type { CliIo } from "../io.ts";

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits. */
const shutdownGraceMs = 10_000;

export async function start(io: CliIo): Promise<number> {
	const logger = createLogger({ level: io.env.LOG_LEVEL ?? "info" });
	const config = loadConfig({
		env: io.env,
		cwd: io.cwd,
		warn: (message) => logger.warn(message),
	});
	const tether = await createServer({ config, logger, cwd: io.cwd });
	// The demo (development) and the dashboard (development, or production with an adminSecret),
	// after the API routes; the pages are bundled on their first request.
	const web = createWebHandler({
		mode: config.mode,
		dashboard:
			config.mode === "development" || config.adminSecret !== undefined,
	});
	for (const path of web.paths)
		tether.app.get(path, (c) => web.fetch(c.req.raw));
	const port = Number(io.env.PORT ?? "3000");
	// Development listens on loopback only; production on every interface unless HOST says otherwise.
	const hostname =
		io.env.HOST ?? (config.mode === "development" ? "127.0.0.1" : "0.0.0.0");
	const listener = await listen(tether.app, {
		port,
		hostname,
		developmentProvider: tether.developmentProvider,
	});
	logger.info(
		{
			mode: config.mode,
			port: listener.port,
			hostname,
			store: tether.store.kind,
		},
		"tether listening",
	);
	io.stdout.write(`\nTether is running: ${config.baseUrl}/\n\n`);

	return await new Promise<number>((resolve) => {
		let stopping = false;
		const stop = (signal: string) => {
			if (stopping) return;
			stopping = true;
			logger.info({ signal }, "shutting down");
			const force = setTimeout(() => {
				logger.warn(
					"requests still open after the grace period; exiting anyway",
				);
				resolve(1);
			}, shutdownGraceMs);
			force.unref();
			void listener
				.close()
				.then(() => tether.close())
				.then(() => {
					clearTimeout(force);
					resolve(0);
				});
		};
		process.once("SIGINT", () => stop("SIGINT"));
		process.once("SIGTERM", () => stop("SIGTERM"));
	});
}

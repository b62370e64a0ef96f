import { bodyLimit } from "hono/body-limit";
import { createRouter } from "./http/env.ts";
import { renderError, renderNotFound } from "./http/errors.ts";
import { requestContext } from "./http/request-context.ts";
import type { Logger } from "./logger.ts";
import { healthRoutes } from "./routes/health.ts";
import type { Store } from "./store/index.ts";
import { version } from "./version.ts";

/** JSON bodies Tether accepts are small; anything larger is refused before it is read. */
const maxBodyBytes = 64 * 1024;

export interface AppDeps {
  store: Store;
  logger: Logger;
}

/** The HTTP surface: middleware, the routes, the OpenAPI description and the error renderer. */
export function createApp(deps: AppDeps) {
  const app = createRouter();
  app.use(requestContext(deps.logger));
  app.use(async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
  });
  app.use(bodyLimit({ maxSize: maxBodyBytes }));
  app.onError(renderError(deps.logger));
  app.notFound(renderNotFound);

  app.route("/", healthRoutes(deps));

  const documentConfig = {
    openapi: "3.1.0",
    info: {
      title: "Tether",
      version,
      description: "Sign-in, account linking and fresh provider access tokens for your app.",
    },
  };
  app.doc31("/openapi.json", documentConfig);
  return app;
}

export type App = ReturnType<typeof createApp>;

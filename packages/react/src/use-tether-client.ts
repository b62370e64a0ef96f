import type { TetherClient } from "@tether/client";
import { useTetherContext } from "./context.ts";

/** The client given to `<TetherProvider>`, for what the hooks do not cover (sign-out, …). */
export function useTetherClient(): TetherClient {
	return useTetherContext().client;
}

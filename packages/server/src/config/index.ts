export { type LoadConfigInput, loadConfig, parseConfig } from "./load.ts";
export { ConfigError, isLoopbackHost, type TetherConfig } from "./resolve.ts";
export type { ConfigFile, ProviderConfig } from "./schema.ts";

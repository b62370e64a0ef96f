export type { App } from "./app.ts";
export { loadSigningKeys, type SigningKeys } from "./auth/signing-keys.ts";
export {
	ConfigError,
	loadConfig,
	type ProviderConfig,
	parseConfig,
	type TetherConfig,
} from "./config/index.ts";
export {
	createKeyRing,
	generateKey,
	type KeyRing,
	renderProgress,
	rotateKeys,
} from "./crypto/index.ts";
export { type DoctorCheck, runDoctor } from "./doctor.ts";
export { TetherError } from "./errors.ts";
export { type Listener, listen } from "./listen.ts";
export { createLogger, type Logger } from "./logger.ts";
export {
	type CreateServerInput,
	createServer,
	type TetherServer,
} from "./server.ts";
export { createStore, type Store } from "./store/index.ts";
export { version } from "./version.ts";

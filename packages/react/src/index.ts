export type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";
export {
	TetherProvider,
	type TetherProviderProps,
} from "./tether-provider.tsx";
export { useTetherClient } from "./use-tether-client.ts";
export { type UseUserOptions, useUser } from "./use-user.ts";

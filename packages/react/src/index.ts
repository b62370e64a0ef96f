export type {
	ReactConnectedAccount,
	ReactTetherUser,
} from "./react-objects.ts";
export {
	TetherProvider,
	type TetherProviderProps,
} from "./tether-provider.tsx";
export { useConnectedAccount } from "./use-connected-account.ts";
export { useConnectedAccounts } from "./use-connected-accounts.ts";
export { useOrLinkConnectedAccount } from "./use-or-link-connected-account.ts";
export { useTetherClient } from "./use-tether-client.ts";
export { type UseUserOptions, useUser } from "./use-user.ts";

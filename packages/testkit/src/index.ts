export type { FaultBehaviour, FaultEndpoint } from "./fault/behaviours.ts";
export {
	type FaultCounters,
	type FaultProvider,
	type FaultProviderOptions,
	type FaultRequest,
	startFaultProvider,
} from "./fault/start-fault-provider.ts";
export { freePort } from "./listen.ts";
export { type AuthorizeOptions, authorize } from "./upstream/authorize.ts";
export { type CookieJar, createCookieJar } from "./upstream/cookie-jar.ts";
export {
	type GrantTarget,
	startUpstream,
	type Upstream,
	type UpstreamCounters,
	type UpstreamEndpoints,
	type UpstreamOptions,
} from "./upstream/start-upstream.ts";

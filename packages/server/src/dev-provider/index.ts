export {
	createDevelopmentProvider,
	type DevelopmentProvider,
	type DevelopmentProviderInput,
	type NodeHandler,
} from "./create-development-provider.ts";
export {
	developmentProviderIssuer,
	developmentProviderPath,
} from "./mount-path.ts";

export {
	createWebHandler,
	type WebHandler,
	type WebHandlerOptions,
} from "./web-handler.ts";

export * from "./audit";
export * from "./projects";
export * from "./sign-in";
export * from "./site-network";
export * from "./sites";
export * from "./tasks";
export * from "./users";

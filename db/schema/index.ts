export * from "./audit";
export * from "./sign-in";
export * from "./sites";
export * from "./users";

import http from "node:http";

/**
 * The Trust's outbound HTTP(S) proxy. Node's own fetch (tRPC and the binary routes both use it)
 * honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY once proxy support is on: `http.setGlobalProxyFromEnv()`
 * where this Node has it (24.x), else the `NODE_USE_ENV_PROXY=1` variable set before Node starts.
 * Called first thing, before any hub call, by both the worker and `check`.
 */
export type ProxySetting = {
  /** The proxy's origin, without any user:password; null when none is set. */
  proxy: string | null;
  noProxy: string | null;
  /** How the proxy was switched on, or why it is not in use. */
  via: "setGlobalProxyFromEnv" | "NODE_USE_ENV_PROXY" | "none" | "unsupported";
};

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  return env[name]?.trim() || env[name.toLowerCase()]?.trim() || undefined;
}

/** Credentials in a proxy URL must never reach a log line. */
function originOf(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return "(not a URL)";
  }
}

export function applyProxyFromEnv(env: Env = process.env): ProxySetting {
  const raw = read(env, "HTTPS_PROXY") ?? read(env, "HTTP_PROXY");
  const noProxy = read(env, "NO_PROXY") ?? null;
  if (!raw) return { proxy: null, noProxy, via: "none" };
  const proxy = originOf(raw);
  if (env.NODE_USE_ENV_PROXY === "1") return { proxy, noProxy, via: "NODE_USE_ENV_PROXY" };
  const setGlobal = (http as { setGlobalProxyFromEnv?: (proxyEnv?: Env) => unknown }).setGlobalProxyFromEnv;
  if (typeof setGlobal !== "function") return { proxy, noProxy, via: "unsupported" };
  setGlobal(env);
  return { proxy, noProxy, via: "setGlobalProxyFromEnv" };
}

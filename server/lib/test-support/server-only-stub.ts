// Stands in for `server-only` under Vitest, which runs server modules outside React Server Components.
export {};

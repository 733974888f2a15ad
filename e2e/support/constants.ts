export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://localhost:${E2E_PORT}`;
export const E2E_DATABASE = "flip_e2e";
export const E2E_PASSWORD = "e2e-demo-password";

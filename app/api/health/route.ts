/** Liveness for load balancers and orchestrators: the process answers. It checks nothing else. */
export function GET() {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}

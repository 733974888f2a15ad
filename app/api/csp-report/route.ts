import { receiveCspReport } from "@/server/http/csp-report";

export const POST = receiveCspReport;

import { Hono } from "hono";
export const restProxy = new Hono<{ Bindings: Env }>().basePath("/kafka-rest");

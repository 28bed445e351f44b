// What a user would write by hand: Hono with hono/proxy's proxy().
import { Hono } from "hono";
import { proxy } from "hono/proxy";

const app = new Hono<{ Bindings: { UPSTREAM: string } }>();
app.all("*", (c) => {
  const url = new URL(c.req.url);
  return proxy(`${c.env.UPSTREAM}${url.pathname}${url.search}`, c.req.raw);
});
export default app;

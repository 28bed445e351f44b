import { InvalidArgumentError } from "commander";

/** A port for a demo backend: 0 picks a free one. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("must be a port number (0 picks a free one)");
  return port;
}

/** The Worker's port: a fixed one, since it is the URL to print and to call. */
export function parseWorkerPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError("must be a port number (1-65535)");
  return port;
}

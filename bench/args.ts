/** `--name value` from the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** `--name N` from the command line as a number, or `fallback`. */
export function numberFlag(name: string, fallback: number): number {
  return Number(flag(name, String(fallback)));
}

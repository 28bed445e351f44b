/** Reads until `check` holds (isolates flush in the background), at most `attempts` times 200 ms apart; the last value read. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, attempts = 50): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

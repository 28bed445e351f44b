/** A file's text, as Vite imports it with `?raw` (fixtures read by tests that run in workerd, which has no file system). */
declare module "*?raw" {
  const text: string;
  export default text;
}

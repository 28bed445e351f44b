/** Values the test global setup provides to tests (`inject("legacyPort")`). */
declare module "vitest" {
  export interface ProvidedContext {
    legacyPort: number;
    newPort: number;
    sparePort: number;
    refusedPort: number;
  }
}
export {};

/** Values the test global setup provides to tests (`inject("legacyPort")`). */
declare module "vitest" {
  export interface ProvidedContext {
    legacyPort: number;
    newPort: number;
    sparePort: number;
    refusedPort: number;
    /** An embedded DynamoDB (dynalite) on 127.0.0.1. */
    dynamoEndpoint: string;
  }
}
export {};

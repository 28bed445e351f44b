/** Values the test global setup provides to tests (`inject("legacyPort")`). */
declare module "vitest" {
  export interface ProvidedContext {
    legacyPort: number;
    newPort: number;
    sparePort: number;
    refusedPort: number;
    /** Backends that verify SigV4 as AWS does: a Lambda function URL and an S3 bucket. */
    lambdaPort: number;
    s3Port: number;
    /** A TCP server that accepts connections and never answers (a hanging store). */
    hangingPort: number;
    /** An embedded DynamoDB (dynalite) on 127.0.0.1. */
    dynamoEndpoint: string;
  }
}
export {};

/** The AWS credentials the SigV4-checking test backends know. */
export const AWS_TEST_CREDENTIALS = { accessKeyId: "AKIDCUTOVERTEST", secretAccessKey: "cutover-test-secret" } as const;

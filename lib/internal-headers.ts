/**
 * Headers cutover itself adds (`x-cutover-route`, `-backend`, `-version`, `-fallback`,
 * `-error`, `-shadow`) share this prefix: a client's are stripped before forwarding, and
 * they never count as a shadow difference.
 */
export const INTERNAL_PREFIX = "x-cutover-";

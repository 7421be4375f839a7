/** PostgreSQL error code (SQLSTATE) of a failed statement, looking through drizzle's wrappers. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A unique constraint refused the write. */
export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === '23505';

/** PostgreSQL aborted the transaction as a deadlock or serialisation victim; repeating it is safe. */
export const isRetryableConflict = (err: unknown) => {
  const code = pgErrorCode(err);
  return code === '40001' || code === '40P01';
};

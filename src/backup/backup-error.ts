/** A backup failure with the REST code and status the routes answer with. */
export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

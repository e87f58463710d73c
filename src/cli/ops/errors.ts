// The one error the operator commands raise: a sentence saying what failed, where, and what to do.
// main.ts prints it as `berth: <message>` and exits with its code (1, as kubectl does).
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'OpsError';
  }
}

/** RuhuError is every failure the client reports; branch on code. */
export class RuhuError extends Error {
  constructor(
    /** The server's stable code (problem+json or a push result), or a client code: unreachable, not_logged_in, relogin_required, not_found, bad_response. */
    readonly code: string,
    message: string,
    /** The HTTP status, when an answer arrived. */
    readonly status = 0,
    /** The field an offline validation refused. */
    readonly field = "",
  ) {
    super(message);
    this.name = "RuhuError";
  }
}

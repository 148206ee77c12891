/**
 * An upload that the browser-mode server streamed to disk instead of holding in memory: the
 * request's bytes, in a staging file under a name the server chose. Only the server's frame
 * decoder creates these (the renderer cannot: neither JSON nor structured clone produces class
 * instances), so a path in one is never the renderer's choice.
 */
export class StagedFile {
  constructor(
    /** Absolute path of the staging file (never shown to the user). */
    readonly path: string,
    readonly byteLength: number,
  ) {}
}

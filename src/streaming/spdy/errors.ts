// The SPDY layer's errors: what the peer did wrong on the wire, with the RST_STREAM / GOAWAY status
// to answer it with.

/** RST_STREAM status codes (SPDY/3 section 2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes (SPDY/3 section 2.6.6). */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** The peer broke the framing itself (bad version, impossible lengths, corrupt header block): the session ends. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}
